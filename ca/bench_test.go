package ca_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/keys"
)

// The three benchmarks of issue 2, run together so their ratios come from one machine state:
//
//	BenchmarkSignRaw            one ECDSA P-256 signature: the physical limit
//	BenchmarkCreateCertificate  x509.CreateCertificate of a typical leaf: the standard library's ceiling
//	BenchmarkIssue              the authority's whole path, durable SQLite record included
//
// Compare with: go test -run '^$' -bench . ./ca/  (ratios: ns/op of SignRaw over the others).

func BenchmarkSignRaw(b *testing.B) {
	k, err := keys.Generate(keys.ECP256, nil)
	if err != nil {
		b.Fatal(err)
	}
	digest := sha256.Sum256([]byte("tbs"))
	for b.Loop() {
		if _, err := k.Sign(rand.Reader, digest[:], nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCreateCertificate(b *testing.B) {
	f := newFixture(b, ca.Options{})
	leafKey, _ := keys.Generate(keys.ECP256, nil)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "www.example.com"},
		DNSNames: []string{"www.example.com"}, NotBefore: time.Now(), NotAfter: time.Now().Add(90 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, OCSPServer: []string{"http://127.0.0.1:8080/ocsp"},
		CRLDistributionPoints: []string{"http://127.0.0.1:8080/crl/intermediate.crl"},
	}
	parentKey := f.h.IntermediateKey.(*ecdsa.PrivateKey)
	for b.Loop() {
		if _, err := x509.CreateCertificate(rand.Reader, tmpl, f.h.Intermediate, leafKey.Public(), parentKey); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIssue runs concurrent callers (16 per core) so the store's group commit can batch
// their durable records, as a busy CA server's requests would. Its ns/op moves with the disk's
// fsync latency, which on a shared machine varies by a factor of two between runs; cpu-µs/op
// (the whole process, store writer included) is the steadier measure of the work per
// certificate, and what bounds ns/op once fsyncs are amortised.
func BenchmarkIssue(b *testing.B) {
	f := newFixture(b, ca.Options{})
	req := serverRequest(b, "www.example.com")
	ctx := context.Background()
	b.SetParallelism(16)
	b.ResetTimer()
	cpu0, cpuOK := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := f.auth.Issue(ctx, req); err != nil {
				b.Error(err)
				return
			}
		}
	})
	if cpu1, ok := processCPU(); ok && cpuOK {
		b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
	}
}

// BenchmarkIssueSerial is one caller at a time: every record is its own fsync'd commit.
func BenchmarkIssueSerial(b *testing.B) {
	f := newFixture(b, ca.Options{})
	req := serverRequest(b, "www.example.com")
	ctx := context.Background()
	for b.Loop() {
		if _, err := f.auth.Issue(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}
