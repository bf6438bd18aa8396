package store

import (
	"context"
	"errors"
	"math/big"
	"testing"
	"time"
)

// testStatus checks that Status agrees with Get in every state a certificate can be in.
func testStatus(t *testing.T, dsn string) {
	db := openDB(t, dsn)
	ctx := context.Background()
	if err := db.Reserve(ctx, cert(issuerA, 1)); err != nil { // pending
		t.Fatal(err)
	}
	issue(t, db, cert(issuerA, 2)) // valid
	issue(t, db, cert(issuerA, 3))
	if err := db.Revoke(ctx, issuerA, big.NewInt(3), 6, testNow.Add(time.Minute)); err != nil { // on hold
		t.Fatal(err)
	}
	issue(t, db, cert(issuerA, 4))
	if err := db.Revoke(ctx, issuerA, big.NewInt(4), 1, testNow.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for n := int64(1); n <= 4; n++ {
		got, err := db.Status(ctx, issuerA, big.NewInt(n))
		if err != nil {
			t.Fatalf("Status(%d): %v", n, err)
		}
		c, err := db.Get(ctx, issuerA, big.NewInt(n))
		if err != nil {
			t.Fatal(err)
		}
		want := CertStatus{Status: c.Status, NotAfter: c.NotAfter, RevokedAt: c.RevokedAt, RevocationReason: c.RevocationReason}
		if got.Status != want.Status || !got.NotAfter.Equal(want.NotAfter) || got.NotAfter.Location() != time.UTC ||
			!got.RevokedAt.Equal(want.RevokedAt) || got.RevocationReason != want.RevocationReason {
			t.Errorf("Status(%d) = %+v, want %+v (as Get reports)", n, got, want)
		}
	}
	if _, err := db.Status(ctx, issuerB, big.NewInt(2)); !errors.Is(err, ErrNotFound) {
		t.Errorf("Status(other issuer) = %v, want ErrNotFound", err)
	}
	if _, err := db.Status(ctx, issuerA, big.NewInt(0)); !errors.Is(err, ErrInvalid) {
		t.Errorf("Status(serial 0) = %v, want ErrInvalid", err)
	}
}

// testRevocationEpoch: the epoch moves on every change a status cache must see, in any
// process, and not on issuance, which a cache never holds stale (it does not cache unknown).
func testRevocationEpoch(t *testing.T, dsn string) {
	db, other := openDB(t, dsn), openDB(t, dsn)
	ctx := context.Background()
	epoch := func() int64 {
		t.Helper()
		n, err := db.RevocationEpoch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	e0 := epoch()
	issue(t, db, cert(issuerA, 1))
	issue(t, db, cert(issuerA, 2))
	if e := epoch(); e != e0 {
		t.Fatalf("issuance moved the epoch %d → %d", e0, e)
	}
	steps := []struct {
		name string
		do   func() error
	}{
		{"revoke in another process", func() error { return other.Revoke(ctx, issuerA, big.NewInt(1), 1, time.Time{}) }},
		{"hold", func() error { return db.Revoke(ctx, issuerA, big.NewInt(2), 6, time.Time{}) }},
		{"release the hold", func() error { return db.ReleaseHold(ctx, issuerA, big.NewInt(2)) }},
		{"hold again", func() error { return db.Revoke(ctx, issuerA, big.NewInt(2), 6, time.Time{}) }},
		{"hold becomes keyCompromise", func() error { return db.Revoke(ctx, issuerA, big.NewInt(2), 1, time.Time{}) }},
	}
	prev := epoch()
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if e := epoch(); e == prev {
			t.Fatalf("%s did not move the epoch (%d)", s.name, e)
		} else {
			prev = e
		}
	}
}
