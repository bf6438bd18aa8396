package store

import (
	"context"
	"errors"
	"math/big"
	"slices"
	"sync"
	"testing"
	"time"
)

func testRevoke(t *testing.T, dsn string) {
	db := openDB(t, dsn)
	ctx := context.Background()
	c := cert(issuerA, 10)
	issue(t, db, c)
	first := testNow.Add(time.Hour)
	if err := db.Revoke(ctx, issuerA, c.Serial, 1, first); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if err := db.Revoke(ctx, issuerA, c.Serial, 4, first.Add(time.Hour)); !errors.Is(err, ErrAlreadyRevoked) {
		t.Errorf("second Revoke = %v, want ErrAlreadyRevoked", err)
	}
	got, err := db.Get(ctx, issuerA, c.Serial)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != StatusRevoked || got.RevocationReason != 1 || !got.RevokedAt.Equal(first) {
		t.Errorf("after two revocations: %s reason %d at %v; want revoked reason 1 at %v",
			got.Status, got.RevocationReason, got.RevokedAt, first)
	}
	if err := db.Reserve(ctx, cert(issuerA, 11)); err != nil {
		t.Fatal(err)
	}
	if err := db.Revoke(ctx, issuerA, big.NewInt(11), 0, time.Time{}); !errors.Is(err, ErrNotIssued) {
		t.Errorf("Revoke(pending) = %v, want ErrNotIssued", err)
	}
	if err := db.Revoke(ctx, issuerA, big.NewInt(12), 0, time.Time{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Revoke(unknown) = %v, want ErrNotFound", err)
	}
	if err := db.Revoke(ctx, issuerB, c.Serial, 0, time.Time{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Revoke(other issuer) = %v, want ErrNotFound", err)
	}
	// A zero time means now, from Options.Now.
	issue(t, db, cert(issuerA, 13))
	if err := db.Revoke(ctx, issuerA, big.NewInt(13), 10, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Get(ctx, issuerA, big.NewInt(13)); !got.RevokedAt.Equal(testNow) || got.RevocationReason != 10 {
		t.Errorf("Revoke at zero time: revoked at %v reason %d, want %v reason 10", got.RevokedAt, got.RevocationReason, testNow)
	}

	// Concurrent revocations of one certificate: exactly one wins.
	issue(t, db, cert(issuerA, 14))
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { errs[i] = db.Revoke(ctx, issuerA, big.NewInt(14), 1, testNow) })
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
		} else if !errors.Is(err, ErrAlreadyRevoked) {
			t.Errorf("concurrent Revoke: %v", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d concurrent revocations succeeded, want 1", wins)
	}
}

func testRevokedStream(t *testing.T, dsn string) {
	db := openDB(t, dsn)
	ctx := context.Background()
	revoke := func(issuer []byte, n int64, notAfter time.Time, reason int) {
		c := cert(issuer, n)
		c.NotAfter = notAfter
		issue(t, db, c)
		if err := db.Revoke(ctx, issuer, c.Serial, reason, testNow.Add(time.Duration(n)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	later := testNow.Add(30 * 24 * time.Hour)
	revoke(issuerA, 1, later, 1)
	revoke(issuerA, 2, testNow.Add(-time.Second), 4) // expired at testNow: off the CRL
	revoke(issuerA, 3, testNow, 5)                   // expires exactly now: still valid, still listed
	revoke(issuerB, 4, later, 1)                     // another issuer
	issue(t, db, cert(issuerA, 5))                   // valid, not revoked
	if err := db.Reserve(ctx, cert(issuerA, 6)); err != nil {
		t.Fatal(err)
	}

	var got []Revocation
	if err := db.Revoked(ctx, issuerA, testNow, func(r Revocation) error { got = append(got, r); return nil }); err != nil {
		t.Fatalf("Revoked: %v", err)
	}
	want := []Revocation{
		{Serial: big.NewInt(1), RevokedAt: testNow.Add(time.Minute), Reason: 1},
		{Serial: big.NewInt(3), RevokedAt: testNow.Add(3 * time.Minute), Reason: 5},
	}
	if !slices.EqualFunc(got, want, func(a, b Revocation) bool {
		return a.Serial.Cmp(b.Serial) == 0 && a.RevokedAt.Equal(b.RevokedAt) && a.Reason == b.Reason
	}) {
		t.Errorf("Revoked(issuer A) = %v, want %v", got, want)
	}

	stop := errors.New("stop")
	calls := 0
	err := db.Revoked(ctx, issuerA, testNow, func(Revocation) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Errorf("Revoked with a failing fn = %v after %d calls, want fn's error after 1", err, calls)
	}
	calls = 0
	if err := db.Revoked(ctx, []byte{0x01}, testNow, func(Revocation) error { calls++; return nil }); err != nil || calls != 0 {
		t.Errorf("Revoked(unknown issuer) = %v with %d calls, want nil and 0", err, calls)
	}
}

func testCRLNumberConcurrent(t *testing.T, dsn string) {
	db := openDB(t, dsn)
	ctx := context.Background()
	const n = 20
	got := make([]int64, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			v, err := db.NextCRLNumber(ctx, issuerA)
			errs[i] = err
			if err == nil {
				got[i] = v.Int64()
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("NextCRLNumber: %v", err)
		}
	}
	slices.Sort(got)
	for i, v := range got {
		if v != int64(i+1) {
			t.Fatalf("%d concurrent CRL numbers = %v, want 1..%d each once", n, got, n)
		}
	}
	if v, err := db.NextCRLNumber(ctx, issuerB); err != nil || v.Int64() != 1 {
		t.Errorf("first CRL number of another issuer = %v, %v; want 1", v, err)
	}
	if v, err := db.NextCRLNumber(ctx, issuerA); err != nil || v.Int64() != n+1 {
		t.Errorf("next CRL number = %v, %v; want %d", v, err, n+1)
	}
}
