package crl_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/anchorpki/anchor/store"
)

// source is an in-memory crl.RevocationSource over a slice: an honest data source for the
// encoder, which also remembers what it was asked and can fail after a number of rows the way a
// database connection can.
type source struct {
	rows      []store.Revocation
	failAfter int   // with err set: fail after this many rows
	err       error // returned after failAfter rows

	mu       sync.Mutex
	gotKeyID []byte
	gotAsOf  time.Time
}

func (s *source) Revoked(ctx context.Context, issuerKeyID []byte, asOf time.Time, fn func(store.Revocation) error) error {
	s.mu.Lock()
	s.gotKeyID, s.gotAsOf = issuerKeyID, asOf
	s.mu.Unlock()
	for i, r := range s.rows {
		if s.err != nil && i == s.failAfter {
			return s.err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	if s.err != nil {
		return s.err
	}
	return nil
}

// ca is a self-signed CA certificate and its key.
type ca struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// Keys are slow to make under -race (RSA especially); each kind is made once per test binary.
var cas sync.Map // kind → func() ca

func testCA(t testing.TB, kind string) ca {
	t.Helper()
	f, _ := cas.LoadOrStore(kind, sync.OnceValue(func() ca { return newCA(t, kind) }))
	return f.(func() ca)()
}

func newKey(t testing.TB, kind string) crypto.Signer {
	t.Helper()
	var k crypto.Signer
	var err error
	switch kind {
	case "P-224":
		k, err = ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	case "P-256":
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "P-384":
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "P-521":
		k, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "RSA-2048":
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case "Ed25519":
		_, k, err = ed25519.GenerateKey(rand.Reader)
	default:
		t.Fatalf("unknown key kind %q", kind)
	}
	if err != nil {
		t.Fatalf("generating %s key: %v", kind, err)
	}
	return k
}

// newCA makes a self-signed CA; x509.CreateCertificate gives it a subject key identifier.
func newCA(t testing.TB, kind string) ca {
	t.Helper()
	key := newKey(t, kind)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Anchor Test CA " + kind, Organization: []string{"Anchor"}},
		NotBefore:             time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2060, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatalf("creating %s CA: %v", kind, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return ca{cert: cert, key: key}
}

// newLeaf issues an end-entity certificate with the given serial under c.
func newLeaf(t testing.TB, c ca, serial *big.Int) *x509.Certificate {
	t.Helper()
	key := newKey(t, "P-256")
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "leaf.test"},
		DNSNames:     []string{"leaf.test"},
		NotBefore:    time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2034, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, key.Public(), c.key)
	if err != nil {
		t.Fatalf("issuing leaf %x: %v", serial, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// hexInt parses a hexadecimal serial for test tables.
func hexInt(t testing.TB, s string) *big.Int {
	t.Helper()
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		t.Fatalf("bad hex %q", s)
	}
	return n
}

// stdCreate is x509.CreateRevocationList over the same input, the reference encoding.
func stdCreate(t testing.TB, rows []store.Revocation, c ca, number *big.Int, this, next time.Time) []byte {
	t.Helper()
	entries := make([]x509.RevocationListEntry, len(rows))
	for i, r := range rows {
		entries[i] = x509.RevocationListEntry{SerialNumber: r.Serial, RevocationTime: r.RevokedAt, ReasonCode: r.Reason}
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		RevokedCertificateEntries: entries,
		Number:                    number,
		ThisUpdate:                this,
		NextUpdate:                next,
	}, c.cert, c.key)
	if err != nil {
		t.Fatalf("x509.CreateRevocationList: %v", err)
	}
	return der
}
