package challenge_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/acme"

	"github.com/anchorpki/anchor/challenge"
	"github.com/anchorpki/anchor/internal/testkit/dnsserver"
)

// acmeIdentifierExt builds RFC 8737's extension: an OCTET STRING holding SHA-256(keyAuth).
func acmeIdentifierExt(t *testing.T, keyAuth string, critical bool) pkix.Extension {
	t.Helper()
	sum := sha256.Sum256([]byte(keyAuth))
	val, err := asn1.Marshal(sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return pkix.Extension{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 31}, Critical: critical, Value: val}
}

// alpnCert builds a self-signed challenge certificate the way a client would, with whatever
// names and extensions the test asks for.
func alpnCert(t *testing.T, dnsNames []string, ips []net.IP, exts ...pkix.Extension) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:    big.NewInt(1),
		Subject:         pkix.Name{CommonName: "ACME challenge"},
		NotBefore:       time.Now().Add(-time.Hour),
		NotAfter:        time.Now().Add(time.Hour),
		DNSNames:        dnsNames,
		IPAddresses:     ips,
		ExtraExtensions: exts,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// tlsTarget is a real TLS server on loopback that records the SNI it was asked for.
type tlsTarget struct {
	port int
	mu   sync.Mutex
	sni  []string
}

func (s *tlsTarget) names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.sni...)
}

func startTLS(t *testing.T, host string, cert tls.Certificate, protos []string, maxVersion uint16) *tlsTarget {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Skipf("cannot listen on %s: %v", host, err)
	}
	t.Cleanup(func() { l.Close() })
	s := &tlsTarget{port: portOf(t, l.Addr())}
	cfg := &tls.Config{
		NextProtos: protos,
		MaxVersion: maxVersion,
		MinVersion: tls.VersionTLS10,
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			s.mu.Lock()
			s.sni = append(s.sni, hello.ServerName)
			s.mu.Unlock()
			return &cert, nil
		},
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				tc := tls.Server(c, cfg)
				_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
				_ = tc.Handshake()
			}()
		}
	}()
	return s
}

// TestTLSALPN01WithXCryptoCert uses the certificate golang.org/x/crypto/acme builds for a
// client (the same shape certbot and lego serve), so our reading of RFC 8737 is cross-checked.
func TestTLSALPN01WithXCryptoCert(t *testing.T) {
	t.Parallel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	client := &acme.Client{Key: key}
	cert, err := client.TLSALPN01ChallengeCert(token, "a.test")
	if err != nil {
		t.Fatal(err)
	}
	thumb, err := acme.JWKThumbprint(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	ka := token + "." + thumb

	dns := dnsserver.Start(t)
	dns.Add(t, "a.test. A 127.0.0.1")
	srv := startTLS(t, "127.0.0.1", cert, []string{"acme-tls/1"}, 0)
	v := newValidator(t, dns, challenge.Options{TLSALPN01Port: srv.port})
	if err := v.TLSALPN01(t.Context(), "a.test", ka); err != nil {
		t.Fatalf("TLSALPN01 = %v", err)
	}
	if got := srv.names(); len(got) != 1 || got[0] != "a.test" {
		t.Errorf("SNI = %q; want [a.test]", got)
	}
	wantError(t, v.TLSALPN01(t.Context(), "a.test", token+".someone-else"), challenge.IncorrectResponse,
		"acmeIdentifier is", "expected SHA-256 of the key authorization")
}

func TestTLSALPN01(t *testing.T) {
	t.Parallel()
	good := acmeIdentifierExt(t, keyAuth, true)
	tests := []struct {
		name   string
		cert   tls.Certificate
		protos []string
		maxVer uint16
		kind   challenge.Kind // 0: success
		parts  []string
	}{
		{"valid", alpnCert(t, []string{"a.test"}, nil, good), []string{"acme-tls/1"}, 0, 0, nil},
		{"SAN differs in case", alpnCert(t, []string{"A.TEST"}, nil, good), []string{"acme-tls/1"}, 0, 0, nil},
		{"TLS 1.2", alpnCert(t, []string{"a.test"}, nil, good), []string{"acme-tls/1"}, tls.VersionTLS12, 0, nil},
		{"no ALPN", alpnCert(t, []string{"a.test"}, nil, good), nil, 0, challenge.TLS,
			[]string{`did not negotiate ALPN protocol "acme-tls/1"`}},
		{"TLS 1.1 only", alpnCert(t, []string{"a.test"}, nil, good), []string{"acme-tls/1"}, tls.VersionTLS11, challenge.TLS,
			[]string{"TLS handshake with 127.0.0.1:", "(SNI a.test)"}},
		{"wrong SAN", alpnCert(t, []string{"b.test"}, nil, good), []string{"acme-tls/1"}, 0, challenge.IncorrectResponse,
			[]string{`subjectAltName must hold exactly "a.test", found ["b.test"]`}},
		{"two SANs", alpnCert(t, []string{"a.test", "b.test"}, nil, good), []string{"acme-tls/1"}, 0, challenge.IncorrectResponse,
			[]string{"(2 entries)"}},
		{"extra IP SAN", alpnCert(t, []string{"a.test"}, []net.IP{net.IPv4(127, 0, 0, 1)}, good), []string{"acme-tls/1"}, 0,
			challenge.IncorrectResponse, []string{"(2 entries)"}},
		{"missing extension", alpnCert(t, []string{"a.test"}, nil), []string{"acme-tls/1"}, 0, challenge.IncorrectResponse,
			[]string{"no acmeIdentifier extension (1.3.6.1.5.5.7.1.31)"}},
		{"non-critical extension", alpnCert(t, []string{"a.test"}, nil, acmeIdentifierExt(t, keyAuth, false)), []string{"acme-tls/1"}, 0,
			challenge.IncorrectResponse, []string{"must be critical"}},
		{"wrong digest", alpnCert(t, []string{"a.test"}, nil, acmeIdentifierExt(t, "other", true)), []string{"acme-tls/1"}, 0,
			challenge.IncorrectResponse, []string{"acmeIdentifier is"}},
		{"digest not an OCTET STRING", alpnCert(t, []string{"a.test"}, nil, pkix.Extension{
			Id: asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 31}, Critical: true, Value: []byte{0x05, 0x00}}), []string{"acme-tls/1"}, 0,
			challenge.IncorrectResponse, []string{"must be an OCTET STRING"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dns := dnsserver.Start(t)
			dns.Add(t, "a.test. A 127.0.0.1")
			srv := startTLS(t, "127.0.0.1", tc.cert, tc.protos, tc.maxVer)
			v := newValidator(t, dns, challenge.Options{TLSALPN01Port: srv.port})
			err := v.TLSALPN01(t.Context(), "a.test", keyAuth)
			if tc.kind == 0 {
				if err != nil {
					t.Fatalf("TLSALPN01 = %v", err)
				}
				return
			}
			wantError(t, err, tc.kind, tc.parts...)
		})
	}
}

// TestTLSALPN01IPIdentifier: RFC 8738 §6 sends the reverse name as SNI and expects the address
// as an iPAddress SAN.
func TestTLSALPN01IPIdentifier(t *testing.T) {
	t.Parallel()
	tests := []struct{ ip, sni string }{
		{"127.0.0.1", "1.0.0.127.in-addr.arpa"},
		{"::1", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa"},
	}
	for _, tc := range tests {
		t.Run(tc.ip, func(t *testing.T) {
			t.Parallel()
			ip := net.ParseIP(tc.ip)
			cert := alpnCert(t, nil, []net.IP{ip}, acmeIdentifierExt(t, keyAuth, true))
			srv := startTLS(t, tc.ip, cert, []string{"acme-tls/1"}, 0)
			dns := dnsserver.Start(t)
			v := newValidator(t, dns, challenge.Options{TLSALPN01Port: srv.port})
			if err := v.TLSALPN01(t.Context(), tc.ip, keyAuth); err != nil {
				t.Fatalf("TLSALPN01(%s) = %v", tc.ip, err)
			}
			if got := srv.names(); len(got) != 1 || got[0] != tc.sni {
				t.Errorf("SNI = %q; want %q", got, tc.sni)
			}
			if q := dns.Queries(); len(q) != 0 {
				t.Errorf("an IP identifier caused DNS queries %q", q)
			}

			// A DNS-name SAN does not prove control of an address.
			wrong := startTLS(t, tc.ip, alpnCert(t, []string{tc.sni}, nil, acmeIdentifierExt(t, keyAuth, true)), []string{"acme-tls/1"}, 0)
			v = newValidator(t, dns, challenge.Options{TLSALPN01Port: wrong.port})
			wantError(t, v.TLSALPN01(t.Context(), tc.ip, keyAuth), challenge.IncorrectResponse, "subjectAltName must hold exactly")
		})
	}
}

func TestTLSALPN01Failures(t *testing.T) {
	t.Parallel()

	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		dns := dnsserver.Start(t)
		dns.Add(t, "a.test. A 127.0.0.1")
		port := closedPort(t, "tcp")
		v := newValidator(t, dns, challenge.Options{TLSALPN01Port: port})
		wantError(t, v.TLSALPN01(t.Context(), "a.test", keyAuth), challenge.Connection, "connecting to 127.0.0.1:", "connection refused")
	})

	t.Run("context cancelled during handshake", func(t *testing.T) {
		t.Parallel()
		l, err := net.Listen("tcp", "127.0.0.1:0") // accepts (kernel backlog), never speaks TLS
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		dns := dnsserver.Start(t)
		dns.Add(t, "a.test. A 127.0.0.1")
		v := newValidator(t, dns, challenge.Options{TLSALPN01Port: portOf(t, l.Addr())})
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(100*time.Millisecond, cancel)
		err = v.TLSALPN01(ctx, "a.test", keyAuth)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("TLSALPN01 = %v; want an error wrapping context.Canceled", err)
		}
		wantError(t, err, challenge.Connection, "validation cancelled")
	})

	t.Run("wildcard is the caller's bug", func(t *testing.T) {
		t.Parallel()
		v := newValidator(t, dnsserver.Start(t), challenge.Options{})
		err := v.TLSALPN01(t.Context(), "*.a.test", keyAuth)
		if _, ok := errors.AsType[*challenge.Error](err); err == nil || ok {
			t.Fatalf("TLSALPN01(wildcard) = %v; want a plain (serverInternal) error", err)
		}
	})
}
