package tlsinspect_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/internal/testkit/catest"
	"github.com/anchorpki/anchor/issuance"
	"github.com/anchorpki/anchor/names"
)

// pki is a real root → intermediate hierarchy signed by package issuance.
type pki struct {
	root, inter *x509.Certificate
	rootKey     crypto.Signer
	interKey    crypto.Signer
	interIss    *issuance.Issuer
}

func newKey(t testing.TB) crypto.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func subject(t testing.TB, cn string) []byte {
	t.Helper()
	b, err := asn1.Marshal(pkix.Name{Organization: []string{"Probe Test"}, CommonName: cn}.ToRDNSequence())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newPKI(t testing.TB, name string) *pki {
	t.Helper()
	p := &pki{rootKey: newKey(t), interKey: newKey(t)}
	self, err := issuance.NewSelfSigned(p.rootKey, issuance.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p.root = catest.Sign(t, self, issuance.Request{PublicKey: p.rootKey.Public(), Subject: subject(t, name+" Root CA"), Profile: issuance.Root})
	rootIss, err := issuance.New(issuance.Options{Cert: p.root, Signer: p.rootKey})
	if err != nil {
		t.Fatal(err)
	}
	p.inter = catest.Sign(t, rootIss, issuance.Request{PublicKey: p.interKey.Public(), Subject: subject(t, name+" Intermediate CA"),
		Profile: issuance.Intermediate})
	if p.interIss, err = issuance.New(issuance.Options{Cert: p.inter, Signer: p.interKey}); err != nil {
		t.Fatal(err)
	}
	return p
}

// leafOpts varies the leaf certificate.
type leafOpts struct {
	profile             *issuance.Profile // nil: server
	notBefore, notAfter time.Time
}

// leaf issues a certificate for sans (DNS names or IP addresses) and returns it with the
// intermediate, as a server sends it.
func (p *pki) leaf(t testing.TB, o leafOpts, sans ...string) tls.Certificate {
	t.Helper()
	var s names.SANs
	for _, n := range sans {
		if ip := net.ParseIP(n); ip != nil {
			s.IP = append(s.IP, ip)
		} else {
			s.DNS = append(s.DNS, n)
		}
	}
	prof := o.profile
	if prof == nil {
		prof = issuance.Server
	}
	key := newKey(t)
	c := catest.Sign(t, p.interIss, issuance.Request{PublicKey: key.Public(), Subject: subject(t, "probe leaf"), SANs: s,
		Profile: prof, NotBefore: o.notBefore, NotAfter: o.notAfter})
	return tls.Certificate{Certificate: [][]byte{c.Raw, p.inter.Raw}, PrivateKey: key, Leaf: c}
}

// server is a TLS server on 127.0.0.1 that records what clients sent and how handshakes ended.
type server struct {
	addr string
	mu   sync.Mutex
	snis []string
	errs []error
}

func (s *server) lastSNI() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.snis) == 0 {
		return "(no handshake)"
	}
	return s.snis[len(s.snis)-1]
}

// serveTLS runs cfg on a loopback listener until the test ends. Each connection completes its
// handshake, then reads until the client closes, so post-handshake messages are exchanged.
func serveTLS(t testing.TB, cfg *tls.Config) *server {
	t.Helper()
	s := &server{}
	cfg = cfg.Clone()
	cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		s.mu.Lock()
		s.snis = append(s.snis, hello.ServerName)
		s.mu.Unlock()
		return nil, nil
	}
	s.addr = testkit.ServeTCP(t, func(c net.Conn) {
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		tc := tls.Server(c, cfg)
		if err := tc.Handshake(); err != nil {
			s.mu.Lock()
			s.errs = append(s.errs, err)
			s.mu.Unlock()
			return
		}
		io.Copy(io.Discard, tc)
	})
	return s
}

// serveRaw accepts connections and hands them to f: servers that do not speak TLS properly.
func serveRaw(t testing.TB, f func(net.Conn)) string {
	t.Helper()
	done := make(chan struct{})
	addr := testkit.ServeTCP(t, func(c net.Conn) {
		defer c.Close()
		f(c)
		select { // hold the connection until the test ends, if f returned early
		case <-done:
		case <-time.After(5 * time.Second):
		}
	})
	t.Cleanup(func() { close(done) }) // runs before ServeTCP's cleanup waits for the handlers
	return addr
}

// closedAddr is a loopback address where nothing listens.
func closedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
