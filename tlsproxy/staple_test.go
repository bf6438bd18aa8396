package tlsproxy_test

import (
	"crypto/tls"
	"net/http"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/tlsproxy"
)

func handshake(t testing.TB, p *pki, addr string) tls.ConnectionState {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: p.roots, ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.ConnectionState()
}

// --ocsp-staple: the handshake carries the responder's signed "good" for the server certificate.
func TestOCSPStaple(t *testing.T) {
	p := newPKI(t)
	srv := p.issue("server", "localhost", "127.0.0.1")
	logs := &testkit.Buffer{}
	staple := tlsproxy.Staple(fileSource(t, srv), tlsproxy.StapleOptions{Interval: 50 * time.Millisecond, HTTPClient: http.DefaultClient,
		Logger: jsonLogger(logs)})
	r := startProxy(t, tlsproxy.Options{Upstream: startUpstream(t), Certs: staple})
	var cs tls.ConnectionState
	waitFor(t, "a stapled handshake", func() bool { cs = handshake(t, p, r.addr); return len(cs.OCSPResponse) > 0 })
	resp, err := ocsp.ParseResponseForCert(cs.OCSPResponse, srv.cert, p.h.Intermediate)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != ocsp.Good || resp.SerialNumber.Cmp(srv.cert.SerialNumber) != 0 || !resp.NextUpdate.After(time.Now()) {
		t.Fatalf("staple: status %d serial %x next update %s", resp.Status, resp.SerialNumber, resp.NextUpdate)
	}
	// The staple is reused, not fetched per handshake: refreshed only at half its validity.
	hits := p.ocspHits.Load()
	for range 5 {
		if len(handshake(t, p, r.addr).OCSPResponse) == 0 {
			t.Fatal("a later handshake lost the staple")
		}
	}
	time.Sleep(200 * time.Millisecond) // several refresh looks
	if p.ocspHits.Load() != hits {
		t.Errorf("responder asked %d more times while the staple was fresh", p.ocspHits.Load()-hits)
	}
}

// With the responder down the proxy serves without a staple and says why.
func TestOCSPStapleResponderDown(t *testing.T) {
	p := newPKI(t)
	p.ocspDown.Store(true)
	srv := p.issue("server", "localhost", "127.0.0.1")
	logs := &testkit.Buffer{}
	staple := tlsproxy.Staple(fileSource(t, srv), tlsproxy.StapleOptions{Interval: 50 * time.Millisecond, Logger: jsonLogger(logs)})
	r := startProxy(t, tlsproxy.Options{Upstream: startUpstream(t), Certs: staple})
	waitFor(t, "the staple warning", func() bool { return logHas(logs, "OCSP staple not refreshed", "503") })
	if cs := handshake(t, p, r.addr); len(cs.OCSPResponse) != 0 {
		t.Fatal("stapled something with the responder down")
	}
	// Back up: the next look staples.
	p.ocspDown.Store(false)
	waitFor(t, "a stapled handshake", func() bool { return len(handshake(t, p, r.addr).OCSPResponse) > 0 })
}
