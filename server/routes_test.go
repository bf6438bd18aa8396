package server_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/revocation"
)

// Acceptance 3: openssl ocsp, at the URL the certificate carries, says "good", then "revoked"
// the moment the authority records the revocation; the CRL at the certificate's distribution
// point lists it; the AIA URLs serve the CA certificates.
func TestRevocationPublishedAtOnce(t *testing.T) {
	t.Parallel()
	openssl := testkit.OpenSSL(t)
	r := start(t, t.TempDir(), nil)
	iss, _ := r.issue(t, "server", time.Time{}, "leaf.test")
	leaf := iss.Certificate
	inter := iss.Chain[0]
	if len(leaf.OCSPServer) != 1 || leaf.OCSPServer[0] != r.httpURL("/ocsp") {
		t.Fatalf("OCSP URL in the certificate %v, want %s", leaf.OCSPServer, r.httpURL("/ocsp"))
	}
	dir := t.TempDir()
	writePEM(t, dir, "leaf.pem", leaf)
	writePEM(t, dir, "inter.pem", inter)
	writePEM(t, dir, "root.pem", r.Root())
	check := func(want string) {
		t.Helper()
		res := testkit.Exec(t, dir, nil, openssl, "ocsp", "-issuer", "inter.pem", "-cert", "leaf.pem",
			"-url", leaf.OCSPServer[0], "-CAfile", "root.pem")
		if res.ExitCode != 0 || !strings.Contains(res.Stdout, "leaf.pem: "+want) || !strings.Contains(res.Combined(), "Response verify OK") {
			t.Fatalf("openssl ocsp: want %q, exit %d:\n%s", want, res.ExitCode, res.Combined())
		}
	}
	check("good")
	if _, err := r.Authority().Revoke(context.Background(), leaf.SerialNumber, revocation.KeyCompromise, "test"); err != nil {
		t.Fatal(err)
	}
	check("revoked")
	// The audit trail names the serial and who asked, and no key material is ever logged.
	var audited bool
	for _, ev := range r.logs.events(t, "audit: revoked certificate") {
		audited = audited || ev["serial"] == hex.EncodeToString(leaf.SerialNumber.Bytes()) && ev["requester"] == "test" &&
			ev["reason"] == "keyCompromise" && fmt.Sprint(ev["names"]) == fmt.Sprint(leaf.DNSNames)
	}
	// The issuance line stands on its own: serial, profile, names and requester.
	for _, ev := range r.logs.events(t, "audit: issued certificate") {
		if ev["serial"] == hex.EncodeToString(leaf.SerialNumber.Bytes()) {
			audited = audited && ev["profile"] == "server" && fmt.Sprint(ev["names"]) == fmt.Sprint(leaf.DNSNames) && ev["requester"] != ""
		}
	}
	if !audited || len(r.logs.events(t, "audit: signing certificate")) < 2 {
		t.Fatalf("audit events missing:\n%s", r.logs.String())
	}
	if strings.Contains(r.logs.String(), "PRIVATE KEY") {
		t.Fatal("a private key was logged")
	}

	if len(leaf.CRLDistributionPoints) != 1 {
		t.Fatalf("CRL distribution points %v", leaf.CRLDistributionPoints)
	}
	code, body, h := get(t, nil, leaf.CRLDistributionPoints[0])
	if code != 200 || h.Get("Content-Type") != "application/pkix-crl" {
		t.Fatalf("GET %s: %d %s", leaf.CRLDistributionPoints[0], code, h.Get("Content-Type"))
	}
	rl := parseCRL(t, body, inter)
	if !lists(rl, leaf, revocation.KeyCompromise) {
		t.Fatalf("the CRL at the distribution point does not list %x as keyCompromise", leaf.SerialNumber)
	}

	for _, tc := range []struct {
		urls []string
		want *x509.Certificate
	}{{leaf.IssuingCertificateURL, inter}, {inter.IssuingCertificateURL, r.Root()}} {
		if len(tc.urls) != 1 {
			t.Fatalf("caIssuers URLs %v", tc.urls)
		}
		code, body, h := get(t, nil, tc.urls[0])
		if code != 200 || h.Get("Content-Type") != "application/pkix-cert" || !bytes.Equal(body, tc.want.Raw) {
			t.Fatalf("GET %s: %d %s, %d bytes; want the DER of %s", tc.urls[0], code, h.Get("Content-Type"), len(body), tc.want.Subject)
		}
	}
	// The root's CRL, at the intermediate's distribution point, signed by the root.
	if len(inter.CRLDistributionPoints) != 1 {
		t.Fatalf("intermediate CRL distribution points %v", inter.CRLDistributionPoints)
	}
	code, body, _ = get(t, nil, inter.CRLDistributionPoints[0])
	if code != 200 {
		t.Fatalf("GET %s: %d", inter.CRLDistributionPoints[0], code)
	}
	parseCRL(t, body, r.Root())
}

// The OCSP responder reads its request from the raw path: a client that does not escape the
// "/" of base64, or doubles a slash, must not be redirected by path cleaning.
func TestOCSPPathIsNotCleaned(t *testing.T) {
	t.Parallel()
	r := start(t, t.TempDir(), nil)
	iss, _ := r.issue(t, "client", time.Time{}, "alice@example.test")
	req, err := ocsp.CreateRequest(iss.Certificate, iss.Chain[0], &ocsp.RequestOptions{Hash: crypto.SHA1})
	if err != nil {
		t.Fatal(err)
	}
	noRedirect := &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, path := range []string{"/ocsp/", "/ocsp//"} {
		code, body, _ := get(t, noRedirect, r.httpURL(path+base64.StdEncoding.EncodeToString(req)))
		if code != 200 {
			t.Fatalf("GET %s…: %d", path, code)
		}
		resp, err := ocsp.ParseResponseForCert(body, iss.Certificate, iss.Chain[0])
		if err != nil || resp.Status != ocsp.Good {
			t.Fatalf("GET %s…: %v, %v", path, resp, err)
		}
	}
	resp, err := noRedirect.Post(r.httpURL("/ocsp"), "application/ocsp-request", bytes.NewReader(req))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/ocsp-response" {
		t.Fatalf("POST /ocsp: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// Every path has an answer, and nothing but GET reads a CRL or a certificate.
func TestRoutes(t *testing.T) {
	t.Parallel()
	r := start(t, t.TempDir(), nil)
	c := r.httpsClient()
	for _, tc := range []struct {
		method, url string
		want        int
	}{
		{"GET", r.httpURL("/nothing-here"), 404},
		{"POST", r.httpURL("/crl/intermediate.crl"), 405},
		{"PUT", r.httpURL("/ca/root.crt"), 405},
		{"HEAD", r.httpURL("/crl/root.crl"), 200},
		{"GET", r.httpURL("/metrics"), 200},
		{"GET", r.httpsURL("/metrics"), 200},
		{"GET", r.httpsURL("/crl/intermediate.crl"), 404}, // relying parties use the HTTP listener
		{"GET", r.httpsURL("/api/v1/certificates"), 401},  // the REST API is mounted and wants a credential
	} {
		req, err := http.NewRequest(tc.method, tc.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.method, tc.url, err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.url, resp.StatusCode, tc.want)
		}
	}
	// One event per request, with the route label, never the raw path alone.
	var found bool
	for _, ev := range r.logs.events(t, "http request") {
		if ev["listener"] == "http" && ev["route"] == "other" && ev["path"] == "/nothing-here" && ev["status"] == float64(404) &&
			ev["method"] == "GET" && ev["remote"] != "" && ev["duration"] != nil && ev["bytes"] != nil {
			found = true
		}
	}
	if !found {
		t.Fatalf("no request event for GET /nothing-here:\n%s", r.logs.String())
	}
}

func parseCRL(t testing.TB, der []byte, issuer *x509.Certificate) *x509.RevocationList {
	t.Helper()
	rl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatalf("parsing CRL: %v", err)
	}
	if err := rl.CheckSignatureFrom(issuer); err != nil {
		t.Fatalf("CRL not signed by %s: %v", issuer.Subject, err)
	}
	return rl
}

func lists(rl *x509.RevocationList, c *x509.Certificate, reason revocation.Reason) bool {
	for _, e := range rl.RevokedCertificateEntries {
		if e.SerialNumber.Cmp(c.SerialNumber) == 0 && e.ReasonCode == int(reason) {
			return true
		}
	}
	return false
}
