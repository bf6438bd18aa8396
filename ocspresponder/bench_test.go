package ocspresponder_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"testing"

	"github.com/anchorpki/anchor/ocspresponder"
)

// Benchmarks: the steady state (cached response: one inventory read, no signature), a response
// signed for every request, and the two baselines they are made of, in one run:
//
//	go test -run '^$' -bench . ./ocspresponder
//
// BenchmarkSignRaw is one ECDSA P-256 signature over a SHA-256 digest, the signature every
// uncached response costs; BenchmarkInventoryGet is the indexed read every response costs.
// sigs/op counts the responder key's signatures per request.

func benchRespond(b *testing.B, cacheSize int) {
	p := newPKI(b)
	leaf := p.issueLeaf(b, "leaf.test")
	r := p.responder(b, func(o *ocspresponder.Options) { o.CacheSize = cacheSize })
	req := request(b, leaf, p.inter, crypto.SHA1)
	if _, status, err := r.Respond(b.Context(), req); err != nil || status != ocspresponder.StatusGood {
		b.Fatalf("Respond = %v, %v", status, err)
	}
	before := p.ocspKey.n.Load()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := r.Respond(b.Context(), req); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(p.ocspKey.n.Load()-before)/float64(b.N), "sigs/op")
}

func BenchmarkRespondCached(b *testing.B) { benchRespond(b, 0) }

func BenchmarkRespondSign(b *testing.B) { benchRespond(b, -1) }

func BenchmarkSignRaw(b *testing.B) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	digest := sha256.Sum256([]byte("tbsResponseData"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := key.Sign(rand.Reader, digest[:], crypto.SHA256); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkInventoryGet(b *testing.B) {
	p := newPKI(b)
	leaf := p.issueLeaf(b, "leaf.test")
	keyID := p.interIss.KeyID()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.db.Get(b.Context(), keyID, leaf.SerialNumber); err != nil {
			b.Fatal(err)
		}
	}
}
