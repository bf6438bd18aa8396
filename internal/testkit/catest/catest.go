// Package catest builds a real CA for tests: a root and an intermediate from ca.NewHierarchy,
// saved to and loaded from a data directory as `anchor ca init` leaves them, an SQLite
// inventory, and an authority issuing from the intermediate. Nothing is faked; it only saves
// each test the same thirty lines.
package catest

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"path/filepath"
	"testing"

	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/issuance"
	"github.com/anchorpki/anchor/lint"
	"github.com/anchorpki/anchor/policy"
	"github.com/anchorpki/anchor/store"
)

// CA is a hierarchy with its inventory and authority.
type CA struct {
	DB        *store.DB
	DBPath    string
	Dir       string // the data directory holding ca/ and the keys
	Hierarchy *ca.Hierarchy
	Loaded    *ca.Loaded
	Authority *ca.Authority
	Policy    *policy.Policy // the authority's
}

// Options configure New; the zero value is a CA named "Test" with a policy that allows
// wildcards (the zero policy.Policy does not).
type Options struct {
	Name      string
	Policy    *policy.Policy
	OnRevoked func(*ca.Revoked)
}

// New creates the CA; everything is closed and removed when the test ends.
func New(t testing.TB, o Options) *CA {
	t.Helper()
	ctx := context.Background()
	if o.Name == "" {
		o.Name = "Test"
	}
	if o.Policy == nil {
		o.Policy = &policy.Policy{AllowWildcards: true}
	}
	c := &CA{Dir: t.TempDir(), Policy: o.Policy}
	c.DBPath = filepath.Join(c.Dir, "anchor.db")
	db, err := store.Open(ctx, c.DBPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c.DB = db
	l, err := lint.New(lint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Hierarchy, err = ca.NewHierarchy(ctx, ca.HierarchyOptions{Name: o.Name, Linter: l, Inventory: db}); err != nil {
		t.Fatal(err)
	}
	layout := ca.Layout{Dir: c.Dir}
	if err := layout.Save(c.Hierarchy, nil); err != nil {
		t.Fatal(err)
	}
	if c.Loaded, err = layout.Load(ca.LoadOptions{Linter: l}); err != nil {
		t.Fatal(err)
	}
	c.Authority, err = ca.New(ca.Options{Inventory: db, Issuer: c.Loaded.Issuer, Chain: []*x509.Certificate{c.Loaded.Intermediate},
		Policy: o.Policy, OnRevoked: o.OnRevoked})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Sign has iss prepare and sign req directly, with a random serial if req has none, and
// returns the parsed certificate: for tests that need certificates of a given shape without an
// inventory record.
func Sign(t testing.TB, iss *issuance.Issuer, req issuance.Request) *x509.Certificate {
	t.Helper()
	if req.Serial == nil {
		s, err := issuance.NewSerial(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		req.Serial = s
	}
	p, err := iss.Prepare(req)
	if err != nil {
		t.Fatal(err)
	}
	der, err := iss.Sign(p)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
