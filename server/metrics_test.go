package server_test

import (
	"bytes"
	"context"
	"crypto"
	"net/http"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"golang.org/x/crypto/ocsp"

	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/revocation"
)

// scrape fetches /metrics and parses it as Prometheus text: a failure to parse fails the test.
func scrape(t testing.TB, r *running) map[string]*dto.MetricFamily {
	t.Helper()
	code, body, h := get(t, r.httpsClient(), r.httpsURL("/metrics"))
	if code != 200 {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	if ct := h.Get("Content-Type"); !bytes.HasPrefix([]byte(ct), []byte("text/plain")) {
		t.Fatalf("/metrics Content-Type %q", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics is not Prometheus text: %v\n%s", err, body)
	}
	return fams
}

// value is the value of the series of family name with exactly these labels (0 if absent).
func value(fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	f, ok := fams[name]
	if !ok {
		return 0
	}
outer:
	for _, m := range f.GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		for _, l := range m.GetLabel() {
			if labels[l.GetName()] != l.GetValue() {
				continue outer
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return 0
}

// Acceptance 5: /metrics parses as Prometheus text and counts what the test did: issuance by
// profile, revocation by reason, OCSP answers by status, requests and their latency by route,
// and the certificates expiring within 7 and 30 days.
func TestMetricsCountWhatHappened(t *testing.T) {
	t.Parallel()
	r := start(t, t.TempDir(), nil)
	before := scrape(t, r)

	now := time.Now()
	soon, _ := r.issue(t, "server", now.Add(5*24*time.Hour), "soon.test")
	r.issue(t, "server", now.Add(20*24*time.Hour), "later.test")
	client, _ := r.issue(t, "client", now.Add(60*24*time.Hour), "alice@example.test")
	gone, _ := r.issue(t, "server", now.Add(3*24*time.Hour), "gone.test")
	if _, err := r.Authority().Revoke(context.Background(), gone.Certificate.SerialNumber, revocation.KeyCompromise, "test"); err != nil {
		t.Fatal(err)
	}
	post := func(body []byte) {
		resp, err := http.Post(r.httpURL("/ocsp"), "application/ocsp-request", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// good, revoked, good
	for _, leaf := range []*ca.Issued{client, gone, soon} {
		req, err := ocsp.CreateRequest(leaf.Certificate, leaf.Chain[0], &ocsp.RequestOptions{Hash: crypto.SHA256})
		if err != nil {
			t.Fatal(err)
		}
		post(req)
	}
	post([]byte("not an OCSP request"))
	get(t, nil, r.httpURL("/no/such/thing"))
	if code, _, _ := get(t, r.httpsClient(), r.httpsURL("/api/v1/certificates")); code != 401 {
		t.Fatalf("GET /api/v1/certificates without a credential: %d", code)
	}

	var after map[string]*dto.MetricFamily
	eventually(t, 10*time.Second, "the expiring-certificate gauges are refreshed", func() bool {
		after = scrape(t, r)
		return value(after, "anchor_certificates_expiring", map[string]string{"within": "30d"}) == 2
	})
	delta := func(name string, labels map[string]string) float64 {
		return value(after, name, labels) - value(before, name, labels)
	}
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"anchor_certificates_issued_total", map[string]string{"profile": "server"}, 3},
		{"anchor_certificates_issued_total", map[string]string{"profile": "client"}, 1},
		{"anchor_certificates_revoked_total", map[string]string{"reason": "keyCompromise"}, 1},
		{"anchor_ocsp_responses_total", map[string]string{"status": "good"}, 2},
		{"anchor_ocsp_responses_total", map[string]string{"status": "revoked"}, 1},
		{"anchor_ocsp_responses_total", map[string]string{"status": "malformed"}, 1},
		{"anchor_http_requests_total", map[string]string{"listener": "http", "route": "/ocsp", "code": "200"}, 4},
		{"anchor_http_requests_total", map[string]string{"listener": "http", "route": "other", "code": "404"}, 1},
		{"anchor_http_request_duration_seconds", map[string]string{"listener": "http", "route": "/ocsp"}, 4},
		// The REST API reports its own route patterns.
		{"anchor_http_requests_total", map[string]string{"listener": "https", "route": "GET /api/v1/certificates", "code": "401"}, 1},
	} {
		if got := delta(tc.name, tc.labels); got != tc.want {
			t.Errorf("%s%v went up by %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
	// Gauges are absolute: the 5-day certificate is within 7 days; the 20-day one within 30; the
	// revoked one counts in neither, nor do the server's own 90-day and OCSP certificates.
	if got := value(after, "anchor_certificates_expiring", map[string]string{"within": "7d"}); got != 1 {
		t.Errorf("expiring within 7d: %v, want 1", got)
	}
	// Scrapes are requests too, counted on the HTTPS listener.
	if got := delta("anchor_http_requests_total", map[string]string{"listener": "https", "route": "/metrics", "code": "200"}); got < 1 {
		t.Errorf("/metrics scrapes counted %v times", got)
	}
}
