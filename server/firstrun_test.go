package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anchorpki/anchor/config"
	"github.com/anchorpki/anchor/keys"
	"github.com/anchorpki/anchor/pemfile"
	"github.com/anchorpki/anchor/server"
)

// Acceptance 1, in process: an empty directory becomes a CA that serves /healthz over HTTPS to
// a client trusting only the new root; a second start reuses the CA, its URL and its HTTPS
// certificate, and prints nothing.
func TestFirstRunThenRestart(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "anchor-data") // does not exist yet
	r := start(t, dir, nil)

	rootFile := filepath.Join(dir, "ca", "root.pem")
	root, err := pemfile.ReadCertificate(rootFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(root.Raw, r.Root().Raw) {
		t.Fatal("ca/root.pem is not the root the server uses")
	}
	sum := sha256.Sum256(root.Raw)
	fp := hex.EncodeToString(sum[:])
	out := r.stdout.String()
	for _, want := range []string{fp, rootFile, server.TrustCommand(rootFile), "anchor trust install " + rootFile,
		"curl --cacert " + rootFile + " https://" + r.HTTPSAddr() + "/healthz"} {
		if !strings.Contains(out, want) {
			t.Errorf("first-run message lacks %q:\n%s", want, out)
		}
	}
	if want := "http://" + r.HTTPAddr(); r.BaseURL() != want {
		t.Errorf("base URL %q, want the HTTP listener's %q", r.BaseURL(), want)
	}
	for path, mode := range map[string]os.FileMode{
		dir: 0o700, filepath.Join(dir, "ca", "root.key"): 0o600, filepath.Join(dir, "ca", "intermediate.key"): 0o600,
		filepath.Join(dir, "server", "tls.key"): 0o600, filepath.Join(dir, "config.yaml"): 0o644,
	} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != mode {
			t.Errorf("%s: %v, %v; want mode %v", path, fi.Mode().Perm(), err, mode)
		}
	}
	// config.yaml is the commented default with the URL recorded, and loads strictly.
	c, err := server.LoadConfig(dir, "", nil)
	if err != nil {
		t.Fatalf("the written config.yaml does not load: %v", err)
	}
	if c.URL != r.BaseURL() {
		t.Errorf("config.yaml url %q, want %q", c.URL, r.BaseURL())
	}

	code, body, _ := get(t, r.httpsClient(), r.httpsURL("/healthz"))
	if h := decodeHealth(t, body); code != 200 || h.Status != "ok" || h.Checks["store"] != "ok" || h.Checks["ca_key"] != "ok" {
		t.Fatalf("/healthz: %d %s", code, body)
	}
	tlsPEM, err := os.ReadFile(filepath.Join(dir, "server", "tls.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}

	again := start(t, dir, nil)
	if !bytes.Equal(again.Root().Raw, root.Raw) {
		t.Fatal("the second start made a new root")
	}
	if again.stdout.String() != "" {
		t.Errorf("the second start printed:\n%s", again.stdout.String())
	}
	if again.BaseURL() != r.BaseURL() {
		t.Errorf("the second start uses URL %q, the first %q", again.BaseURL(), r.BaseURL())
	}
	if now, _ := os.ReadFile(filepath.Join(dir, "server", "tls.pem")); !bytes.Equal(now, tlsPEM) {
		t.Error("the second start replaced a current HTTPS certificate")
	}
	if code, body, _ := get(t, again.httpsClient(), again.httpsURL("/healthz")); code != 200 {
		t.Fatalf("/healthz after restart: %d %s", code, body)
	}
	if ev := again.logs.events(t, "serving"); len(ev) != 1 || ev[0]["root_sha256"] != fp {
		t.Fatalf("serving events %v, want one with root_sha256 %s", ev, fp)
	}
}

// A config.yaml that exists is never rewritten, and the url a user put there is the one in the
// certificates.
func TestFirstRunKeepsConfigAndURL(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mine := []byte("# mine\nurl: http://ca.example.test:8080/\n")
	if err := os.WriteFile(server.ConfigPath(dir), mine, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := server.LoadConfig(dir, "", []server.Setting{{Key: "listen", Value: "127.0.0.1:0"}, {Key: "http_listen", Value: "127.0.0.1:0"}})
	if err != nil {
		t.Fatal(err)
	}
	r := start(t, dir, func(o *server.Options) { o.Config = c })
	if got, _ := os.ReadFile(server.ConfigPath(dir)); !bytes.Equal(got, mine) {
		t.Fatalf("config.yaml was rewritten:\n%s", got)
	}
	iss, _ := r.issue(t, "server", time.Time{}, "www.example.test")
	if got := iss.Certificate.CRLDistributionPoints; len(got) != 1 || got[0] != "http://ca.example.test:8080/crl/intermediate.crl" {
		t.Fatalf("CRL distribution points %v", got)
	}
	// The HTTPS certificate also names the host clients know the CA by.
	tlsCert, err := pemfile.ReadCertificate(filepath.Join(dir, "server", "tls.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(tlsCert.DNSNames, "ca.example.test") || !slices.Contains(tlsCert.DNSNames, "localhost") {
		t.Fatalf("HTTPS certificate names %v %v", tlsCert.DNSNames, tlsCert.IPAddresses)
	}
}

// LoadConfig: flags override the file; a file named explicitly must exist; config.yaml may not.
func TestLoadConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c, err := server.LoadConfig(dir, "", nil)
	if err != nil {
		t.Fatalf("no config.yaml (first run): %v", err)
	}
	if c.Listen != config.Default().Listen {
		t.Fatalf("defaults: %+v", c)
	}
	if _, err := server.LoadConfig(dir, filepath.Join(dir, "missing.yaml"), nil); err == nil {
		t.Fatal("a missing --config file was accepted")
	}
	if err := os.WriteFile(server.ConfigPath(dir), []byte("listen: 127.0.0.1:9443\ndb: other.db\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err = server.LoadConfig(dir, "", []server.Setting{{Key: "db", Value: "flag.db"}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9443" || c.DB != "flag.db" {
		t.Fatalf("file then flags: listen %q db %q", c.Listen, c.DB)
	}
}

// With a passphrase the CA keys are encrypted at rest, and a restart needs the passphrase.
func TestFirstRunWithPassphrase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pass := []byte("correct horse battery staple")
	r := start(t, dir, func(o *server.Options) { o.Passphrase = pass })
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"root.key", "intermediate.key", "ocsp.key"} {
		if b := readFile(t, filepath.Join(dir, "ca", k)); !bytes.Contains(b, []byte("ENCRYPTED PRIVATE KEY")) {
			t.Errorf("ca/%s is not encrypted", k)
		}
	}
	if _, err := tryStart(t, dir, nil); !errors.Is(err, keys.ErrPassphraseRequired) {
		t.Fatalf("restart without the passphrase: %v", err)
	}
	again := start(t, dir, func(o *server.Options) { o.Passphrase = pass })
	if code, body, _ := get(t, again.httpsClient(), again.httpsURL("/healthz")); code != 200 {
		t.Fatalf("/healthz: %d %s", code, body)
	}
}
