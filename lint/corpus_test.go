package lint_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	zx509 "github.com/zmap/zcrypto/x509"
	zl "github.com/zmap/zlint/v3/lint"

	"github.com/anchorpki/anchor/lint"
)

// The corpus is made with crypto/x509 rather than package issuance, whose profiles cannot
// produce most of the bad certificates below; each one stands for a mistake a profile or a
// requester could make.
type corpusCert struct {
	name string
	der  []byte
	// wantBlocking names lints that must refuse this certificate; nil: it must pass.
	wantBlocking []string
}

var (
	corpusOnce sync.Once
	corpus     []corpusCert
)

// now is inside every effective window the corpus means to hit, including the 200-day limit
// on server certificates (CA/B Forum ballot SC-081, from 2026-03-15).
var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func testCorpus(t testing.TB) []corpusCert {
	t.Helper()
	corpusOnce.Do(func() { corpus = buildCorpus(t) })
	return corpus
}

func buildCorpus(t testing.TB) []corpusCert {
	t.Helper()
	ecKey := func() crypto.Signer {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	rootKey, interKey := ecKey(), ecKey()
	orgCN := func(cn string) pkix.Name { return pkix.Name{Organization: []string{"Test"}, CommonName: cn} }
	var serial int64
	create := func(tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) []byte {
		t.Helper()
		serial++
		tmpl.SerialNumber = big.NewInt(1<<40 + serial)
		if tmpl.NotBefore.IsZero() {
			tmpl.NotBefore = now.Add(-time.Minute)
		}
		if tmpl.NotAfter.IsZero() {
			tmpl.NotAfter = now.Add(90 * 24 * time.Hour)
		}
		if parent == nil {
			parent = tmpl
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	rootTmpl := &x509.Certificate{Subject: orgCN("Test Root CA"), IsCA: true, BasicConstraintsValid: true, MaxPathLen: -1,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature, NotAfter: now.Add(10 * 365 * 24 * time.Hour)}
	rootDER := create(rootTmpl, nil, rootKey.Public(), rootKey)
	root, _ := x509.ParseCertificate(rootDER)
	interTmpl := &x509.Certificate{Subject: orgCN("Test Intermediate CA"), IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature, NotAfter: now.Add(5 * 365 * 24 * time.Hour),
		OCSPServer: []string{"http://ca.test/ocsp"}, IssuingCertificateURL: []string{"http://ca.test/root.crt"},
		CRLDistributionPoints: []string{"http://ca.test/root.crl"}}
	interDER := create(interTmpl, root, interKey.Public(), rootKey)
	inter, _ := x509.ParseCertificate(interDER)

	leaf := func(eku x509.ExtKeyUsage, pub crypto.PublicKey, edit func(*x509.Certificate)) []byte {
		t.Helper()
		tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: "www.example.com"}, DNSNames: []string{"www.example.com"},
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{eku}, BasicConstraintsValid: true,
			OCSPServer: []string{"http://ca.test/ocsp"}, IssuingCertificateURL: []string{"http://ca.test/ca.crt"},
			CRLDistributionPoints: []string{"http://ca.test/intermediate.crl"}}
		if edit != nil {
			edit(tmpl)
		}
		return create(tmpl, inter, pub, interKey)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	server := x509.ExtKeyUsageServerAuth
	client := x509.ExtKeyUsageClientAuth
	clientEdit := func(email string) func(*x509.Certificate) {
		return func(c *x509.Certificate) {
			c.Subject, c.DNSNames, c.EmailAddresses = pkix.Name{CommonName: "alice"}, nil, []string{email}
		}
	}
	badCA := &x509.Certificate{Subject: orgCN("Bad CA"), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature, NotAfter: now.Add(365 * 24 * time.Hour)}
	badCAKey := ecKey()
	return []corpusCert{
		{name: "root", der: rootDER},
		{name: "intermediate", der: interDER},
		{name: "server", der: leaf(server, ecKey().Public(), nil)},
		{name: "server rsa", der: leaf(server, rsaKey.Public(), func(c *x509.Certificate) {
			c.KeyUsage |= x509.KeyUsageKeyEncipherment
		})},
		{name: "server ed25519", der: leaf(server, edPub, nil)},
		{name: "server private ip (exempt only)", der: leaf(server, ecKey().Public(), func(c *x509.Certificate) {
			c.IPAddresses = []net.IP{net.ParseIP("10.0.0.1")}
		})},
		{name: "client", der: leaf(client, ecKey().Public(), clientEdit("alice@example.com"))},
		{name: "ocsp signer", der: leaf(x509.ExtKeyUsageOCSPSigning, ecKey().Public(), func(c *x509.Certificate) {
			c.Subject, c.DNSNames, c.OCSPServer, c.IssuingCertificateURL, c.CRLDistributionPoints = pkix.Name{CommonName: "OCSP"}, nil, nil, nil, nil
			c.ExtraExtensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 5}, Value: []byte{0x05, 0x00}}}
		})},

		{name: "server bad SAN", der: leaf(server, ecKey().Public(), func(c *x509.Certificate) {
			c.DNSNames = append(c.DNSNames, "bad!name.example.com")
		}), wantBlocking: []string{"e_dnsname_bad_character_in_label"}},
		{name: "server validity too long", der: leaf(server, ecKey().Public(), func(c *x509.Certificate) {
			c.NotAfter = now.Add(400 * 24 * time.Hour)
		}), wantBlocking: []string{"e_server_cert_valid_time_longer_than_200_days"}},
		{name: "server without SAN", der: leaf(server, ecKey().Public(), func(c *x509.Certificate) {
			c.DNSNames = nil
		}), wantBlocking: []string{"e_ext_san_missing"}},
		{name: "client bad email", der: leaf(client, ecKey().Public(), clientEdit("Alice <alice@example.com>")),
			wantBlocking: []string{"e_ext_san_rfc822_format_invalid"}},
		{name: "CA without keyCertSign", der: create(badCA, nil, badCAKey.Public(), badCAKey),
			wantBlocking: []string{"e_ca_key_cert_sign_not_set"}},
	}
}

// zlintReport is what Report returned before the set was resolved to shared instances: zlint's
// own CertificateLint.Execute, a fresh lint for every run, over the same registry filter.
func zlintReport(t testing.TB, der []byte) []lint.Finding {
	t.Helper()
	reg, err := zl.GlobalRegistry().Filter(zl.FilterOptions{IncludeSources: lint.DefaultSources})
	if err != nil {
		t.Fatal(err)
	}
	c, err := zx509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	var out []lint.Finding
	for _, cl := range reg.CertificateLints().Lints() {
		r := cl.Execute(c, reg.GetConfiguration())
		if r.Status < zl.Notice || r.Status == zl.Reserved {
			continue
		}
		out = append(out, lint.Finding{Lint: cl.Name, Source: string(cl.Source), Status: strings.ToLower(r.Status.String()),
			Details: r.Details, Exempt: slices.Contains(lint.PrivateCAExemptions, cl.Name)})
	}
	slices.SortFunc(out, func(a, b lint.Finding) int { return strings.Compare(a.Lint, b.Lint) })
	return out
}

// blockingOf is what Lint must refuse a certificate for, given its full report.
func blockingOf(report []lint.Finding) []lint.Finding {
	var out []lint.Finding
	for _, f := range report {
		if !f.Exempt && (f.Status == "error" || f.Status == "fatal") {
			out = append(out, f)
		}
	}
	return out
}
