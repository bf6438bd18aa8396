package issuance_test

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
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/issuance"
	"github.com/anchorpki/anchor/lint"
	"github.com/anchorpki/anchor/names"
)

var fixedNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func cn(s string) []byte {
	b, _ := asn1.Marshal(pkix.RDNSequence{{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: s}}})
	return b
}

// caName is "O=Test, CN=<cn>": CA subjects carry an organisation (BR §7.1.2.10.2).
func caName(s string) []byte {
	b, _ := asn1.Marshal(pkix.RDNSequence{
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 10}, Value: "Test"}},
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: s}},
	})
	return b
}

func mustSerial(t testing.TB) *big.Int {
	s, err := issuance.NewSerial(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// hierarchy makes a root and an intermediate with keys of one kind, through this package only.
func hierarchy(t testing.TB, gen func() crypto.Signer) (root, inter *x509.Certificate, interIss *issuance.Issuer) {
	t.Helper()
	l, err := lint.New(lint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rootKey, interKey := gen(), gen()
	self, err := issuance.NewSelfSigned(rootKey, issuance.Options{Linter: l, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	root = sign(t, self, issuance.Request{PublicKey: rootKey.Public(), Subject: caName("Test Root CA"), Profile: issuance.Root, Serial: mustSerial(t)})
	rootIss, err := issuance.New(issuance.Options{Cert: root, Signer: rootKey, Linter: l, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	inter = sign(t, rootIss, issuance.Request{PublicKey: interKey.Public(), Subject: caName("Test Intermediate CA"), Profile: issuance.Intermediate,
		Serial: mustSerial(t), PermittedDNS: []string{"example.com"}})
	interIss, err = issuance.New(issuance.Options{Cert: inter, Signer: interKey, Linter: l, Now: func() time.Time { return fixedNow },
		OCSPURL: "http://127.0.0.1/ocsp", CRLURL: "http://127.0.0.1/crl", CAIssuersURL: "http://127.0.0.1/ca.crt"})
	if err != nil {
		t.Fatal(err)
	}
	return root, inter, interIss
}

func sign(t testing.TB, iss *issuance.Issuer, req issuance.Request) *x509.Certificate {
	t.Helper()
	p, err := iss.Prepare(req)
	if err != nil {
		t.Fatalf("Prepare(%s): %v", req.Profile.Name, err)
	}
	der, err := iss.Sign(p)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("our DER does not parse: %v", err)
	}
	return c
}

var keyKinds = []struct {
	name string
	gen  func() crypto.Signer
}{
	{"ec-p256", func() crypto.Signer { k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader); return k }},
	{"ec-p384", func() crypto.Signer { k, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader); return k }},
	{"ed25519", func() crypto.Signer { _, k, _ := ed25519.GenerateKey(rand.Reader); return k }},
	{"rsa-2048", func() crypto.Signer { k, _ := rsa.GenerateKey(rand.Reader, 2048); return k }},
}

// TestChainForEveryKeyType builds a whole chain per key type and checks what Go parses out of our
// hand-encoded DER, field by field, and that Go's verifier accepts the chain for the name.
func TestChainForEveryKeyType(t *testing.T) {
	t.Parallel()
	for _, kk := range keyKinds {
		t.Run(kk.name, func(t *testing.T) {
			t.Parallel()
			root, inter, iss := hierarchy(t, kk.gen)
			leafKey := kk.gen()
			sans, _ := names.ParseSANs([]string{"www.example.com", "10.1.2.3", "::1"})
			leaf := sign(t, iss, issuance.Request{PublicKey: leafKey.Public(), Subject: cn("www.example.com"), SANs: sans,
				Profile: issuance.Server, Serial: mustSerial(t)})

			if !root.IsCA || root.MaxPathLen != -1 || root.KeyUsage&x509.KeyUsageCertSign == 0 || !slices.Equal(root.AuthorityKeyId, root.SubjectKeyId) {
				t.Errorf("root: IsCA %v MaxPathLen %d KeyUsage %b", root.IsCA, root.MaxPathLen, root.KeyUsage)
			}
			if !inter.IsCA || inter.MaxPathLen != 0 || !inter.MaxPathLenZero || !slices.Equal(inter.AuthorityKeyId, root.SubjectKeyId) ||
				!slices.Equal(inter.PermittedDNSDomains, []string{"example.com"}) || !inter.PermittedDNSDomainsCritical {
				t.Errorf("intermediate: %+v", inter)
			}
			wantKU := x509.KeyUsageDigitalSignature
			if kk.name == "rsa-2048" {
				wantKU |= x509.KeyUsageKeyEncipherment
			}
			if leaf.IsCA || leaf.KeyUsage != wantKU || !slices.Equal(leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
				t.Errorf("leaf: IsCA %v KeyUsage %b EKU %v", leaf.IsCA, leaf.KeyUsage, leaf.ExtKeyUsage)
			}
			if len(leaf.IPAddresses) != 2 || !leaf.IPAddresses[0].Equal(net.ParseIP("10.1.2.3")) || leaf.DNSNames[0] != "www.example.com" {
				t.Errorf("leaf SANs: %v %v", leaf.DNSNames, leaf.IPAddresses)
			}
			if leaf.OCSPServer[0] != "http://127.0.0.1/ocsp" || leaf.IssuingCertificateURL[0] != "http://127.0.0.1/ca.crt" || leaf.CRLDistributionPoints[0] != "http://127.0.0.1/crl" {
				t.Errorf("leaf pointers: %v %v %v", leaf.OCSPServer, leaf.IssuingCertificateURL, leaf.CRLDistributionPoints)
			}
			if !leaf.NotBefore.Equal(fixedNow.Add(-issuance.Backdate)) || !leaf.NotAfter.Equal(leaf.NotBefore.Add(90*24*time.Hour-time.Second)) {
				// 90 days with both ends counted (RFC 5280), as issuance.Lifetime(now, 90) gives
				t.Errorf("leaf validity %s – %s", leaf.NotBefore, leaf.NotAfter)
			}
			roots, inters := x509.NewCertPool(), x509.NewCertPool()
			roots.AddCert(root)
			inters.AddCert(inter)
			if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters, DNSName: "www.example.com", CurrentTime: fixedNow}); err != nil {
				t.Errorf("verify: %v", err)
			}
		})
	}
}

// TestOpenSSLParsesOurDER hands the hand-encoded certificates to openssl's strict DER parser.
func TestOpenSSLParsesOurDER(t *testing.T) {
	t.Parallel()
	openssl := testkit.OpenSSL(t)
	root, inter, iss := hierarchy(t, keyKinds[0].gen)
	leafKey := keyKinds[0].gen()
	sans, _ := names.ParseSANs([]string{"www.example.com", "alice@example.com", "spiffe://example.com/web"})
	leaf := sign(t, iss, issuance.Request{PublicKey: leafKey.Public(), Subject: cn("www.example.com"), SANs: sans,
		Profile: issuance.Server, Serial: mustSerial(t)})
	dir := t.TempDir()
	for name, c := range map[string]*x509.Certificate{"root.pem": root, "inter.pem": inter, "leaf.pem": leaf} {
		os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}), 0o644)
	}
	out := testkit.Run(t, dir, openssl, "x509", "-in", "leaf.pem", "-noout", "-text").Stdout
	for _, want := range []string{"TLS Web Server Authentication", "DNS:www.example.com", "email:alice@example.com",
		"URI:spiffe://example.com/web", "CA:FALSE", "Digital Signature", "OCSP - URI:http://127.0.0.1/ocsp"} {
		if !strings.Contains(out, want) {
			t.Errorf("openssl x509 -text lacks %q:\n%s", want, out)
		}
	}
	r := testkit.Exec(t, dir, nil, openssl, "verify", "-attime", "1795435200", "-CAfile", "root.pem", "-untrusted", "inter.pem", "-purpose", "sslserver", "leaf.pem")
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, "leaf.pem: OK") {
		t.Fatalf("openssl verify: %s", r.Combined())
	}
}

func TestPrepareRefusals(t *testing.T) {
	t.Parallel()
	_, inter, iss := hierarchy(t, keyKinds[0].gen)
	pub := keyKinds[0].gen().Public()
	dns, _ := names.ParseSANs([]string{"www.example.com"})
	tests := []struct {
		name    string
		req     issuance.Request
		wantErr error
	}{
		{"server without SAN", issuance.Request{PublicKey: pub, Subject: cn("x"), Profile: issuance.Server, Serial: big.NewInt(5)}, issuance.ErrNoSAN},
		{"over profile maximum", issuance.Request{PublicKey: pub, SANs: dns, Profile: issuance.Server, Serial: big.NewInt(5),
			NotAfter: fixedNow.Add(399 * 24 * time.Hour)}, issuance.ErrValidity},
		{"after issuer", issuance.Request{PublicKey: pub, SANs: dns, Profile: issuance.Server, Serial: big.NewInt(5),
			NotBefore: inter.NotAfter.Add(-24 * time.Hour), NotAfter: inter.NotAfter.Add(time.Hour)}, issuance.ErrValidity},
		{"ends before it starts", issuance.Request{PublicKey: pub, SANs: dns, Profile: issuance.Server, Serial: big.NewInt(5),
			NotBefore: fixedNow, NotAfter: fixedNow.Add(-time.Hour)}, issuance.ErrValidity},
		{"SAN on a CA", issuance.Request{PublicKey: pub, Subject: cn("x"), SANs: dns, Profile: issuance.Intermediate, Serial: big.NewInt(5)}, issuance.ErrSANNotAllowed},
		{"no profile", issuance.Request{PublicKey: pub, SANs: dns, Serial: big.NewInt(5)}, issuance.ErrUnknownProfile},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := iss.Prepare(tc.req); !errors.Is(err, tc.wantErr) {
				t.Fatalf("Prepare err = %v, want %v", err, tc.wantErr)
			}
		})
	}
	if _, err := iss.Prepare(issuance.Request{PublicKey: pub, SANs: dns, Profile: issuance.Server, Serial: new(big.Int).Lsh(big.NewInt(1), 170)}); err == nil {
		t.Error("a 22-octet serial was accepted")
	}
}

// TestLinterRejectsRFCViolation: the profiles cannot produce an RFC 5280 violation, so the linter
// is handed one made with the standard library: a CA certificate without keyCertSign.
func TestLinterRejectsRFCViolation(t *testing.T) {
	t.Parallel()
	l, err := lint.New(lint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	k := keyKinds[0].gen()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "bad CA"}, NotBefore: fixedNow,
		NotAfter: fixedNow.Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	err = l.Lint(der)
	var rej *lint.RejectedError
	if !errors.As(err, &rej) || !strings.Contains(err.Error(), "e_ca_key_cert_sign_not_set") {
		t.Fatalf("Lint = %v, want a rejection naming e_ca_key_cert_sign_not_set", err)
	}
}

func TestNewRefusesMismatchedKey(t *testing.T) {
	t.Parallel()
	_, inter, _ := hierarchy(t, keyKinds[0].gen)
	if _, err := issuance.New(issuance.Options{Cert: inter, Signer: keyKinds[0].gen()}); !errors.Is(err, issuance.ErrKeyMismatch) {
		t.Fatalf("err = %v, want ErrKeyMismatch", err)
	}
}

func TestNewSerial(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		s := mustSerial(t)
		if s.Sign() <= 0 || len(s.Bytes()) > 16 || s.BitLen() > 127 {
			t.Fatalf("serial %x out of range", s)
		}
		if seen[s.String()] {
			t.Fatal("repeated serial")
		}
		seen[s.String()] = true
	}
	if _, err := issuance.NewSerial(zeroReader{}); err == nil {
		t.Fatal("a source of zeros produced a serial")
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestParseSerial(t *testing.T) {
	for _, ok := range []string{"1", "3a7f09c2e1d5b4a8", "3A:7F:09", "7f" + strings.Repeat("ff", 19)} {
		if _, err := issuance.ParseSerial(ok); err != nil {
			t.Errorf("ParseSerial(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "0", "00", "-1", "0x12", "xyz", " 12", "ff" + strings.Repeat("ff", 20)} {
		if _, err := issuance.ParseSerial(bad); !errors.Is(err, issuance.ErrBadSerial) {
			t.Errorf("ParseSerial(%q) = %v, want ErrBadSerial", bad, err)
		}
	}
}
