package server_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"math/big"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/config"
	"github.com/anchorpki/anchor/crl"
	"github.com/anchorpki/anchor/lint"
	"github.com/anchorpki/anchor/revocation"
	"github.com/anchorpki/anchor/server"
	"github.com/anchorpki/anchor/store"
	"golang.org/x/crypto/ocsp"
)

// revokeElsewhere revokes as `anchor revoke` does in another process: its own connection to
// the inventory, its own authority, no hook into the server.
func revokeElsewhere(t testing.TB, dir string, serial *big.Int, reason revocation.Reason) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dir, "anchor.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, err := lint.New(lint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := ca.Layout{Dir: dir}.Load(ca.LoadOptions{Linter: l})
	if err != nil {
		t.Fatal(err)
	}
	a, err := ca.New(ca.Options{Inventory: db, Issuer: loaded.Issuer})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Revoke(ctx, serial, reason, "cli"); err != nil {
		t.Fatal(err)
	}
}

// A revocation recorded by another process reaches the CRL at the distribution point within
// about a second, through the revocation epoch: the periodic check here is an hour away.
func TestCRLFollowsRevocationsElsewhere(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := start(t, dir, func(o *server.Options) { o.CheckInterval = time.Hour })
	iss, _ := r.issue(t, "server", time.Time{}, "elsewhere.test")
	dp := iss.Certificate.CRLDistributionPoints[0]
	_, body, _ := get(t, nil, dp)
	before := parseCRL(t, body, iss.Chain[0])
	if lists(before, iss.Certificate, revocation.Superseded) {
		t.Fatal("listed before it was revoked")
	}
	revokeElsewhere(t, dir, iss.Certificate.SerialNumber, revocation.Superseded)
	var after []byte
	eventually(t, 10*time.Second, "the CRL lists a revocation made by another process", func() bool {
		_, after, _ = get(t, nil, dp)
		return lists(parseCRL(t, after, iss.Chain[0]), iss.Certificate, revocation.Superseded)
	})
	if rl := parseCRL(t, after, iss.Chain[0]); rl.Number.Cmp(before.Number) <= 0 {
		t.Fatalf("CRL number %v does not follow %v", rl.Number, before.Number)
	}
	// And the file at DATA/crl is the CRL served.
	if _, served, _ := get(t, nil, dp); !bytes.Equal(served, readFile(t, filepath.Join(dir, "crl", "intermediate.crl"))) {
		t.Fatal("crl/intermediate.crl is not the CRL served")
	}
}

// A CRL is re-signed when refresh_before of its nextUpdate begins, with nothing revoked.
func TestCRLResignedBeforeNextUpdate(t *testing.T) {
	t.Parallel()
	c := testConfig(t)
	c.CRL = config.CRL{Validity: config.Duration(3 * time.Second), RefreshBefore: config.Duration(2 * time.Second)}
	r := start(t, t.TempDir(), func(o *server.Options) { o.Config = c })
	_, body, _ := get(t, nil, r.httpURL("/crl/intermediate.crl"))
	first, err := x509.ParseRevocationList(body)
	if err != nil {
		t.Fatal(err)
	}
	if d := first.NextUpdate.Sub(first.ThisUpdate); d != 3*time.Second {
		t.Fatalf("nextUpdate - thisUpdate = %v, want crl.validity", d)
	}
	eventually(t, 10*time.Second, "a CRL re-signed before nextUpdate", func() bool {
		_, body, _ := get(t, nil, r.httpURL("/crl/intermediate.crl"))
		next, err := x509.ParseRevocationList(body)
		return err == nil && next.Number.Cmp(first.Number) > 0 && !time.Now().After(first.NextUpdate)
	})
}

// A root CRL signed by `anchor crl create --root` in another process is served once written.
func TestRootCRLFileIsReloaded(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := start(t, dir, nil)
	layout := ca.Layout{Dir: dir}
	key, err := layout.LoadRootKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), layout.Database(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now().UTC().Truncate(time.Second)
	f, err := crl.WriteNextFile(context.Background(), layout.RootCRL(), crl.DER, db, db,
		crl.Options{Issuer: r.Root(), Signer: key, ThisUpdate: now, NextUpdate: now.Add(400 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the new root CRL is served", func() bool {
		_, body, _ := get(t, nil, r.httpURL("/crl/root.crl"))
		return bytes.Equal(body, f.DER)
	})
}

// OCSP answers a revocation made by another process (`anchor revoke`) within the status
// cache's recheck interval, and one made through this server at once.
func TestOCSPFollowsRevocationsElsewhere(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := start(t, dir, nil)
	iss, _ := r.issue(t, "server", time.Time{}, "ocsp-elsewhere.test")
	req, err := ocsp.CreateRequest(iss.Certificate, iss.Chain[0], &ocsp.RequestOptions{Hash: crypto.SHA1})
	if err != nil {
		t.Fatal(err)
	}
	status := func() int {
		code, body, _ := get(t, nil, r.httpURL("/ocsp/"+url.PathEscape(base64Std(req))))
		o, err := ocsp.ParseResponseForCert(body, iss.Certificate, iss.Chain[0])
		if code != 200 || err != nil {
			t.Fatalf("OCSP: %d %v", code, err)
		}
		return o.Status
	}
	for range 3 { // the status is cached now
		if s := status(); s != ocsp.Good {
			t.Fatalf("status %d before the revocation", s)
		}
	}
	revokeElsewhere(t, dir, iss.Certificate.SerialNumber, revocation.KeyCompromise)
	began := time.Now()
	eventually(t, 5*time.Second, "OCSP answers a revocation made by another process", func() bool { return status() == ocsp.Revoked })
	// Well under the CRL's one-minute check: the cache rechecks the epoch every 50 ms (the
	// margin is for a loaded CI machine).
	if d := time.Since(began); d > 3*time.Second {
		t.Fatalf("OCSP took %v to answer revoked; the cache rechecks every 50 ms", d)
	}
}
