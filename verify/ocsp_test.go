package verify

import (
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

// responder is an OCSP responder on 127.0.0.1 answering from a table of serial -> template.
type responder struct {
	issuer *node
	signer *node // issuer itself or a delegated responder
	answer func(serial string) ocsp.Response
}

func (rs *responder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req, err := ocsp.ParseRequest(body)
	if err != nil || r.Header.Get("Content-Type") != "application/ocsp-request" {
		w.Write(ocsp.MalformedRequestErrorResponse)
		return
	}
	tmpl := rs.answer(req.SerialNumber.Text(16))
	tmpl.SerialNumber = req.SerialNumber
	if tmpl.ThisUpdate.IsZero() {
		tmpl.ThisUpdate = t0.Add(-time.Hour)
	}
	if tmpl.NextUpdate.IsZero() {
		tmpl.NextUpdate = t0.Add(24 * time.Hour)
	}
	if rs.signer != rs.issuer {
		tmpl.Certificate = rs.signer.cert // a delegated responder sends its certificate
	}
	der, err := ocsp.CreateResponse(rs.issuer.cert, rs.signer.cert, tmpl, rs.signer.key)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	w.Header().Set("Content-Type", "application/ocsp-response")
	w.Write(der)
}

func TestOCSP(t *testing.T) {
	t.Parallel()
	root := issue(t, spec{cn: "Root", ca: true}, nil)
	inter := issue(t, spec{cn: "Inter", ca: true}, root)
	delegate := issue(t, spec{cn: "OCSP Responder", eku: []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}, noSAN: true}, inter)
	notDelegate := issue(t, spec{cn: "Not a responder", eku: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, noSAN: true}, inter)
	stranger := issue(t, spec{cn: "Stranger", ca: true}, nil)

	status := map[string]ocsp.Response{}
	mk := func(signer *node) *httptest.Server {
		srv := httptest.NewServer(&responder{issuer: inter, signer: signer, answer: func(s string) ocsp.Response {
			if r, ok := status[s]; ok {
				return r
			}
			return ocsp.Response{Status: ocsp.Unknown}
		}})
		t.Cleanup(srv.Close)
		return srv
	}
	byIssuer, byDelegate, byNonDelegate, byStranger := mk(inter), mk(delegate), mk(notDelegate), mk(stranger)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	leafAt := func(cn string, srv string, st ocsp.Response) *node {
		n := issue(t, spec{cn: cn, mod: func(c *x509.Certificate) {
			if srv != "" {
				c.OCSPServer = []string{srv}
			}
		}}, inter)
		status[n.cert.SerialNumber.Text(16)] = st
		return n
	}
	good := ocsp.Response{Status: ocsp.Good}
	tests := []struct {
		name   string
		leaf   *node
		want   bool
		detail string
	}{
		{"good", leafAt("good", byIssuer.URL, good), true, `answers "good"`},
		{"revoked", leafAt("revoked", byIssuer.URL, ocsp.Response{Status: ocsp.Revoked, RevokedAt: t0.AddDate(0, 0, -1), RevocationReason: ocsp.KeyCompromise}), false, "keyCompromise (1)"},
		{"unknown", leafAt("unknown", byIssuer.URL, ocsp.Response{Status: ocsp.Unknown}), false, `"unknown"`},
		{"delegated responder", leafAt("delegated", byDelegate.URL, good), true, `answers "good"`},
		{"responder without OCSPSigning", leafAt("bad delegate", byNonDelegate.URL, good), false, "lacks id-kp-OCSPSigning"},
		{"responder from another CA", leafAt("stranger", byStranger.URL, good), false, "was not issued by CN=Inter"},
		{"stale response", leafAt("stale", byIssuer.URL, ocsp.Response{Status: ocsp.Good, ThisUpdate: t0.AddDate(0, 0, -10), NextUpdate: t0.AddDate(0, 0, -3)}), false, "stale"},
		{"responder unreachable", leafAt("unreachable", closed.URL, good), false, "connect"},
		{"no responder", leafAt("no aia", "", good), true, "no http:// OCSP responder"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := Options{Roots: certs(root), Intermediates: certs(inter), At: t0, OCSP: true,
				HTTPClient: &http.Client{Timeout: 5 * time.Second}}
			r := run(t, tc.leaf, o, tc.want, "")
			var leafCheck *Check
			for i, c := range r.Checks {
				if c.Name == CheckRevocationOCSP && c.Depth == 0 {
					leafCheck = &r.Checks[i]
				}
			}
			if leafCheck == nil || !strings.Contains(leafCheck.Detail, tc.detail) {
				t.Fatalf("leaf OCSP check does not mention %q\n%s", tc.detail, dump(r))
			}
		})
	}
}
