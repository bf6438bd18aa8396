package csr_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/anchorpki/anchor/csr"
	"github.com/anchorpki/anchor/names"
)

// testKeys are generated once: RSA generation is slow on a shared machine.
var testKeys = sync.OnceValue(func() map[string]crypto.Signer {
	must := func(k crypto.Signer, err error) crypto.Signer {
		if err != nil {
			panic(err)
		}
		return k
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return map[string]crypto.Signer{
		"p256":    must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)),
		"p384":    must(ecdsa.GenerateKey(elliptic.P384(), rand.Reader)),
		"p521":    must(ecdsa.GenerateKey(elliptic.P521(), rand.Reader)),
		"rsa2048": must(rsa.GenerateKey(rand.Reader, 2048)),
		"ed25519": ed,
	}
})

func TestCreate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key  string
		want x509.SignatureAlgorithm
	}{
		{"p256", x509.ECDSAWithSHA256},
		{"p384", x509.ECDSAWithSHA384},
		{"p521", x509.ECDSAWithSHA512},
		{"rsa2048", x509.SHA256WithRSA},
		{"ed25519", x509.PureEd25519},
	}
	subject, err := names.ParseSubject("/C=US/O=Acme, Inc./CN=café.example")
	if err != nil {
		t.Fatal(err)
	}
	sans, err := names.ParseSANs([]string{"a.example", "*.b.example", "10.0.0.1", "::1", "ops@a.example", "spiffe://a.example/svc"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			t.Parallel()
			der, err := csr.Create(csr.Request{Key: testKeys()[tc.key], Subject: subject, SANs: sans})
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			req, err := csr.Parse(der)
			if err != nil {
				t.Fatalf("Parse(Create()): %v", err)
			}
			if req.SignatureAlgorithm != tc.want {
				t.Errorf("signature algorithm %v; want %v", req.SignatureAlgorithm, tc.want)
			}
			if got := names.FormatSubject(req.Subject.ToRDNSequence()); got != "C=US,O=Acme\\, Inc.,CN=café.example" {
				t.Errorf("subject %q", got)
			}
			var got []string
			got = append(got, req.DNSNames...)
			for _, ip := range req.IPAddresses {
				got = append(got, ip.String())
			}
			got = append(got, req.EmailAddresses...)
			for _, u := range req.URIs {
				got = append(got, u.String())
			}
			if !slices.Equal(got, sans.Strings()) {
				t.Errorf("SANs %q; want %q", got, sans.Strings())
			}
			pub, ok := req.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
			if !ok || !pub.Equal(testKeys()[tc.key].Public()) {
				t.Errorf("public key does not match the signing key")
			}
		})
	}
}

func TestCreateKeepsSubjectEncoding(t *testing.T) {
	t.Parallel()
	// RawSubject must carry names' explicit string types: UTF8String for O even though "Acme"
	// is printable, IA5String for emailAddress.
	subject, err := names.ParseSubject("O=Acme,emailAddress=a@b.example")
	if err != nil {
		t.Fatal(err)
	}
	der, err := csr.Create(csr.Request{Key: testKeys()["p256"], Subject: subject})
	if err != nil {
		t.Fatal(err)
	}
	req, err := csr.Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0x30, 0x2b, 0x31, 0x0d, 0x30, 0x0b, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x04, 'A', 'c', 'm', 'e'}
	if !slices.Equal(req.RawSubject[:len(want)], want) {
		t.Fatalf("RawSubject %x; want it to start %x", req.RawSubject, want)
	}
	if req.RawSubject[len(req.RawSubject)-13] != 0x16 { // IA5String tag before "a@b.example"
		t.Fatalf("emailAddress is not an IA5String in %x", req.RawSubject)
	}
}

func TestCreateErrors(t *testing.T) {
	t.Parallel()
	subject, err := names.ParseSubject("CN=x")
	if err != nil {
		t.Fatal(err)
	}
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		req     csr.Request
		wantErr error
		msg     string
	}{
		{"no key", csr.Request{Subject: subject}, csr.ErrUnsupportedKey, "csr: unsupported key: no key"},
		{"p224", csr.Request{Key: p224, Subject: subject}, csr.ErrUnsupportedKey, "csr: unsupported key: ECDSA curve P-224"},
		{"nothing to certify", csr.Request{Key: testKeys()["p256"]}, csr.ErrEmpty, "csr: request has neither a subject nor a subject alternative name"},
		{"lying signer", csr.Request{Key: lyingSigner{testKeys()["p256"], testKeys()["p384"]}, Subject: subject}, nil,
			"csr: creating request: x509: signature returned by signer is invalid: x509: ECDSA verification failure"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			der, err := csr.Create(tc.req)
			if err == nil || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) {
				t.Fatalf("Create = %x, %v; want %v", der, err, tc.wantErr)
			}
			if err.Error() != tc.msg {
				t.Errorf("error %q; want %q", err, tc.msg)
			}
		})
	}
}

// lyingSigner claims one public key and signs with another, as a misconfigured HSM might.
type lyingSigner struct {
	crypto.Signer               // signs
	claimed       crypto.Signer // whose Public() is reported
}

func (l lyingSigner) Public() crypto.PublicKey { return l.claimed.Public() }

func TestCreateSANsOnly(t *testing.T) {
	t.Parallel()
	sans, err := names.ParseSANs([]string{"only.example"})
	if err != nil {
		t.Fatal(err)
	}
	der, err := csr.Create(csr.Request{Key: testKeys()["ed25519"], SANs: sans})
	if err != nil {
		t.Fatal(err)
	}
	req, err := csr.Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	if string(req.RawSubject) != "\x30\x00" || !slices.Equal(req.DNSNames, []string{"only.example"}) {
		t.Fatalf("subject %x, DNS %q", req.RawSubject, req.DNSNames)
	}
}
