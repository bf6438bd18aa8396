package ocspresponder_test

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/anchorpki/anchor/internal/testkit/catest"
	"github.com/anchorpki/anchor/issuance"
	"github.com/anchorpki/anchor/ocspresponder"
	"github.com/anchorpki/anchor/revocation"
)

// TestCache follows one certificate through its life and counts signatures: the steady state
// is one inventory read and no signature; a change of status or half the validity gone means
// a new signature.
func TestCache(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	leaf := p.issueLeaf(t, "leaf.test")
	clk := &clock{t: time.Now().Truncate(time.Minute)} // thisUpdate is whole minutes
	r := p.responder(t, func(o *ocspresponder.Options) { o.Now = clk.Now })
	sha1Req := request(t, leaf, p.inter, crypto.SHA1)
	sha256Req := request(t, leaf, p.inter, crypto.SHA256)

	var last []byte
	steps := []struct {
		name     string
		before   func()
		req      []byte
		want     ocspresponder.Status
		wantSigs int64 // total so far
		wantSame bool  // the same bytes as the previous answer
	}{
		{"first request signs", nil, sha1Req, ocspresponder.StatusGood, 1, false},
		{"second request is cached", nil, sha1Req, ocspresponder.StatusGood, 1, true},
		{"SHA-256 CertID is another response", nil, sha256Req, ocspresponder.StatusGood, 2, false},
		{"just before half validity: cached", func() { clk.Advance(12*time.Hour - time.Second) }, sha256Req, ocspresponder.StatusGood, 2, true},
		{"half validity: signed anew", func() { clk.Advance(time.Second) }, sha256Req, ocspresponder.StatusGood, 3, false},
		{"revoked: signed anew at once", func() { p.revoke(t, leaf, int(revocation.Superseded), clk.Now()) }, sha256Req, ocspresponder.StatusRevoked, 4, false},
		{"revoked again: cached", nil, sha256Req, ocspresponder.StatusRevoked, 4, true},
		{"SHA-1 entry still said good: signed anew", nil, sha1Req, ocspresponder.StatusRevoked, 5, false},
	}
	for _, s := range steps {
		if s.before != nil {
			s.before()
		}
		der, status, err := r.Respond(t.Context(), s.req)
		if err != nil || status != s.want {
			t.Fatalf("%s: Respond = %v, %v; want %v", s.name, status, err, s.want)
		}
		if n := p.ocspKey.n.Load(); n != s.wantSigs {
			t.Fatalf("%s: %d signatures so far, want %d", s.name, n, s.wantSigs)
		}
		if same := bytes.Equal(der, last); same != s.wantSame {
			t.Fatalf("%s: same bytes as before = %v, want %v", s.name, same, s.wantSame)
		}
		resp := parse(t, der, leaf, p.inter)
		if s.want == ocspresponder.StatusRevoked && resp.RevocationReason != ocsp.Superseded {
			t.Fatalf("%s: reason %d, want superseded", s.name, resp.RevocationReason)
		}
		last = der
	}
}

func TestCacheUnknownNotCached(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	prep := p.reserve(t, "pending.test")
	r := p.responder(t, nil)
	der, err := p.interIss.Sign(prep)
	if err != nil {
		t.Fatal(err)
	}
	leaf := parseCert(t, der)
	req := request(t, leaf, p.inter, crypto.SHA1)
	for i := range 2 {
		if _, status, err := r.Respond(t.Context(), req); status != ocspresponder.StatusUnknown || err != nil {
			t.Fatalf("request %d while pending: %v, %v", i, status, err)
		}
	}
	if n := p.ocspKey.n.Load(); n != 2 {
		t.Fatalf("%d signatures for two unknown answers, want 2 (unknown is never cached)", n)
	}
	// Recording the DER turns the next answer good at once.
	if err := p.db.RecordIssued(t.Context(), p.interIss.KeyID(), leaf.SerialNumber, der); err != nil {
		t.Fatal(err)
	}
	if _, status, err := r.Respond(t.Context(), req); status != ocspresponder.StatusGood || err != nil {
		t.Fatalf("after RecordIssued: %v, %v; want good", status, err)
	}
}

func TestCacheDisabled(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	leaf := p.issueLeaf(t, "leaf.test")
	r := p.responder(t, func(o *ocspresponder.Options) { o.CacheSize = -1 })
	req := request(t, leaf, p.inter, crypto.SHA1)
	for range 3 {
		if _, status, err := r.Respond(t.Context(), req); status != ocspresponder.StatusGood || err != nil {
			t.Fatalf("Respond = %v, %v", status, err)
		}
	}
	if n := p.ocspKey.n.Load(); n != 3 {
		t.Fatalf("%d signatures, want 3 with the cache disabled", n)
	}
}

// TestCacheNextUpdateCappedBySigner: a response never outlives the delegated certificate that
// signed it.
func TestCacheNextUpdateCappedBySigner(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	leaf := p.issueLeaf(t, "leaf.test")
	clk := &clock{t: p.ocspCert.NotAfter.Add(-time.Hour)}
	r := p.responder(t, func(o *ocspresponder.Options) { o.Now = clk.Now })
	der, _, err := r.Respond(t.Context(), request(t, leaf, p.inter, crypto.SHA1))
	if err != nil {
		t.Fatal(err)
	}
	resp := parse(t, der, leaf, p.inter)
	if !resp.NextUpdate.Equal(p.ocspCert.NotAfter) {
		t.Fatalf("nextUpdate %v, want the responder certificate's notAfter %v", resp.NextUpdate, p.ocspCert.NotAfter)
	}
}

// TestSignerRotation: the CA may replace the delegated certificate at any time; responses
// signed afterwards carry the new one, and cached ones stay valid (the old certificate is).
func TestSignerRotation(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	leaf := p.issueLeaf(t, "leaf.test")
	type pair struct {
		cert *x509.Certificate
		key  crypto.Signer
	}
	var current atomic.Pointer[pair]
	current.Store(&pair{p.ocspCert, p.ocspKey})
	r := p.responder(t, func(o *ocspresponder.Options) {
		o.Signer = func(*x509.Certificate) (*x509.Certificate, crypto.Signer, error) {
			c := current.Load()
			return c.cert, c.key, nil
		}
	})
	req := request(t, leaf, p.inter, crypto.SHA1)
	der, _, err := r.Respond(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	newKey := newKey(t)
	newCert := catest.Sign(t, p.interIss, issuance.Request{PublicKey: newKey.Public(), Subject: subject(t, "Test", "Test OCSP Responder 2"),
		Profile: issuance.OCSPSigning, Serial: serial(t)})
	current.Store(&pair{newCert, newKey})
	if again, _, _ := r.Respond(t.Context(), req); !bytes.Equal(again, der) {
		t.Fatal("rotation alone discarded a valid cached response")
	}
	p.revoke(t, leaf, ocsp.Superseded, time.Now())
	der, status, err := r.Respond(t.Context(), req)
	if err != nil || status != ocspresponder.StatusRevoked {
		t.Fatalf("after revocation: %v, %v", status, err)
	}
	if resp := parse(t, der, leaf, p.inter); !bytes.Equal(resp.Certificate.Raw, newCert.Raw) {
		t.Fatal("response after rotation does not carry the new responder certificate")
	}
}

// TestConcurrent hammers one responder from several goroutines while the certificate is
// revoked, for the race detector; every answer must be a valid good or revoked response, and
// once Revoke has returned no goroutine may see "good".
func TestConcurrent(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	leaves := []*x509.Certificate{p.issueLeaf(t, "a.test"), p.issueLeaf(t, "b.test")}
	r := p.responder(t, func(o *ocspresponder.Options) { o.CacheSize = 1 }) // constant eviction
	var revoked atomic.Bool
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			leaf := leaves[g%2]
			req := request(t, leaf, p.inter, []crypto.Hash{crypto.SHA1, crypto.SHA256}[g/2])
			for range 50 {
				after := revoked.Load()
				der, status, err := r.Respond(t.Context(), req)
				if err != nil {
					t.Error(err)
					return
				}
				if leaf == leaves[0] && after && status != ocspresponder.StatusRevoked {
					t.Errorf("status %v after Revoke returned", status)
					return
				}
				if _, err := ocsp.ParseResponseForCert(der, leaf, p.inter); err != nil {
					t.Error(err) // not parse: t.Fatal belongs to the test goroutine
					return
				}
			}
		})
	}
	p.revoke(t, leaves[0], ocsp.KeyCompromise, time.Now())
	revoked.Store(true)
	wg.Wait()
}
