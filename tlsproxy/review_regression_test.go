package tlsproxy

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Regression tests for findings of a security review: a revoked intermediate that is also in
// the client CA pool, and identity headers smuggled through an upgrade tunnel.

type kp struct {
	c *x509.Certificate
	k *ecdsa.PrivateKey
}

func mk(t *testing.T, tmpl *x509.Certificate, parent *kp) *kp {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pc, pk := tmpl, k
	if parent != nil {
		pc, pk = parent.c, parent.k
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, pc, &k.PublicKey, pk)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &kp{c, k}
}

type revPKI struct {
	root, inter, leaf, server *kp
	crlURL                    string
}

// root → inter (CRL DP on root's CRL, which lists inter as revoked) → leaf (no revocation info)
// dialHTTP1 connects to a proxy serving p.server's certificate, speaking HTTP/1.1 by hand.
func (p *revPKI) dialHTTP1(t *testing.T, addr string) *tls.Conn {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AddCert(p.root.c)
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: roots, ServerName: "localhost", NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func newRevPKI(t *testing.T) *revPKI {
	now := time.Now()
	p := &revPKI{}
	var crlDER []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(crlDER) }))
	t.Cleanup(srv.Close)
	p.crlURL = srv.URL + "/root.crl"
	p.root = mk(t, &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Root"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour * 24),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}, nil)
	p.inter = mk(t, &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Inter"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour * 24),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, CRLDistributionPoints: []string{p.crlURL}}, p.root)
	p.leaf = mk(t, &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "alice"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour * 24),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}, p.inter)
	p.server = mk(t, &x509.Certificate{SerialNumber: big.NewInt(4), Subject: pkix.Name{CommonName: "server"}, DNSNames: []string{"localhost"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour * 24),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}, p.root)
	var err error
	crlDER, err = x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(time.Hour),
		RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: big.NewInt(2), RevocationTime: now.Add(-time.Minute)}}}, p.root.c, p.root.k)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type staticSource struct{ c *tls.Certificate }

func (s staticSource) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) { return s.c, nil }

func (p *revPKI) handshake(t *testing.T, pool *x509.CertPool, sendInter bool) error {
	up, _ := url.Parse("http://127.0.0.1:1")
	px, err := New(Options{Upstream: up, Certs: staticSource{&tls.Certificate{Certificate: [][]byte{p.server.c.Raw}, PrivateKey: p.server.k}},
		ClientCAs: pool, RequireClientCert: true})
	if err != nil {
		t.Fatal(err)
	}
	cc := tls.Certificate{Certificate: [][]byte{p.leaf.c.Raw}, PrivateKey: p.leaf.k}
	if sendInter {
		cc.Certificate = append(cc.Certificate, p.inter.c.Raw)
	}
	roots := x509.NewCertPool()
	roots.AddCert(p.root.c)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	errc := make(chan error, 1)
	go func() {
		a, err := ln.Accept()
		if err != nil {
			errc <- err
			return
		}
		a.SetDeadline(time.Now().Add(5 * time.Second))
		s := tls.Server(a, px.tls)
		err = s.Handshake()
		if err == nil {
			_, err = s.Read(make([]byte, 1)) // TLS 1.3: let client read the verdict
		}
		s.Close()
		errc <- err
	}()
	b, _ := net.Dial("tcp", ln.Addr().String())
	b.SetDeadline(time.Now().Add(5 * time.Second))
	c := tls.Client(b, &tls.Config{RootCAs: roots, ServerName: "localhost", Certificates: []tls.Certificate{cc}})
	c.Handshake()
	c.Write([]byte("x"))
	c.Close()
	err = <-errc
	if err == io.EOF {
		return nil
	}
	return err
}

func TestRevokedIntermediateRefusedOnAnyChain(t *testing.T) {
	p := newRevPKI(t)
	rootOnly := x509.NewCertPool()
	rootOnly.AddCert(p.root.c)
	if err := p.handshake(t, rootOnly, true); err == nil {
		t.Fatal("a root-only pool accepted a leaf under a revoked intermediate")
	}
	// With the intermediate also in the pool, Go builds a short chain ending at it beside the
	// full one; the revocation the full chain shows must win. (A pool of roots only, which the
	// CLI enforces, leaves no short chain at all.)
	both := x509.NewCertPool()
	both.AddCert(p.root.c)
	both.AddCert(p.inter.c)
	if err := p.handshake(t, both, true); err == nil {
		t.Fatal("a revoked intermediate was accepted because it was also a trust anchor")
	}
}

// An upstream that accepts any Upgrade and then reads plain HTTP/1.1 on the tunnel.
func TestOnlyWebSocketUpgradesPass(t *testing.T) {
	p := newRevPKI(t)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	got := make(chan string, 4)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		r1, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		got <- "first: verify=" + r1.Header.Get("X-Client-Verify") + " upgrade=" + r1.Header.Get("Upgrade")
		fmt.Fprintf(c, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: %s\r\n\r\n", r1.Header.Get("Upgrade"))
		r2, err := http.ReadRequest(br)
		if err != nil {
			got <- "second: " + err.Error()
			return
		}
		got <- "second (tunnelled): verify=" + r2.Header.Get("X-Client-Verify") + " subject=" + r2.Header.Get("X-Client-Cert-Subject")
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	}()
	up, _ := url.Parse("http://" + ln.Addr().String())
	pool := x509.NewCertPool()
	pool.AddCert(p.root.c)
	px, err := New(Options{Upstream: up, Certs: staticSource{&tls.Certificate{Certificate: [][]byte{p.server.c.Raw}, PrivateKey: p.server.k}}, ClientCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	pl, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go px.Serve(ctx, pl)
	c := p.dialHTTP1(t, pl.Addr().String())
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("an h2c upgrade got %s, want 400", resp.Status)
	}
	io.WriteString(c, "GET /admin HTTP/1.1\r\nHost: localhost\r\nX-Client-Verify: SUCCESS\r\nX-Client-Cert-Subject: CN=admin\r\n\r\n")
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	resp2, err := http.ReadResponse(br, nil)
	if err == nil {
		t.Logf("client got second %s", resp2.Status)
	}
	for i := 0; i < 2; i++ {
		select {
		case s := <-got:
			t.Log("upstream saw " + s)
			if strings.Contains(s, "verify=SUCCESS") || strings.Contains(s, "upgrade=h2c") {
				t.Error("the upstream saw the upgrade or a forged identity: " + s)
			}
		case <-time.After(3 * time.Second):
		}
	}
}
