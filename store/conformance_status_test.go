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
