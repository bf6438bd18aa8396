package ocspresponder_test

import (
	"context"
	"math/big"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anchorpki/anchor/ocspresponder"
	"github.com/anchorpki/anchor/store"
)

// countingDB counts what the cache asks the real inventory.
type countingDB struct {
	*store.DB
	statuses, epochs atomic.Int32
}

func (c *countingDB) Status(ctx context.Context, k []byte, s *big.Int) (store.CertStatus, error) {
	c.statuses.Add(1)
	return c.DB.Status(ctx, k, s)
}

func (c *countingDB) RevocationEpoch(ctx context.Context) (int64, error) {
	c.epochs.Add(1)
	return c.DB.RevocationEpoch(ctx)
}

func TestStatusCache(t *testing.T) {
	p := newPKI(t)
	ctx := context.Background()
	src := &countingDB{DB: p.db}
	clk := &clock{t: time.Now()}
	c := ocspresponder.NewStatusCache(src, ocspresponder.StatusCacheOptions{Recheck: time.Second, Now: clk.Now})
	keyID := p.interIss.KeyID()
	leaf := p.issueLeaf(t, "a.test")

	status := func() store.Status {
		t.Helper()
		st, err := c.Status(ctx, keyID, leaf.SerialNumber)
		if err != nil {
			t.Fatal(err)
		}
		return st.Status
	}
	for range 5 {
		if s := status(); s != store.StatusValid {
			t.Fatalf("status %s", s)
		}
	}
	if n := src.statuses.Load(); n != 1 {
		t.Fatalf("five lookups read the inventory %d times, want 1", n)
	}

	// Another process revokes: within Recheck the cache may still say valid; after it, revoked.
	other, err := store.Open(ctx, filepath.Join(p.dir, "anchor.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.Revoke(ctx, keyID, leaf.SerialNumber, 1, time.Time{}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(1100 * time.Millisecond)
	if s := status(); s != store.StatusRevoked {
		t.Fatalf("after Recheck the cache says %s for a certificate another process revoked", s)
	}

	// In this process, Invalidate makes the change visible at once, without waiting for Recheck.
	if err := p.db.ReleaseHold(ctx, keyID, leaf.SerialNumber); err == nil {
		t.Fatal("released a keyCompromise revocation")
	}
	held := p.issueLeaf(t, "b.test")
	hs := func() store.Status {
		st, err := c.Status(ctx, keyID, held.SerialNumber)
		if err != nil {
			t.Fatal(err)
		}
		return st.Status
	}
	if s := hs(); s != store.StatusValid {
		t.Fatal(s)
	}
	if err := p.db.Revoke(ctx, keyID, held.SerialNumber, 6, time.Time{}); err != nil {
		t.Fatal(err)
	}
	c.Invalidate()
	if s := hs(); s != store.StatusRevoked {
		t.Fatalf("after Invalidate: %s", s)
	}

	// Unknown serials are never cached: the certificate is good from the moment it commits.
	before := src.statuses.Load()
	unknown := big.NewInt(424242)
	for range 3 {
		if _, err := c.Status(ctx, keyID, unknown); err == nil {
			t.Fatal("an unknown serial has a status")
		}
	}
	if n := src.statuses.Load() - before; n != 3 {
		t.Fatalf("unknown serial read %d times for 3 lookups; it must not be cached", n)
	}
	// The epoch is read at most once per Recheck however many lookups there are.
	epochs := src.epochs.Load()
	for range 100 {
		status()
	}
	if src.epochs.Load() != epochs {
		t.Fatalf("the epoch was read %d times within one Recheck", src.epochs.Load()-epochs)
	}
}
