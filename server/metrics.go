package server

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/anchorpki/anchor/issuance"
	"github.com/anchorpki/anchor/ocspresponder"
	"github.com/anchorpki/anchor/store"
)

// metrics are the server's Prometheus metrics, in a registry of its own: several servers in
// one process (tests) must not share counters, and nothing else in the process can add to it.
// Counters count what this process did; the expiring gauges count the whole inventory.
type metrics struct {
	reg      *prometheus.Registry
	issued   *prometheus.CounterVec
	revoked  *prometheus.CounterVec
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	ocsp     *prometheus.CounterVec
	expiring *prometheus.GaugeVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		issued: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "anchor_certificates_issued_total",
			Help: "Certificates signed and recorded by this process, by profile."}, []string{"profile"}),
		revoked: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "anchor_certificates_revoked_total",
			Help: "Certificates revoked through this process, by RFC 5280 reason."}, []string{"reason"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "anchor_http_requests_total",
			Help: "HTTP requests answered, by listener, route and status code."}, []string{"listener", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "anchor_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by listener and route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"listener", "route"}),
		ocsp: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "anchor_ocsp_responses_total",
			Help: "OCSP responses, by outcome: good, revoked, unknown, or an unsigned error status."}, []string{"status"}),
		expiring: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "anchor_certificates_expiring",
			Help: "Valid, unrevoked leaf certificates of the intermediate that expire within the window."}, []string{"within"}),
	}
	m.reg.MustRegister(m.issued, m.revoked, m.requests, m.duration, m.ocsp, m.expiring,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Series that exist from the start, so a dashboard shows 0 rather than "no data".
	for _, p := range issuance.LeafProfiles() {
		m.issued.WithLabelValues(p)
	}
	for _, s := range []ocspresponder.Status{ocspresponder.StatusGood, ocspresponder.StatusRevoked, ocspresponder.StatusUnknown,
		ocspresponder.StatusMalformed, ocspresponder.StatusUnauthorized, ocspresponder.StatusInternal} {
		m.ocsp.WithLabelValues(string(s))
	}
	for _, w := range expiryWindows {
		m.expiring.WithLabelValues(w.label)
	}
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func (m *metrics) observeOCSP(s ocspresponder.Status) { m.ocsp.WithLabelValues(string(s)).Inc() }

// observeHTTP records one request. route must come from a fixed set (routeOf, restapi's
// patterns), never the raw path, or every OCSP GET would become a series of its own.
func (m *metrics) observeHTTP(listener, route string, code int, d time.Duration) {
	m.requests.WithLabelValues(listener, route, strconv.Itoa(code)).Inc()
	m.duration.WithLabelValues(listener, route).Observe(d.Seconds())
}

var expiryWindows = []struct {
	label  string
	within time.Duration
}{
	{"7d", 7 * 24 * time.Hour},
	{"30d", 30 * 24 * time.Hour},
}

// expiryPage bounds the rows held at once while counting: List returns whole rows with DER.
const expiryPage = 500

// refreshExpiring recounts the expiring-certificate gauges from the inventory. It runs on the
// ticker, not on each scrape, so a scraper cannot make the server scan the inventory.
func (s *Server) refreshExpiring(ctx context.Context) {
	now := s.o.Now()
	longest := expiryWindows[len(expiryWindows)-1].within
	counts := make([]int, len(expiryWindows))
	f := store.Filter{Status: store.StatusValid, ValidAt: now, ExpiringBefore: now.Add(longest),
		IssuerKeyID: s.loaded.Issuer.KeyID(), Limit: expiryPage}
	for {
		page, next, err := s.db.List(ctx, f)
		if err != nil {
			s.log.Warn("counting expiring certificates", slog.String("error", err.Error()))
			return
		}
		for _, c := range page {
			// The OCSP responder certificate lives a week and is replaced by itself: counting
			// it would keep the 7-day gauge above zero for nothing anyone has to do.
			if c.Profile == issuance.OCSPSigning.Name {
				continue
			}
			for i, w := range expiryWindows {
				if c.NotAfter.Before(now.Add(w.within)) {
					counts[i]++
				}
			}
		}
		if next == "" {
			break
		}
		f.After = next
	}
	for i, w := range expiryWindows {
		s.metrics.expiring.WithLabelValues(w.label).Set(float64(counts[i]))
	}
}
