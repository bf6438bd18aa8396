package cli_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anchorpki/anchor/acmeserver"
	"github.com/anchorpki/anchor/challenge"
	"github.com/anchorpki/anchor/internal/cli"
	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/internal/testkit/catest"
	"github.com/anchorpki/anchor/internal/testkit/dnsserver"
	"github.com/anchorpki/anchor/pemfile"
	"github.com/anchorpki/anchor/policy"
)

// acmeFixture is an in-process ACME server over a real CA, store and validator, on an httptest
// TLS server whose certificate is in roots (for --roots). Every name resolves to 127.0.0.1
// through a loopback DNS server, and the validator connects to http01 for http-01.
type acmeFixture struct {
	dir    string // directory URL
	roots  string // PEM file trusting the server's HTTPS
	root   *x509.Certificate
	http01 int
}

func newACMEFixture(t *testing.T) *acmeFixture {
	t.Helper()
	c := catest.New(t, catest.Options{Name: "ACME CLI Test", Policy: &policy.Policy{}})
	db, auth, pol, h := c.DB, c.Authority, c.Policy, c.Hierarchy
	dns := dnsserver.Start(t)
	for _, n := range []string{"a.test", "b.test", "proxy.test"} {
		dns.Add(t, n+". 60 IN A 127.0.0.1")
	}
	f := &acmeFixture{http01: testkit.FreePort(t)}
	v, err := challenge.New(challenge.Options{HTTP01Port: f.http01, TLSALPN01Port: testkit.FreePort(t), Resolver: dns.Addr, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s, err := acmeserver.New(acmeserver.Options{Store: db, Authority: auth, Validator: v, Policy: pol})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	srv := httptest.NewTLSServer(s)
	t.Cleanup(srv.Close)
	f.dir = srv.URL + "/acme/directory"
	f.roots = filepath.Join(t.TempDir(), "acme-roots.pem")
	if err := os.WriteFile(f.roots, pemfile.Encode("CERTIFICATE", srv.Certificate().Raw), 0o644); err != nil {
		t.Fatal(err)
	}
	f.root = h.Root
	return f
}

func serialIn(t *testing.T, path string) string {
	t.Helper()
	c, err := pemfile.ReadCertificate(path)
	if err != nil {
		t.Fatal(err)
	}
	return c.SerialNumber.Text(16)
}

// obtain, renew when not due (exit 0, says so), renew --force (a new certificate, the deploy
// hook runs again), as text and JSON.
func TestACMEObtainRenewCommands(t *testing.T) {
	f := newACMEFixture(t)
	a := newAnchor(t)
	out := a.path("certs")
	hook := `printf '%s %s\n' "$ANCHOR_CERT_DIR" "$ANCHOR_DOMAINS" >> '` + a.path("deployed.txt") + `'`
	stdout := a.ok("acme", "obtain", "--directory", f.dir, "--roots", f.roots, "--domain", "a.test", "--domain", "b.test",
		"--http-01-port", itoa(f.http01), "--challenge-address", "127.0.0.1", "--out-dir", "certs", "--deploy-hook", hook)
	if !strings.HasPrefix(stdout, "obtained certificate for a.test, b.test (serial ") || !strings.Contains(stdout, "renewal due at ") {
		t.Fatalf("obtain printed:\n%s", stdout)
	}
	first := serialIn(t, filepath.Join(out, "cert.pem"))
	for _, name := range []string{"cert.pem", "chain.pem", "fullchain.pem", "key.pem", "account.key", "state.json"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("obtain did not write %s: %v", name, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(out, "key.pem")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key.pem mode: %v %v", fi, err)
	}

	// Not due: exit 0 and say when; --roots is remembered from obtain.
	stdout = a.ok("acme", "renew", "--out-dir", "certs")
	if !strings.HasPrefix(stdout, "not due: renewal window starts ") || serialIn(t, filepath.Join(out, "cert.pem")) != first {
		t.Fatalf("renew of a fresh certificate printed:\n%s", stdout)
	}
	var res struct {
		Renewed bool   `json:"renewed"`
		Reason  string `json:"reason"`
		Serial  string `json:"serial"`
		Window  *struct {
			Start time.Time `json:"start"`
		} `json:"ari_window"`
	}
	if err := json.Unmarshal([]byte(a.ok("acme", "renew", "--out-dir", "certs", "--json")), &res); err != nil {
		t.Fatal(err)
	}
	if res.Renewed || res.Window == nil || !strings.HasPrefix(res.Reason, "not due: renewal window starts "+res.Window.Start.Format(time.RFC3339)) {
		t.Fatalf("renew --json: %+v", res)
	}

	stdout = a.ok("acme", "renew", "--out-dir", "certs", "--force", "--json")
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	if second := serialIn(t, filepath.Join(out, "cert.pem")); !res.Renewed || res.Reason != "forced" || second == first ||
		strings.TrimLeft(res.Serial, "0") != second {
		t.Fatalf("renew --force: %+v (cert.pem serial %s, first %s)", res, second, first)
	}
	deployed, err := os.ReadFile(a.path("deployed.txt"))
	if want := out + " a.test b.test\n"; err != nil || string(deployed) != want+want {
		t.Errorf("deploy hook output %q, %v; want %q twice", deployed, err, want)
	}
}

func TestACMEClientErrors(t *testing.T) {
	f := newACMEFixture(t)
	a := newAnchor(t)
	a.write("pass.txt", "right\n")
	a.write("wrong.txt", "wrong\n")
	base := []string{"acme", "obtain", "--directory", f.dir, "--roots", f.roots, "--domain", "a.test", "--out-dir", "out"}
	http01 := []string{"--http-01-port", itoa(f.http01), "--challenge-address", "127.0.0.1"}
	a.ok(append(append(base, http01...), "--passphrase-file", "pass.txt")...)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no challenge", base, 2, "give one challenge method"},
		{"two challenges", append(base, "--http-01-port", "80", "--webroot", "www"), 2, "not --http-01-port and --webroot"},
		{"no directory", []string{"acme", "obtain", "--domain", "a.test", "--http-01-port", "80", "--out-dir", "x"}, 2, "--directory is required"},
		{"no domain", []string{"acme", "obtain", "--directory", f.dir, "--http-01-port", "80", "--out-dir", "x"}, 2, "at least one --domain"},
		{"bad key type", append(append(base, http01...), "--key-type", "dsa"), 2, "--key-type"},
		{"eab half", append(append(base, http01...), "--eab-kid", "k"), 2, "go together"},
		{"bad domain", append([]string{"acme", "obtain", "--directory", f.dir, "--domain", "a..test", "--out-dir", "y"}, http01...), 2, "invalid request"},
		{"challenge fails", []string{"acme", "obtain", "--directory", f.dir, "--roots", f.roots, "--domain", "b.test", "--webroot", "www", "--out-dir", "z"},
			1, "anchor: b.test: acme: urn:ietf:params:acme:error:connection: "},
		{"untrusted server", append([]string{"acme", "obtain", "--directory", f.dir, "--domain", "b.test", "--out-dir", "z2"}, http01...), 1, "signed by unknown authority (give --roots"},
		{"renew nothing", []string{"acme", "renew", "--out-dir", "empty"}, 1, "no certificate obtained into this directory yet"},
		{"renew no out-dir", []string{"acme", "renew"}, 2, "--out-dir is required"},
		{"renew encrypted without passphrase", []string{"acme", "renew", "--out-dir", "out", "--force"}, 1, "give --passphrase-file"},
		{"renew wrong passphrase", []string{"acme", "renew", "--out-dir", "out", "--force", "--passphrase-file", "wrong.txt"}, 1, "account.key: keys: wrong passphrase"},
		{"renew force daemon", []string{"acme", "renew", "--out-dir", "out", "--force", "--daemon"}, 2, "does not go with --daemon"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := a.run(tc.args...)
			t.Log(strings.TrimSpace(r.stderr))
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) || strings.Count(r.stderr, "anchor: ") != 1 {
				t.Fatalf("anchor %v: exit %d, stderr %q; want exit %d and one line mentioning %q", tc.args, r.code, r.stderr, tc.code, tc.want)
			}
		})
	}
	if out := a.ok("acme", "renew", "--out-dir", "out", "--force", "--passphrase-file", "pass.txt"); !strings.HasPrefix(out, "renewed certificate for a.test") {
		t.Errorf("renew with the passphrase: %s", out)
	}
	for cmd, want := range map[string]string{"obtain": "anchor acme obtain --directory https://ca.internal:8443/acme/directory",
		"renew": "anchor acme renew --out-dir /etc/anchor/app --daemon"} {
		if out := a.ok("acme", cmd, "--help"); !strings.Contains(out, want) {
			t.Errorf("acme %s --help lacks the example %q", cmd, want)
		}
	}
}

// --daemon checks at once, prints, and exits 0 when its context ends.
func TestACMERenewDaemon(t *testing.T) {
	f := newACMEFixture(t)
	a := newAnchor(t)
	a.ok("acme", "obtain", "--directory", f.dir, "--roots", f.roots, "--domain", "a.test",
		"--http-01-port", itoa(f.http01), "--challenge-address", "127.0.0.1", "--out-dir", "certs")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr testkit.Buffer
	done := make(chan int, 1)
	go func() {
		done <- runCLI(ctx, []string{"acme", "renew", "--out-dir", a.path("certs"), "--daemon"}, &stdout, &stderr)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stdout.String(), "not due: renewal window starts ") {
		if time.Now().After(deadline) {
			t.Fatalf("daemon printed nothing; stdout %q stderr %q", stdout.String(), stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("daemon exit %d after cancel: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("daemon did not stop after its context was cancelled")
	}
}

// runCLI runs the command line in-process without changing directory, for commands that keep
// running while the test goes on.
func runCLI(ctx context.Context, args []string, stdout, stderr *testkit.Buffer) int {
	return cli.Run(ctx, args, strings.NewReader(""), stdout, stderr)
}
