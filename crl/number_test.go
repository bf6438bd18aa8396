package crl_test

import (
	"bytes"
	"context"
	"errors"
	"math/big"
	"path/filepath"
	"testing"

	"github.com/anchorpki/anchor/crl"
	"github.com/anchorpki/anchor/store"
)

// WriteNext against the real inventory: numbers come from the store and only increase.
func TestWriteNextNumbersFromStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "anchor.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := testCA(t, "P-256")
	o := crl.Options{Issuer: c.cert, Signer: c.key, ThisUpdate: thisUpdate, NextUpdate: nextUpdate}
	var last *big.Int
	for range 3 {
		var buf bytes.Buffer
		_, n, err := crl.WriteNext(ctx, &buf, db, db, o)
		if err != nil {
			t.Fatal(err)
		}
		checkCRL(t, buf.Bytes(), c, nil, n, thisUpdate, nextUpdate)
		if last != nil && n.Cmp(last) <= 0 {
			t.Fatalf("CRL number %v does not follow %v", n, last)
		}
		last = n
	}
	o.Number = big.NewInt(1)
	if _, _, err := crl.WriteNext(ctx, &bytes.Buffer{}, db, db, o); !errors.Is(err, crl.ErrInvalidOptions) {
		t.Fatalf("a caller-chosen number was accepted: %v", err)
	}
}
