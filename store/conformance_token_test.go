package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

func tokenOf(id, name string) Token {
	h := sha256.Sum256([]byte("secret-" + id))
	return Token{ID: id, Name: name, Hash: h[:], Scopes: []string{"issue", "read"}}
}

func assertToken(t *testing.T, got, want Token) {
	t.Helper()
	eqTime := func(a, b *time.Time) bool {
		return (a == nil) == (b == nil) && (a == nil || (a.Equal(*b) && a.Location() == time.UTC))
	}
	if got.ID != want.ID || got.Name != want.Name || !bytes.Equal(got.Hash, want.Hash) ||
		!slices.Equal(got.Scopes, want.Scopes) || !slices.Equal(got.AllowNames, want.AllowNames) ||
		!got.CreatedAt.Equal(want.CreatedAt) || got.CreatedAt.Location() != time.UTC ||
		!eqTime(got.ExpiresAt, want.ExpiresAt) || !eqTime(got.RevokedAt, want.RevokedAt) ||
		!eqTime(got.LastUsedAt, want.LastUsedAt) {
		t.Errorf("token = %s, want %s", fmtToken(got), fmtToken(want))
	}
}

func fmtToken(t Token) string {
	p := func(x *time.Time) string {
		if x == nil {
			return "nil"
		}
		return x.String()
	}
	return fmt.Sprintf("{%s %s %x %q %q created %v expires %s revoked %s used %s}", t.ID, t.Name, t.Hash,
		t.Scopes, t.AllowNames, t.CreatedAt, p(t.ExpiresAt), p(t.RevokedAt), p(t.LastUsedAt))
}

func ptr(t time.Time) *time.Time { return &t }

func testTokens(t *testing.T, dsn string) {
	db := openDB(t, dsn)
	ctx := context.Background()
	deploy := tokenOf("tok1", "deploy")
	deploy.AllowNames = []string{"*.svc.internal"}
	deploy.ExpiresAt = ptr(testNow.Add(90 * 24 * time.Hour).Add(123 * time.Nanosecond))
	if err := db.CreateToken(ctx, deploy); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	want := deploy
	want.CreatedAt = testNow // zero: Options.Now
	want.ExpiresAt = ptr(deploy.ExpiresAt.Truncate(time.Microsecond))
	got, err := db.Token(ctx, "tok1")
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	assertToken(t, got, want)

	for name, dup := range map[string]Token{
		"same name":           tokenOf("tok2", "deploy"),
		"same ID, other name": tokenOf("tok1", "other"),
	} {
		if err := db.CreateToken(ctx, dup); !errors.Is(err, ErrTokenExists) {
			t.Errorf("CreateToken(%s) = %v, want ErrTokenExists", name, err)
		}
	}
	for _, id := range []string{"nope", "", "a\x00b", "\xff"} {
		if _, err := db.Token(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Token(%q) = %v, want ErrNotFound", id, err)
		}
	}

	// Expiry is the caller's to judge: an expired token is stored and returned as it is.
	old := tokenOf("tok0", "old")
	old.CreatedAt = testNow.Add(-48 * time.Hour)
	old.ExpiresAt = ptr(testNow.Add(-time.Hour))
	if err := db.CreateToken(ctx, old); err != nil {
		t.Fatalf("CreateToken(expired): %v", err)
	}
	if got, err := db.Token(ctx, "tok0"); err != nil || got.ExpiresAt == nil || !got.ExpiresAt.Equal(*old.ExpiresAt) {
		t.Errorf("Token(expired) = %s, %v", fmtToken(got), err)
	}

	// Revoke by name, then again by ID and by name: the first time stands.
	first := testNow.Add(time.Hour)
	revoked, err := db.RevokeToken(ctx, "deploy", first)
	if err != nil {
		t.Fatalf("RevokeToken(name): %v", err)
	}
	want.RevokedAt = &first
	assertToken(t, revoked, want)
	for _, key := range []string{"tok1", "deploy"} {
		again, err := db.RevokeToken(ctx, key, first.Add(time.Hour))
		if !errors.Is(err, ErrAlreadyRevoked) {
			t.Errorf("RevokeToken(%q) again = %v, want ErrAlreadyRevoked", key, err)
		}
		assertToken(t, again, want) // as stored: revoked at the first time
	}
	if got, _ := db.Token(ctx, "tok1"); got.RevokedAt == nil || !got.RevokedAt.Equal(first) {
		t.Errorf("after revoking twice: revoked at %v, want %v", got.RevokedAt, first)
	}
	if _, err := db.RevokeToken(ctx, "missing", time.Time{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("RevokeToken(unknown) = %v, want ErrNotFound", err)
	}

	// The name of a revoked token can be given again; the name then means the new token.
	second := tokenOf("tok2", "deploy")
	if err := db.CreateToken(ctx, second); err != nil {
		t.Fatalf("CreateToken with a revoked token's name: %v", err)
	}
	if got, err := db.RevokeToken(ctx, "deploy", time.Time{}); err != nil || got.ID != "tok2" ||
		got.RevokedAt == nil || !got.RevokedAt.Equal(testNow) {
		t.Errorf("RevokeToken(reused name) = %s, %v; want tok2 revoked at %v", fmtToken(got), err, testNow)
	}
	// With all tokens of a name revoked, the latest is reported.
	if got, err := db.RevokeToken(ctx, "deploy", time.Time{}); !errors.Is(err, ErrAlreadyRevoked) || got.ID != "tok2" {
		t.Errorf("RevokeToken(name of revoked tokens) = %s, %v; want tok2, ErrAlreadyRevoked", got.ID, err)
	}

	// An ID wins over a name.
	if err := db.CreateToken(ctx, tokenOf("x1", "alpha")); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateToken(ctx, tokenOf("alpha", "beta")); err != nil {
		t.Fatal(err)
	}
	if got, err := db.RevokeToken(ctx, "alpha", time.Time{}); err != nil || got.ID != "alpha" {
		t.Errorf("RevokeToken(ID that is another token's name) = %s, %v; want the token with that ID", got.ID, err)
	}
	if got, _ := db.Token(ctx, "x1"); got.RevokedAt != nil {
		t.Errorf("the token named alpha was revoked too")
	}

	all, err := db.Tokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, tk := range all {
		ids = append(ids, tk.ID)
	}
	if want := []string{"tok0", "tok1", "tok2", "x1", "alpha"}; !slices.Equal(ids, want) {
		t.Errorf("Tokens = %v, want %v (oldest first, revoked included)", ids, want)
	}
}

func testTokenInvalid(t *testing.T, dsn string) {
	db := openDB(t, dsn)
	ctx := context.Background()
	with := func(f func(*Token)) Token {
		tk := tokenOf("id", "name")
		f(&tk)
		return tk
	}
	tests := []struct {
		name string
		tk   Token
	}{
		{"empty ID", with(func(tk *Token) { tk.ID = "" })},
		{"empty name", with(func(tk *Token) { tk.Name = "" })},
		{"empty hash", with(func(tk *Token) { tk.Hash = nil })},
		{"NUL in name", with(func(tk *Token) { tk.Name = "a\x00" })},
		{"invalid UTF-8 ID", with(func(tk *Token) { tk.ID = "\xff" })},
		{"empty scope", with(func(tk *Token) { tk.Scopes = []string{"read", ""} })},
		{"NUL in name pattern", with(func(tk *Token) { tk.AllowNames = []string{"*.a\x00"} })},
		{"already revoked", with(func(tk *Token) { tk.RevokedAt = ptr(testNow) })},
		{"already used", with(func(tk *Token) { tk.LastUsedAt = ptr(testNow) })},
	}
	for _, tc := range tests {
		if err := db.CreateToken(ctx, tc.tk); !errors.Is(err, ErrInvalid) {
			t.Errorf("CreateToken(%s) = %v, want ErrInvalid", tc.name, err)
		}
	}
	if all, err := db.Tokens(ctx); err != nil || len(all) != 0 {
		t.Errorf("Tokens after refused creations = %d, %v; want none", len(all), err)
	}
	// No scopes and no name patterns are stored as such, and come back nil.
	bare := tokenOf("bare", "bare")
	bare.Scopes = []string{}
	if err := db.CreateToken(ctx, bare); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Token(ctx, "bare"); err != nil || got.Scopes != nil || got.AllowNames != nil {
		t.Errorf("Token(bare) = %s, %v", fmtToken(got), err)
	}
}

func testTokenTouch(t *testing.T, dsn string) {
	db := openDB(t, dsn)
	ctx := context.Background()
	if err := db.CreateToken(ctx, tokenOf("tok", "ci")); err != nil {
		t.Fatal(err)
	}
	used := func() *time.Time {
		t.Helper()
		tk, err := db.Token(ctx, "tok")
		if err != nil {
			t.Fatal(err)
		}
		return tk.LastUsedAt
	}
	if u := used(); u != nil {
		t.Fatalf("LastUsedAt of a new token = %v, want nil", u)
	}
	at := testNow.Add(time.Minute)
	if err := db.TouchToken(ctx, "tok", at); err != nil {
		t.Fatalf("TouchToken: %v", err)
	}
	if u := used(); u == nil || !u.Equal(at) {
		t.Errorf("LastUsedAt = %v, want %v", u, at)
	}
	if err := db.TouchToken(ctx, "tok", at.Add(-time.Second)); err != nil { // a late, older touch
		t.Errorf("TouchToken(earlier): %v", err)
	}
	if u := used(); u == nil || !u.Equal(at) {
		t.Errorf("LastUsedAt after an older touch = %v, want it to stay %v", u, at)
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			if err := db.TouchToken(ctx, "tok", at.Add(time.Duration(i)*time.Second)); err != nil {
				t.Errorf("concurrent TouchToken: %v", err)
			}
		})
	}
	wg.Wait()
	if u := used(); u == nil || !u.Equal(at.Add(15*time.Second)) {
		t.Errorf("LastUsedAt after concurrent touches = %v, want the latest, %v", u, at.Add(15*time.Second))
	}
	for _, id := range []string{"nope", ""} {
		if err := db.TouchToken(ctx, id, at); !errors.Is(err, ErrNotFound) {
			t.Errorf("TouchToken(%q) = %v, want ErrNotFound", id, err)
		}
	}
}

// testTokenConcurrent races creations of one name and revocations of one token, through two
// handles as two processes would: exactly one of each wins, and the other handle sees the
// revocation on its next lookup.
func testTokenConcurrent(t *testing.T, dsn string) {
	db := openDB(t, dsn)
	other := openDB(t, dsn)
	handles := []*DB{db, other}
	ctx := context.Background()
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = handles[i%2].CreateToken(ctx, tokenOf(fmt.Sprint("tok", i), "shared")) })
	}
	wg.Wait()
	if ok, dup := countErrs(t, errs, ErrTokenExists); ok != 1 || dup != n-1 {
		t.Errorf("%d concurrent creations of one name: %d succeeded, %d ErrTokenExists; want 1 and %d", n, ok, dup, n-1)
	}
	live, err := other.RevokeToken(ctx, "shared", testNow) // by name: whichever creation won
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateToken(ctx, tokenOf("target", "target")); err != nil {
		t.Fatal(err)
	}
	if got, err := other.Token(ctx, "target"); err != nil || got.RevokedAt != nil {
		t.Fatalf("the other handle sees the new token as %s, %v", fmtToken(got), err)
	}
	for i := range n {
		wg.Go(func() {
			_, errs[i] = handles[i%2].RevokeToken(ctx, "target", testNow.Add(time.Duration(i)*time.Minute))
		})
	}
	wg.Wait()
	if ok, again := countErrs(t, errs, ErrAlreadyRevoked); ok != 1 || again != n-1 {
		t.Errorf("%d concurrent revocations: %d succeeded, %d ErrAlreadyRevoked; want 1 and %d", n, ok, again, n-1)
	}
	for _, h := range handles {
		if got, err := h.Token(ctx, "target"); err != nil || got.RevokedAt == nil {
			t.Errorf("after a revocation through one handle, a lookup shows %s, %v", fmtToken(got), err)
		}
	}
	t.Logf("the creation of %s won", live.ID)
}

// countErrs counts nil errors and errors that are want; anything else fails the test.
func countErrs(t *testing.T, errs []error, want error) (ok, matched int) {
	t.Helper()
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, want):
			matched++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	return ok, matched
}
