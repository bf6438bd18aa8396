package acmeclient_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anchorpki/anchor/acme"
	"github.com/anchorpki/anchor/acmeclient"
	"github.com/anchorpki/anchor/keys"
	"github.com/anchorpki/anchor/pemfile"
	"github.com/anchorpki/anchor/revocation"
)

func leafOf(t *testing.T, dir string) string {
	t.Helper()
	c, err := pemfile.ReadCertificate(filepath.Join(dir, "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return c.SerialNumber.Text(16)
}

func at(t time.Time) func(*acmeclient.Options) {
	return func(o *acmeclient.Options) { o.Now = func() time.Time { return t } }
}

// With renewal information: a fresh certificate is not due; inside the window it is; a revoked
// certificate (whose window the server moves into the past) is renewed at once, and the new
// order names the certificate it replaces.
func TestRenewWithARI(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := context.Background()
	dir := t.TempDir()
	first, err := f.client(dir).Obtain(ctx, f.request(f.standaloneHTTP01(), "a.test"))
	if err != nil {
		t.Fatal(err)
	}
	if first.Window == nil || !first.RenewAt.After(first.Window.Start.Add(-time.Second)) || !first.RenewAt.Before(first.Window.End) {
		t.Fatalf("obtain result: window %v, renew at %v", first.Window, first.RenewAt)
	}

	res, err := f.client(dir).Renew(ctx, acmeclient.RenewRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Renewed || !strings.HasPrefix(res.Reason, "not due: renewal window starts "+first.Window.Start.Format(time.RFC3339)) {
		t.Fatalf("fresh certificate: %+v", res)
	}
	if res.Serial != first.Serial {
		t.Fatalf("not due, yet the certificate changed: %s → %s", first.Serial, res.Serial)
	}
	// Retry-After of the server is 6 h; the renewal point is later: check again in 6 h.
	if d := time.Until(res.NextCheck); d < 5*time.Hour || d > 6*time.Hour+time.Minute {
		t.Errorf("next check in %v, want the server's Retry-After of 6h", d)
	}
	// Twice the same answer: the point in the window is fixed per certificate.
	again, _ := f.client(dir).Renew(ctx, acmeclient.RenewRequest{})
	if !again.RenewAt.Equal(res.RenewAt) {
		t.Errorf("renewal point moved between checks: %v, %v", res.RenewAt, again.RenewAt)
	}

	// Just before the window ends, the point in it has passed.
	res, err = f.client(dir, at(first.Window.End.Add(-time.Millisecond))).Renew(ctx, acmeclient.RenewRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Renewed || !strings.Contains(res.Reason, "inside the renewal window") || res.Serial == first.Serial {
		t.Fatalf("inside the window: %+v", res)
	}
	second := res.Serial

	// Revoked: the window lies in the past.
	leaf, err := pemfile.ReadCertificate(filepath.Join(dir, "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.auth.Revoke(ctx, leaf.SerialNumber, revocation.KeyCompromise, "test"); err != nil {
		t.Fatal(err)
	}
	res, err = f.client(dir).Renew(ctx, acmeclient.RenewRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Renewed || !strings.Contains(res.Reason, "window ended") || res.Serial == second || leafOf(t, dir) != strings.TrimLeft(res.Serial, "0") {
		t.Fatalf("revoked certificate: %+v", res)
	}
	certID, _ := acme.CertID(leaf)
	if orders, err := f.db.ACMEOrdersReplacing(ctx, certID); err != nil || len(orders) != 1 {
		t.Errorf("orders replacing %s: %d, %v; want the renewal's order", certID, len(orders), err)
	}
}

// Without renewal information: due after two thirds of the lifetime (less the jitter), or
// once expired.
func TestRenewWithoutARI(t *testing.T) {
	f := newFixture(t, fixtureOptions{noARI: true})
	ctx := context.Background()
	dir := t.TempDir()
	first, err := f.client(dir).Obtain(ctx, f.request(f.standaloneHTTP01(), "b.test"))
	if err != nil {
		t.Fatal(err)
	}
	life := first.NotAfter.Sub(first.NotBefore)
	twoThirds := first.NotBefore.Add(life * 2 / 3)
	if first.Window != nil || first.RenewAt.After(twoThirds) || first.RenewAt.Before(twoThirds.Add(-life/20-time.Second)) {
		t.Fatalf("renew at %v (window %v); want within a twentieth of the lifetime before %v", first.RenewAt, first.Window, twoThirds)
	}
	res, err := f.client(dir).Renew(ctx, acmeclient.RenewRequest{})
	if err != nil || res.Renewed || !strings.HasPrefix(res.Reason, "not due: renewal window starts ") {
		t.Fatalf("fresh certificate: %+v %v", res, err)
	}
	if res.NextCheck.After(time.Now().Add(24 * time.Hour)) {
		t.Errorf("next check %v: more than a day away", res.NextCheck)
	}
	tests := []struct {
		name string
		now  time.Time
		want string
	}{
		{"before two thirds", twoThirds.Add(-life / 10), ""},
		{"after two thirds", twoThirds.Add(time.Second), "two thirds of the lifetime have passed"},
		{"expired", first.NotAfter.Add(time.Hour), "expired at "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := leafOf(t, dir)
			res, err := f.client(dir, at(tc.now)).Renew(ctx, acmeclient.RenewRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Renewed != (tc.want != "") || !strings.Contains(res.Reason, tc.want) {
				t.Fatalf("renewed %v (%s); want %q", res.Renewed, res.Reason, tc.want)
			}
			if changed := leafOf(t, dir) != before; changed != res.Renewed {
				t.Fatalf("renewed %v but cert.pem changed %v", res.Renewed, changed)
			}
		})
	}
}

// --force renews a fresh certificate, and the deploy hook sees the directory and the names.
func TestRenewForceRunsDeployHook(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := context.Background()
	dir := t.TempDir()
	out := filepath.Join(t.TempDir(), "deployed")
	req := f.request(f.standaloneHTTP01(), "a.test", "b.test")
	req.DeployHook = `printf '%s|%s\n' "$ANCHOR_CERT_DIR" "$ANCHOR_DOMAINS" >> '` + out + `'`
	first, err := f.client(dir).Obtain(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.client(dir).Renew(ctx, acmeclient.RenewRequest{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Renewed || res.Reason != "forced" || res.Serial == first.Serial || res.DeployHook != req.DeployHook {
		t.Fatalf("forced renewal: %+v", res)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := dir + "|a.test b.test\n"
	if string(b) != want+want {
		t.Errorf("deploy hook saw %q; want %q twice", b, want)
	}
	// Not due: no hook.
	if _, err := f.client(dir).Renew(ctx, acmeclient.RenewRequest{}); err != nil {
		t.Fatal(err)
	}
	if b2, _ := os.ReadFile(out); len(b2) != len(b) {
		t.Error("deploy hook ran without a new certificate")
	}

	// A failing hook is an error that names it, after the certificate was written.
	st2 := f.request(f.standaloneHTTP01(), "a.test")
	st2.DeployHook = "echo reload refused >&2; exit 3"
	res, err = f.client(dir).Obtain(ctx, st2)
	if err == nil || !strings.Contains(err.Error(), "deploy hook") || !strings.Contains(err.Error(), "reload refused") || res == nil || !res.Renewed {
		t.Fatalf("failing hook: %+v, %v", res, err)
	}
}

// A passphrase encrypts the account key; renewal reads it back with the same one and refuses a
// wrong or missing one clearly.
func TestAccountKeyPassphrase(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := context.Background()
	dir := t.TempDir()
	pass := func(p string) func(*acmeclient.Options) {
		return func(o *acmeclient.Options) { o.Passphrase = []byte(p) }
	}
	if _, err := f.client(dir, pass("s3cret")).Obtain(ctx, f.request(f.standaloneHTTP01(), "a.test")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "account.key"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "-----BEGIN ENCRYPTED PRIVATE KEY-----") {
		t.Fatalf("account.key is not encrypted:\n%.60s", b)
	}
	account := readState(t, dir)["account"]
	if _, err := f.client(dir, pass("s3cret")).Renew(ctx, acmeclient.RenewRequest{Force: true}); err != nil {
		t.Fatal(err)
	}
	if got := readState(t, dir)["account"]; got != account {
		t.Errorf("account changed on renewal: %v → %v", account, got)
	}
	_, err = f.client(dir, pass("wrong")).Renew(ctx, acmeclient.RenewRequest{Force: true})
	if !errors.Is(err, keys.ErrWrongPassphrase) || !strings.Contains(err.Error(), "account.key") {
		t.Errorf("wrong passphrase: %v", err)
	}
	_, err = f.client(dir).Renew(ctx, acmeclient.RenewRequest{Force: true})
	if !errors.Is(err, keys.ErrPassphraseRequired) {
		t.Errorf("no passphrase: %v", err)
	}
}

func TestRenewWithoutState(t *testing.T) {
	_, err := (&fixture{}).clientNoFixture(t).Renew(context.Background(), acmeclient.RenewRequest{})
	if !errors.Is(err, acmeclient.ErrNoState) {
		t.Fatalf("renew of an empty directory: %v", err)
	}
}

func (*fixture) clientNoFixture(t *testing.T) *acmeclient.Client {
	c, err := acmeclient.New(acmeclient.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// RunRenewals checks at once, reports, and stops with its context.
func TestRunRenewals(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	dir := t.TempDir()
	if _, err := f.client(dir).Obtain(context.Background(), f.request(f.standaloneHTTP01(), "a.test")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	reports := make(chan *acmeclient.Result, 1)
	done := make(chan error, 1)
	go func() {
		done <- f.client(dir).RunRenewals(ctx, time.Time{}, func(r *acmeclient.Result, err error) {
			if err != nil {
				t.Error(err)
			}
			reports <- r
		})
	}()
	select {
	case r := <-reports:
		if r.Renewed {
			t.Errorf("fresh certificate renewed: %+v", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no report")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("RunRenewals returned %v", err)
	}
}
