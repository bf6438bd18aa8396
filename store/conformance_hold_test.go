package store

import (
	"context"
	"errors"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"
)

// assertRevocation checks the status, reason and time Get reports for serial n of issuer A.
func assertRevocation(t *testing.T, db *DB, n int64, status Status, reason int, at time.Time) {
	t.Helper()
	got, err := db.Get(context.Background(), issuerA, big.NewInt(n))
	if err != nil {
		t.Fatalf("Get(%d): %v", n, err)
	}
	if got.Status != status || got.RevocationReason != reason || !got.RevokedAt.Equal(at) {
		t.Errorf("serial %d: %s, reason %d, revoked at %v; want %s, reason %d, at %v",
			n, got.Status, got.RevocationReason, got.RevokedAt, status, reason, at)
	}
}

func testRevokeReasons(t *testing.T, dsn string) {
	db := openDB(t, dsn)
	ctx := context.Background()
	for code := -1; code <= 11; code++ {
		n := int64(100 + code)
		issue(t, db, cert(issuerA, n))
		err := db.Revoke(ctx, issuerA, big.NewInt(n), code, testNow)
		switch code {
		case -1, 7, 11: // not RFC 5280 CRLReason codes
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Revoke(reason %d) = %v, want ErrInvalid", code, err)
			}
		case 8: // removeFromCRL: a delta CRL's way of saying a hold was released
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "ReleaseHold") {
				t.Errorf("Revoke(removeFromCRL) = %v, want ErrInvalid pointing at ReleaseHold", err)
			}
		default:
			if err != nil {
				t.Errorf("Revoke(reason %d) = %v", code, err)
			}
			assertRevocation(t, db, n, StatusRevoked, code, testNow)
			continue
		}
		assertRevocation(t, db, n, StatusValid, 0, time.Time{})
	}
}

func testReleaseHold(t *testing.T, dsn string) {
	db := openDB(t, dsn)
	ctx := context.Background()
	held := testNow.Add(time.Hour)
	issue(t, db, cert(issuerA, 1))
	if err := db.Revoke(ctx, issuerA, big.NewInt(1), 6, held); err != nil {
		t.Fatal(err)
	}
	if err := db.ReleaseHold(ctx, issuerA, big.NewInt(1)); err != nil {
		t.Fatalf("ReleaseHold: %v", err)
	}
	assertRevocation(t, db, 1, StatusValid, 0, time.Time{})
	if err := db.Revoked(ctx, issuerA, testNow, func(r Revocation) error {
		t.Errorf("released certificate still on the CRL: %v", r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.ReleaseHold(ctx, issuerA, big.NewInt(1)); !errors.Is(err, ErrNotOnHold) {
		t.Errorf("ReleaseHold(valid) = %v, want ErrNotOnHold", err)
	}
	// A released certificate can be held again, and revoked for good.
	if err := db.Revoke(ctx, issuerA, big.NewInt(1), 6, held.Add(time.Hour)); err != nil {
		t.Errorf("hold after release: %v", err)
	}
	assertRevocation(t, db, 1, StatusRevoked, 6, held.Add(time.Hour))

	issue(t, db, cert(issuerA, 2))
	if err := db.Revoke(ctx, issuerA, big.NewInt(2), 1, held); err != nil {
		t.Fatal(err)
	}
	if err := db.ReleaseHold(ctx, issuerA, big.NewInt(2)); !errors.Is(err, ErrNotOnHold) {
		t.Errorf("ReleaseHold(keyCompromise) = %v, want ErrNotOnHold", err)
	}
	assertRevocation(t, db, 2, StatusRevoked, 1, held) // the revocation stands

	if err := db.Reserve(ctx, cert(issuerA, 3)); err != nil {
		t.Fatal(err)
	}
	if err := db.ReleaseHold(ctx, issuerA, big.NewInt(3)); !errors.Is(err, ErrNotOnHold) || !errors.Is(err, ErrNotIssued) {
		t.Errorf("ReleaseHold(pending) = %v, want ErrNotOnHold and ErrNotIssued", err)
	}
	if err := db.ReleaseHold(ctx, issuerA, big.NewInt(4)); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReleaseHold(unknown) = %v, want ErrNotFound", err)
	}
	if err := db.ReleaseHold(ctx, issuerB, big.NewInt(1)); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReleaseHold(other issuer) = %v, want ErrNotFound", err)
	}
	for name, err := range map[string]error{
		"nil serial": db.ReleaseHold(ctx, issuerA, nil),
		"no issuer":  db.ReleaseHold(ctx, nil, big.NewInt(1)),
	} {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("ReleaseHold(%s) = %v, want ErrInvalid", name, err)
		}
	}
}

func testHoldThenRevoke(t *testing.T, dsn string) {
	db := openDB(t, dsn)
	ctx := context.Background()
	held, compromised := testNow.Add(time.Hour), testNow.Add(2*time.Hour)
	hold := func(n int64) {
		t.Helper()
		issue(t, db, cert(issuerA, n))
		if err := db.Revoke(ctx, issuerA, big.NewInt(n), 6, held); err != nil {
			t.Fatal(err)
		}
	}

	// Hold, then keyCompromise: the new reason and time replace the hold's, for good.
	hold(1)
	if err := db.Revoke(ctx, issuerA, big.NewInt(1), 1, compromised); err != nil {
		t.Fatalf("Revoke(keyCompromise) of a held certificate: %v", err)
	}
	assertRevocation(t, db, 1, StatusRevoked, 1, compromised)
	if err := db.Revoke(ctx, issuerA, big.NewInt(1), 4, compromised.Add(time.Hour)); !errors.Is(err, ErrAlreadyRevoked) {
		t.Errorf("Revoke after a permanent revocation = %v, want ErrAlreadyRevoked", err)
	}
	if err := db.ReleaseHold(ctx, issuerA, big.NewInt(1)); !errors.Is(err, ErrNotOnHold) {
		t.Errorf("ReleaseHold after a permanent revocation = %v, want ErrNotOnHold", err)
	}
	assertRevocation(t, db, 1, StatusRevoked, 1, compromised)

	// Holding a held certificate again changes nothing: the first hold stands.
	hold(2)
	if err := db.Revoke(ctx, issuerA, big.NewInt(2), 6, compromised); !errors.Is(err, ErrAlreadyRevoked) {
		t.Errorf("second hold = %v, want ErrAlreadyRevoked", err)
	}
	assertRevocation(t, db, 2, StatusRevoked, 6, held)

	// Concurrent permanent revocations of a held certificate: exactly one wins.
	hold(3)
	errs := make([]error, 8)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			errs[i] = db.Revoke(ctx, issuerA, big.NewInt(3), 1+i%5, compromised.Add(time.Duration(i)*time.Minute))
		})
	}
	wg.Wait()
	if ok, again := countErrs(t, errs, ErrAlreadyRevoked); ok != 1 || again != len(errs)-1 {
		t.Errorf("%d concurrent revocations of a held certificate: %d won, %d ErrAlreadyRevoked; want 1 and %d",
			len(errs), ok, again, len(errs)-1)
	}

	// A release racing a permanent revocation: whichever comes first, the revocation stands.
	for n := int64(10); n < 20; n++ {
		hold(n)
		var relErr, revErr error
		wg.Go(func() { relErr = db.ReleaseHold(ctx, issuerA, big.NewInt(n)) })
		wg.Go(func() { revErr = db.Revoke(ctx, issuerA, big.NewInt(n), 1, compromised) })
		wg.Wait()
		if revErr != nil || (relErr != nil && !errors.Is(relErr, ErrNotOnHold)) {
			t.Errorf("release racing revocation: ReleaseHold = %v, Revoke = %v; want Revoke to succeed", relErr, revErr)
		}
		assertRevocation(t, db, n, StatusRevoked, 1, compromised)
	}
}
