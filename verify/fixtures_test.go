package verify

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"
)

// t0 is the fixed clock of every test.
var t0 = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

// node is an issued certificate with its key.
type node struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// spec describes a certificate to issue. Zero fields take defaults: a CA gets keyCertSign and
// cRLSign and ten years; a leaf gets digitalSignature, serverAuth, 90 days and
// www.example.com.
type spec struct {
	cn        string
	subject   *pkix.Name
	ca        bool
	pathLen   *int
	notBefore time.Time
	notAfter  time.Time
	dns       []string
	noSAN     bool
	ips       []net.IP
	emails    []string
	eku       []x509.ExtKeyUsage
	ku        x509.KeyUsage
	key       crypto.Signer
	extra     []pkix.Extension
	sigAlg    x509.SignatureAlgorithm
	mod       func(*x509.Certificate)
}

func intp(i int) *int { return &i }

// newKey returns a P-256 key; keys are generated fresh (P-256 generation is cheap).
func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func serial(t testing.TB) *big.Int {
	t.Helper()
	s, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		t.Fatal(err)
	}
	return s.Add(s, big.NewInt(1))
}

// issue creates the certificate described by s, signed by parent (nil: self-signed).
func issue(t testing.TB, s spec, parent *node) *node {
	t.Helper()
	key := s.key
	if key == nil {
		key = newKey(t)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(t),
		Subject:               pkix.Name{CommonName: s.cn},
		NotBefore:             s.notBefore,
		NotAfter:              s.notAfter,
		BasicConstraintsValid: true,
		IsCA:                  s.ca,
		KeyUsage:              s.ku,
		ExtKeyUsage:           s.eku,
		IPAddresses:           s.ips,
		EmailAddresses:        s.emails,
		ExtraExtensions:       s.extra,
		SignatureAlgorithm:    s.sigAlg,
	}
	if s.subject != nil {
		tmpl.Subject = *s.subject
	}
	if s.ca {
		if tmpl.KeyUsage == 0 {
			tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
		}
		if s.pathLen != nil {
			tmpl.MaxPathLen = *s.pathLen
			tmpl.MaxPathLenZero = *s.pathLen == 0
		} else {
			tmpl.MaxPathLen = -1
		}
		if tmpl.NotBefore.IsZero() {
			tmpl.NotBefore = t0.AddDate(-1, 0, 0)
		}
		if tmpl.NotAfter.IsZero() {
			tmpl.NotAfter = t0.AddDate(10, 0, 0)
		}
	} else {
		tmpl.MaxPathLen = -1
		if tmpl.KeyUsage == 0 {
			tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		}
		if tmpl.ExtKeyUsage == nil {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		}
		if s.dns == nil && !s.noSAN && s.ips == nil && s.emails == nil {
			s.dns = []string{"www.example.com"}
		}
		if tmpl.NotBefore.IsZero() {
			tmpl.NotBefore = t0.AddDate(0, 0, -30)
		}
		if tmpl.NotAfter.IsZero() {
			tmpl.NotAfter = t0.AddDate(0, 0, 60)
		}
	}
	tmpl.DNSNames = s.dns
	if s.mod != nil {
		s.mod(tmpl)
	}
	parentCert, parentKey := tmpl, key
	if parent != nil {
		parentCert, parentKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, key.Public(), parentKey)
	if err != nil {
		t.Fatalf("issuing %s: %v", s.cn, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parsing %s: %v", s.cn, err)
	}
	return &node{cert: c, key: key}
}

// hierarchy is a root, an intermediate and a leaf for www.example.com.
type hierarchy struct {
	root, inter, leaf *node
}

func newHierarchy(t testing.TB) hierarchy {
	t.Helper()
	root := issue(t, spec{cn: "Test Root", ca: true}, nil)
	inter := issue(t, spec{cn: "Test Intermediate", ca: true, pathLen: intp(0)}, root)
	leaf := issue(t, spec{cn: "www.example.com"}, inter)
	return hierarchy{root, inter, leaf}
}

func (h hierarchy) opts() Options {
	return Options{
		Roots:         []*x509.Certificate{h.root.cert},
		Intermediates: []*x509.Certificate{h.inter.cert},
		Host:          "www.example.com",
		At:            t0,
	}
}

func certs(ns ...*node) []*x509.Certificate {
	out := make([]*x509.Certificate, len(ns))
	for i, n := range ns {
		out[i] = n.cert
	}
	return out
}

// run verifies and checks the verdict; when wantFail names a check, that check must fail.
func run(t *testing.T, leaf *node, o Options, wantValid bool, wantFail string) *Result {
	t.Helper()
	r := Verify(context.Background(), leaf.cert, o)
	if r.Valid != wantValid {
		t.Fatalf("Valid = %v, want %v\n%s", r.Valid, wantValid, dump(r))
	}
	if (r.Err() == nil) != wantValid {
		t.Fatalf("Err() = %v with Valid %v", r.Err(), r.Valid)
	}
	if wantFail != "" {
		rej, ok := r.Err().(*Rejection)
		if !ok || !rej.Has(wantFail) {
			t.Fatalf("check %q did not fail\n%s", wantFail, dump(r))
		}
	}
	return r
}

func dump(r *Result) string {
	var b strings.Builder
	for _, c := range r.Checks {
		b.WriteString("  " + string(c.Status) + " " + c.String() + "\n")
	}
	return b.String()
}

func findCheck(r *Result, name string, st Status) (Check, bool) {
	for _, c := range r.Checks {
		if c.Name == name && c.Status == st {
			return c, true
		}
	}
	return Check{}, false
}
