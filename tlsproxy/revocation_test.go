package tlsproxy_test

import (
	"encoding/hex"
	"errors"
	"testing"

	"github.com/anchorpki/anchor/revocation"
	"github.com/anchorpki/anchor/tlsproxy"
)

// Each mode against a real responder and CRLs: who gets through, what was fetched, and what
// happens when the publication points are down (hard-fail unless off).
func TestClientRevocationModes(t *testing.T) {
	p := newPKI(t)
	srv := p.issue("server", "localhost", "127.0.0.1")
	up := startUpstream(t)
	start := func(mode tlsproxy.RevocationMode) *running {
		return startProxy(t, tlsproxy.Options{Upstream: up, Certs: fileSource(t, srv), ClientCAs: p.roots, RequireClientCert: true, Revocation: mode})
	}
	try := func(r *running, l *leaf) error {
		resp, _, err := getSeen(t, client(p.roots, l.tls), "https://"+r.addr+"/")
		if err == nil && resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		return err
	}

	t.Run("auto uses OCSP and caches the answer", func(t *testing.T) {
		good, bad := p.issue("client", "good@example.com"), p.issue("client", "bad@example.com")
		p.revoke(bad, revocation.Superseded)
		r := start(tlsproxy.RevocationAuto)
		before := p.ocspHits.Load()
		if err := try(r, good); err != nil {
			t.Fatalf("good certificate refused: %v\n%s", err, r.logs)
		}
		if err := try(r, good); err != nil {
			t.Fatal(err)
		}
		if n := p.ocspHits.Load() - before; n != 1 {
			t.Errorf("OCSP responder asked %d times for two handshakes with one certificate, want 1 (cached)", n)
		}
		if err := try(r, bad); err == nil {
			t.Fatal("revoked certificate accepted")
		}
		if !logHas(r.logs, `"serial":"`+hex.EncodeToString(bad.cert.SerialNumber.Bytes())+`"`, `"reason":"superseded"`, "OCSP") {
			t.Errorf("no revocation log line:\n%s", r.logs)
		}
	})

	t.Run("crl mode reads the CRL", func(t *testing.T) {
		good, bad := p.issue("client", "good2@example.com"), p.issue("client", "bad2@example.com")
		p.revoke(bad, revocation.CessationOfOperation)
		r := start(tlsproxy.RevocationCRL)
		ocspBefore, crlBefore := p.ocspHits.Load(), p.crlHits.Load()
		if err := try(r, good); err != nil {
			t.Fatalf("good certificate refused: %v\n%s", err, r.logs)
		}
		if err := try(r, bad); err == nil {
			t.Fatal("revoked certificate accepted")
		}
		if p.ocspHits.Load() != ocspBefore {
			t.Error("crl mode asked the OCSP responder")
		}
		// The leaf's CRL and the intermediate's (root CRL), each once.
		if n := p.crlHits.Load() - crlBefore; n != 2 {
			t.Errorf("fetched CRLs %d times, want 2", n)
		}
		if !logHas(r.logs, `"reason":"cessationOfOperation"`, "CRL") {
			t.Errorf("no revocation log line:\n%s", r.logs)
		}
	})

	t.Run("auto falls back to the CRL when the responder is down", func(t *testing.T) {
		bad := p.issue("client", "bad3@example.com")
		p.revoke(bad, revocation.KeyCompromise)
		good := p.issue("client", "good3@example.com")
		p.ocspDown.Store(true)
		t.Cleanup(func() { p.ocspDown.Store(false) })
		r := start(tlsproxy.RevocationAuto)
		if err := try(r, good); err != nil {
			t.Fatalf("good certificate refused: %v\n%s", err, r.logs)
		}
		if err := try(r, bad); err == nil {
			t.Fatal("revoked certificate accepted")
		}
	})

	t.Run("hard-fail when nothing answers", func(t *testing.T) {
		good := p.issue("client", "good4@example.com")
		p.ocspDown.Store(true)
		p.crlDown.Store(true)
		t.Cleanup(func() { p.ocspDown.Store(false); p.crlDown.Store(false) })
		r := start(tlsproxy.RevocationAuto)
		if err := try(r, good); err == nil {
			t.Fatal("accepted a certificate whose status is unknown")
		}
		if !logHas(r.logs, "revocation status unknown", "503") {
			t.Errorf("no log line for the undetermined status:\n%s", r.logs)
		}
		if err := try(start(tlsproxy.RevocationOff), good); err != nil {
			t.Fatalf("off still checks: %v", err)
		}
	})
}

func TestParseRevocationMode(t *testing.T) {
	tests := []struct {
		in      string
		want    tlsproxy.RevocationMode
		wantErr error
	}{
		{"", tlsproxy.RevocationAuto, nil},
		{"auto", tlsproxy.RevocationAuto, nil},
		{"OCSP", tlsproxy.RevocationOCSP, nil},
		{"crl", tlsproxy.RevocationCRL, nil},
		{"off", tlsproxy.RevocationOff, nil},
		{"soft", "", tlsproxy.ErrInvalidRevocationMode},
	}
	for _, tc := range tests {
		got, err := tlsproxy.ParseRevocationMode(tc.in)
		if got != tc.want || !errors.Is(err, tc.wantErr) {
			t.Errorf("ParseRevocationMode(%q) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}
