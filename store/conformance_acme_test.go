package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func testACMEAccounts(t *testing.T, dsn string) {
	db := openDB(t, dsn)
	ctx := context.Background()
	a, err := db.CreateACMEAccount(ctx, ACMEAccount{ID: "acct1", Thumbprint: "tp1", JWK: []byte(`{"kty":"EC"}`),
		Status: "valid", Contact: []string{"mailto:a@example.com"}, TermsAgreed: true})
	if err != nil {
		t.Fatal(err)
	}
	if a.Version != 1 || !a.CreatedAt.Equal(testNow) {
		t.Fatalf("created %+v", a)
	}
	// The same key again: the existing account, so newAccount can answer 200 with it.
	got, err := db.CreateACMEAccount(ctx, ACMEAccount{ID: "acct2", Thumbprint: "tp1", JWK: []byte(`{}`), Status: "valid"})
	if !errors.Is(err, ErrKeyInUse) || got.ID != "acct1" {
		t.Fatalf("second account with one key: %+v, %v", got, err)
	}
	if _, err := db.ACMEAccount(ctx, "acct2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the refused account exists: %v", err)
	}
	byKey, err := db.ACMEAccountByThumbprint(ctx, "tp1")
	if err != nil || byKey.ID != "acct1" || !byKey.TermsAgreed || byKey.Contact[0] != "mailto:a@example.com" || string(byKey.JWK) != `{"kty":"EC"}` {
		t.Fatalf("by thumbprint: %+v, %v", byKey, err)
	}
	if _, err := db.CreateACMEAccount(ctx, ACMEAccount{ID: "other", Thumbprint: "tp2", JWK: []byte(`{}`), Status: "valid"}); err != nil {
		t.Fatal(err)
	}

	// Key rollover to a key another account holds is refused; to a fresh key it works once.
	roll := byKey
	roll.Thumbprint, roll.JWK = "tp2", []byte(`{"new":1}`)
	if _, err := db.UpdateACMEAccount(ctx, roll); !errors.Is(err, ErrKeyInUse) {
		t.Fatalf("rollover to a taken key: %v", err)
	}
	roll.Thumbprint = "tp3"
	updated, err := db.UpdateACMEAccount(ctx, roll)
	if err != nil || updated.Version != 2 {
		t.Fatalf("rollover: %+v, %v", updated, err)
	}
	if _, err := db.UpdateACMEAccount(ctx, roll); !errors.Is(err, ErrConflict) {
		t.Fatalf("update with a stale version: %v", err)
	}
	if _, err := db.ACMEAccountByThumbprint(ctx, "tp1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old key still finds the account: %v", err)
	}
	if got, _ := db.ACMEAccountByThumbprint(ctx, "tp3"); got.ID != "acct1" {
		t.Fatalf("new key finds %q", got.ID)
	}

	// Of concurrent deactivations from one read, exactly one wins.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			d := updated
			d.Status = "deactivated"
			if _, err := db.UpdateACMEAccount(ctx, d); err == nil {
				wins.Add(1)
			} else if !errors.Is(err, ErrConflict) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d concurrent compare-and-set updates won", wins.Load())
	}
}

func testACMEExternalAccountKeys(t *testing.T, dsn string) {
	db := openDB(t, dsn)
	ctx := context.Background()
	for _, kid := range []string{"kid1", "kid2"} {
		if err := db.CreateEABKey(ctx, EABKey{KeyID: kid, Name: "team " + kid, HMACKey: []byte("secret-" + kid)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.CreateEABKey(ctx, EABKey{KeyID: "kid1", Name: "x", HMACKey: []byte("y")}); !errors.Is(err, ErrConflict) {
		t.Fatalf("duplicate key ID: %v", err)
	}
	// Concurrent newAccounts with one key: one binds it, the others create nothing.
	var wg sync.WaitGroup
	var bound atomic.Int32
	for i := range 6 {
		wg.Go(func() {
			_, err := db.CreateACMEAccount(ctx, ACMEAccount{ID: fmt.Sprintf("a%d", i), Thumbprint: fmt.Sprintf("t%d", i),
				JWK: []byte(`{}`), Status: "valid", EABKeyID: "kid1"})
			switch {
			case err == nil:
				bound.Add(1)
			case !errors.Is(err, ErrEABUnusable):
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if bound.Load() != 1 {
		t.Fatalf("one external account key bound %d accounts", bound.Load())
	}
	k, err := db.EABKey(ctx, "kid1")
	if err != nil || k.AccountID == "" || k.BoundAt == nil || !bytes.Equal(k.HMACKey, []byte("secret-kid1")) {
		t.Fatalf("bound key: %+v, %v", k, err)
	}
	if acct, err := db.ACMEAccount(ctx, k.AccountID); err != nil || acct.EABKeyID != "kid1" {
		t.Fatalf("bound account: %+v, %v", acct, err)
	}
	if _, err := db.RevokeEABKey(ctx, "kid2", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RevokeEABKey(ctx, "kid2", time.Time{}); !errors.Is(err, ErrAlreadyRevoked) {
		t.Fatalf("second revocation: %v", err)
	}
	if _, err := db.RevokeEABKey(ctx, "nope", time.Time{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown key: %v", err)
	}
	if _, err := db.CreateACMEAccount(ctx, ACMEAccount{ID: "late", Thumbprint: "tl", JWK: []byte(`{}`), Status: "valid", EABKeyID: "kid2"}); !errors.Is(err, ErrEABUnusable) {
		t.Fatalf("revoked key bound an account: %v", err)
	}
	if _, err := db.ACMEAccount(ctx, "late"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a refused binding left an account: %v", err)
	}
	ks, err := db.EABKeys(ctx)
	if err != nil || len(ks) != 2 || ks[0].KeyID != "kid1" || ks[1].RevokedAt == nil {
		t.Fatalf("keys: %+v, %v", ks, err)
	}
}

// testACMENonces opens the database twice, as two server processes sharing it would.
func testACMENonces(t *testing.T, dsn string) {
	one, two := openDB(t, dsn), openDB(t, dsn)
	ctx := context.Background()
	exp := testNow.Add(time.Hour)
	if err := one.SpendNonce(ctx, "n1", exp); err != nil {
		t.Fatal(err)
	}
	if err := two.SpendNonce(ctx, "n1", exp); !errors.Is(err, ErrNonceSpent) {
		t.Fatalf("a nonce spent by another process was accepted: %v", err)
	}
	var ok atomic.Int32
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			db := one
			if i%2 == 1 {
				db = two
			}
			if err := db.SpendNonce(ctx, "race", exp); err == nil {
				ok.Add(1)
			} else if !errors.Is(err, ErrNonceSpent) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 {
		t.Fatalf("one nonce was spent %d times", ok.Load())
	}
	s1, err := one.ACMESecret(ctx, "nonce", func() ([]byte, error) { return []byte("first"), nil })
	if err != nil {
		t.Fatal(err)
	}
	s2, err := two.ACMESecret(ctx, "nonce", func() ([]byte, error) { return []byte("second"), nil })
	if err != nil || !bytes.Equal(s1, s2) || string(s1) != "first" {
		t.Fatalf("secrets differ between processes: %q, %q, %v", s1, s2, err)
	}
}

func testACMEOrders(t *testing.T, dsn string) {
	db := openDB(t, dsn)
	ctx := context.Background()
	authz := func(id, value string, wildcard bool) ACMEAuthz {
		return ACMEAuthz{ID: id, AccountID: "acct", IdentType: "dns", IdentValue: value, Wildcard: wildcard,
			Status: "pending", Expires: testNow.Add(24 * time.Hour), Body: []byte(`{"challenges":[]}`)}
	}
	o, err := db.CreateACMEOrder(ctx, ACMEOrder{ID: "o1", AccountID: "acct", Status: "pending", Expires: testNow.Add(time.Hour),
		Replaces: "aki.serial", Body: []byte(`{"identifiers":["a"]}`)},
		[]ACMEAuthz{authz("z1", "a.example", false), authz("z2", "example", true)})
	if err != nil || o.Version != 1 {
		t.Fatalf("create: %+v, %v", o, err)
	}
	// A failing authorization insert leaves neither the order nor the other authorizations.
	if _, err := db.CreateACMEOrder(ctx, ACMEOrder{ID: "o2", AccountID: "acct", Status: "pending", Body: []byte(`{}`)},
		[]ACMEAuthz{authz("z3", "b.example", false), authz("z1", "dup", false)}); err == nil {
		t.Fatal("an order with a duplicate authorization ID was created")
	}
	if _, err := db.ACMEOrder(ctx, "o2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("half an order was stored: %v", err)
	}
	if _, err := db.ACMEAuthz(ctx, "z3"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("half an order was stored: %v", err)
	}

	z, err := db.ACMEAuthz(ctx, "z2")
	if err != nil || !z.Wildcard || z.IdentValue != "example" || string(z.Body) != `{"challenges":[]}` {
		t.Fatalf("authz: %+v, %v", z, err)
	}
	if _, err := db.ValidACMEAuthz(ctx, "acct", "dns", "a.example", false, testNow); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a pending authorization is reusable: %v", err)
	}
	z1, _ := db.ACMEAuthz(ctx, "z1")
	z1.Status, z1.Body = "valid", []byte(`{"challenges":[1]}`)
	if z1, err = db.UpdateACMEAuthz(ctx, z1); err != nil || z1.Version != 2 {
		t.Fatalf("update authz: %+v, %v", z1, err)
	}
	if _, err := db.UpdateACMEAuthz(ctx, ACMEAuthz{ID: "z1", Status: "invalid", Body: []byte(`{}`), Version: 1}); !errors.Is(err, ErrConflict) {
		t.Fatalf("stale authz update: %v", err)
	}
	if got, err := db.ValidACMEAuthz(ctx, "acct", "dns", "a.example", false, testNow); err != nil || got.ID != "z1" {
		t.Fatalf("reusable authz: %+v, %v", got, err)
	}
	for _, miss := range []struct {
		acct     string
		wildcard bool
		at       time.Time
	}{{"other", false, testNow}, {"acct", true, testNow}, {"acct", false, testNow.Add(25 * time.Hour)}} {
		if _, err := db.ValidACMEAuthz(ctx, miss.acct, "dns", "a.example", miss.wildcard, miss.at); !errors.Is(err, ErrNotFound) {
			t.Fatalf("authz reused for %+v: %v", miss, err)
		}
	}
	z2 := z
	z2.Status = "invalid"
	if _, err := db.UpdateACMEAuthz(ctx, z2); err != nil {
		t.Fatal(err)
	}
	if n, err := db.CountFailedACMEAuthzs(ctx, "acct", "example", testNow.Add(-time.Minute)); err != nil || n != 1 {
		t.Fatalf("failed authzs: %d, %v", n, err)
	}
	if n, err := db.CountFailedACMEAuthzs(ctx, "other", "example", testNow.Add(-time.Minute)); err != nil || n != 0 {
		t.Fatalf("another account's failures counted: %d, %v", n, err)
	}

	o.Status, o.CertSerial = "valid", "0a1b"
	if o, err = db.UpdateACMEOrder(ctx, o); err != nil || o.Version != 2 {
		t.Fatalf("update order: %+v, %v", o, err)
	}
	if got, err := db.ACMEOrderBySerial(ctx, "0a1b"); err != nil || got.ID != "o1" || got.Status != "valid" || got.Replaces != "aki.serial" {
		t.Fatalf("by serial: %+v, %v", got, err)
	}
	if rs, err := db.ACMEOrdersReplacing(ctx, "aki.serial"); err != nil || len(rs) != 1 {
		t.Fatalf("replacing: %+v, %v", rs, err)
	}

	for i := range 5 {
		if _, err := db.CreateACMEOrder(ctx, ACMEOrder{ID: fmt.Sprintf("p%d", i), AccountID: "acct", Status: "pending",
			Expires: testNow.Add(time.Hour), Body: []byte(`{}`)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	var all []string
	cursor := ""
	for page := 0; ; page++ {
		ids, next, err := db.ACMEOrderIDs(ctx, "acct", cursor, 2)
		if err != nil || len(ids) > 2 || page > 4 {
			t.Fatalf("page %d: %v, %v", page, ids, err)
		}
		all = append(all, ids...)
		if next == "" {
			break
		}
		cursor = next
	}
	if fmt.Sprint(all) != "[o1 p0 p1 p2 p3 p4]" {
		t.Fatalf("order pages: %v", all)
	}
	if n, err := db.CountACMEOrders(ctx, "acct", testNow); err != nil || n != 6 {
		t.Fatalf("order count: %d, %v", n, err)
	}
}

// testACMEReplacementClaim: of concurrent orders replacing one certificate, from two processes,
// exactly one is created; the claim then moves only from the holder the caller names.
func testACMEReplacementClaim(t *testing.T, dsn string) {
	one, two := openDB(t, dsn), openDB(t, dsn)
	ctx := context.Background()
	order := func(id, after string) ACMEOrder {
		return ACMEOrder{ID: id, AccountID: "acct", Status: "pending", Expires: testNow.Add(time.Hour),
			Replaces: "aki.serial", ReplacesAfter: after, Body: []byte(`{}`)}
	}
	authz := func(id string) []ACMEAuthz {
		return []ACMEAuthz{{ID: id, AccountID: "acct", IdentType: "dns", IdentValue: "a.example",
			Status: "pending", Expires: testNow.Add(time.Hour), Body: []byte(`{}`)}}
	}
	var won []string
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			db := one
			if i%2 == 1 {
				db = two
			}
			id := fmt.Sprintf("r%d", i)
			o, err := db.CreateACMEOrder(ctx, order(id, ""), authz("z"+id))
			switch {
			case err == nil:
				if o.ReplacesAfter != "" {
					t.Errorf("created order keeps ReplacesAfter %q", o.ReplacesAfter)
				}
				mu.Lock()
				won = append(won, id)
				mu.Unlock()
			case errors.Is(err, ErrConflict):
				// The loser leaves nothing behind: neither its order nor its authorization.
				if _, err := one.ACMEOrder(ctx, id); !errors.Is(err, ErrNotFound) {
					t.Errorf("refused order %s was stored: %v", id, err)
				}
				if _, err := one.ACMEAuthz(ctx, "z"+id); !errors.Is(err, ErrNotFound) {
					t.Errorf("refused order %s left its authorization: %v", id, err)
				}
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if len(won) != 1 {
		t.Fatalf("%d concurrent orders replaced one certificate: %v", len(won), won)
	}
	if _, err := one.CreateACMEOrder(ctx, order("stale", "r-none"), nil); !errors.Is(err, ErrConflict) {
		t.Fatalf("claim taken from a holder the caller did not name: %v", err)
	}
	if _, err := two.CreateACMEOrder(ctx, order("next", won[0]), nil); err != nil {
		t.Fatalf("claim not taken from the named holder: %v", err)
	}
	rs, err := one.ACMEOrdersReplacing(ctx, "aki.serial")
	if err != nil || len(rs) != 2 || rs[0].ID != won[0] || rs[1].ID != "next" {
		t.Fatalf("orders replacing: %+v, %v", rs, err)
	}
	if _, err := one.CreateACMEOrder(ctx, order("again", won[0]), nil); !errors.Is(err, ErrConflict) {
		t.Fatalf("claim taken from a former holder: %v", err)
	}
}

// testReplacementMigration: orders replacing a certificate from before migration 0006 leave the
// claim with the latest of them, so the next renewal must name that one.
func testReplacementMigration(t *testing.T, dsn string) {
	ctx := context.Background()
	old := migratedUpTo(t, dsn, "acme_replacements")
	for _, id := range []string{"first", "latest"} { // as that release wrote them
		if _, err := old.sql.ExecContext(ctx, `INSERT INTO acme_orders
			(id, account_id, status, expires_at, created_at, replaces, body, version)
			VALUES ($1, 'acct', 'invalid', $2, $2, 'aki.serial', '{}', 1)`, id, micros(testNow)); err != nil {
			t.Fatal(err)
		}
	}
	old.sql.Close()
	db := openDB(t, dsn)
	if _, err := db.CreateACMEOrder(ctx, ACMEOrder{ID: "n1", AccountID: "acct", Status: "pending", Expires: testNow.Add(time.Hour),
		Replaces: "aki.serial", ReplacesAfter: "first", Body: []byte(`{}`)}, nil); !errors.Is(err, ErrConflict) {
		t.Fatalf("claim taken from an order that no longer held it: %v", err)
	}
	if _, err := db.CreateACMEOrder(ctx, ACMEOrder{ID: "n2", AccountID: "acct", Status: "pending", Expires: testNow.Add(time.Hour),
		Replaces: "aki.serial", ReplacesAfter: "latest", Body: []byte(`{}`)}, nil); err != nil {
		t.Fatalf("claim not taken from the latest order before the migration: %v", err)
	}
}
