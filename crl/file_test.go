package crl_test

import (
	"context"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/anchorpki/anchor/crl"
	"github.com/anchorpki/anchor/store"
)

// WriteNextFile writes what it signed, in the encoding asked for, creating the directory; a
// failure leaves the previous file as it was.
func TestWriteNextFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "anchor.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := testCA(t, "P-256")
	o := crl.Options{Issuer: c.cert, Signer: c.key, ThisUpdate: thisUpdate, NextUpdate: nextUpdate}
	dir := t.TempDir()

	derPath := filepath.Join(dir, "crl", "ca.crl")
	f, err := crl.WriteNextFile(ctx, derPath, crl.DER, db, db, o)
	if err != nil {
		t.Fatal(err)
	}
	onDisk, err := os.ReadFile(derPath)
	if err != nil {
		t.Fatal(err)
	}
	if string(onDisk) != string(f.DER) || f.Stats.Bytes != int64(len(onDisk)) {
		t.Fatalf("file holds %d bytes, File says DER of %d and Bytes %d", len(onDisk), len(f.DER), f.Stats.Bytes)
	}
	checkCRL(t, f.DER, c, nil, f.Number, thisUpdate, nextUpdate)
	if fi, err := os.Stat(derPath); err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("mode: %v, %v", fi.Mode(), err)
	}

	pemPath := filepath.Join(dir, "ca.crl.pem")
	g, err := crl.WriteNextFile(ctx, pemPath, crl.PEM, db, db, o)
	if err != nil {
		t.Fatal(err)
	}
	onDisk, _ = os.ReadFile(pemPath)
	block, rest := pem.Decode(onDisk)
	if block == nil || block.Type != "X509 CRL" || len(rest) != 0 || string(block.Bytes) != string(g.DER) || g.Stats.Bytes != int64(len(onDisk)) {
		t.Fatalf("PEM file %q does not hold the CRL", onDisk)
	}
	if g.Number.Cmp(f.Number) <= 0 {
		t.Fatalf("CRL number %v does not follow %v", g.Number, f.Number)
	}

	// A CRL that cannot be signed replaces nothing.
	bad := o
	bad.NextUpdate = bad.ThisUpdate
	if _, err := crl.WriteNextFile(ctx, derPath, crl.DER, db, db, bad); !errors.Is(err, crl.ErrInvalidOptions) {
		t.Fatalf("invalid options: %v", err)
	}
	if after, _ := os.ReadFile(derPath); string(after) != string(f.DER) {
		t.Fatal("a failed WriteNextFile changed the file")
	}
}
