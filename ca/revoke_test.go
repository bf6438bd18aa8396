package ca_test

import (
	"context"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/revocation"
	"github.com/anchorpki/anchor/store"
)

func TestRevokeFirstRevocationStands(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	var issuedSeen, revokedSeen int
	f := newFixture(t, ca.Options{Now: func() time.Time { return now },
		OnIssued: func(*ca.Issued) { issuedSeen++ }, OnRevoked: func(*ca.Revoked) { revokedSeen++ }})
	got, err := f.auth.Issue(ctx, serverRequest(t, "a.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	serial := got.Certificate.SerialNumber
	r, err := f.auth.Revoke(ctx, serial, revocation.KeyCompromise, "test")
	if err != nil {
		t.Fatal(err)
	}
	if r.Already || r.Reason != revocation.KeyCompromise || !r.RevokedAt.Equal(now) || r.Serial != got.Serial {
		t.Fatalf("first revocation = %+v", r)
	}
	now = now.Add(time.Hour)
	again, err := f.auth.Revoke(ctx, serial, revocation.Superseded, "test")
	if err != nil {
		t.Fatalf("revoking twice is reported, not an error: %v", err)
	}
	if !again.Already || again.Reason != revocation.KeyCompromise || !again.RevokedAt.Equal(now.Add(-time.Hour)) {
		t.Fatalf("second revocation = %+v; want the first reason and time", again)
	}
	if issuedSeen != 1 || revokedSeen != 1 {
		t.Fatalf("hooks saw %d issuances and %d revocations; want 1 and 1 (a repeated revocation changes nothing)", issuedSeen, revokedSeen)
	}
	rec, err := f.db.Get(ctx, f.auth.Issuer().KeyID(), serial)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != store.StatusRevoked || revocation.Reason(rec.RevocationReason) != revocation.KeyCompromise {
		t.Fatalf("inventory row = %s %d", rec.Status, rec.RevocationReason)
	}
}

func TestRevokeUnknownSerial(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ca.Options{})
	_, err := f.auth.Revoke(context.Background(), big.NewInt(12345), revocation.Unspecified, "test")
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

func TestRevokeHoldAndRelease(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, ca.Options{})
	got, err := f.auth.Issue(ctx, serverRequest(t, "held.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	serial := got.Certificate.SerialNumber
	if _, err := f.auth.Revoke(ctx, serial, revocation.RemoveFromCRL, "test"); !errors.Is(err, ca.ErrNotOnHold) {
		t.Fatalf("releasing a valid certificate: %v, want ErrNotOnHold", err)
	}
	if _, err := f.auth.Revoke(ctx, serial, revocation.CertificateHold, "test"); err != nil {
		t.Fatal(err)
	}
	r, err := f.auth.Revoke(ctx, serial, revocation.RemoveFromCRL, "test")
	if err != nil || !r.Released {
		t.Fatalf("release = %+v, %v", r, err)
	}
	rec, _ := f.db.Get(ctx, f.auth.Issuer().KeyID(), serial)
	if rec.Status != store.StatusValid {
		t.Fatalf("after release status = %s", rec.Status)
	}
	if _, err := f.auth.Revoke(ctx, serial, revocation.KeyCompromise, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.auth.Revoke(ctx, serial, revocation.RemoveFromCRL, "test"); !errors.Is(err, ca.ErrNotOnHold) {
		t.Fatalf("releasing a keyCompromise revocation: %v, want ErrNotOnHold", err)
	}
}
