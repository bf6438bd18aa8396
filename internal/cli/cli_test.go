package cli_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/internal/cli"
	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/lint"
	"github.com/anchorpki/anchor/store"
)

// anchor runs the command line in-process in dir, with the data directory dir/anchor-data.
type anchor struct {
	t   testing.TB
	dir string
}

type result struct {
	code           int
	stdout, stderr string
}

func newAnchor(t testing.TB) *anchor {
	t.Helper()
	return &anchor{t: t, dir: t.TempDir()}
}

func (a *anchor) run(args ...string) result {
	a.t.Helper()
	return a.runStdin(nil, args...)
}

func (a *anchor) runStdin(stdin []byte, args ...string) result {
	a.t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"--data", filepath.Join(a.dir, "anchor-data")}, args...)
	// Paths in args are relative to a.dir: run with it as the working directory.
	wd, _ := os.Getwd()
	if err := os.Chdir(a.dir); err != nil {
		a.t.Fatal(err)
	}
	defer os.Chdir(wd)
	code := cli.Run(context.Background(), full, bytes.NewReader(stdin), &out, &errb)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

func (a *anchor) ok(args ...string) string {
	a.t.Helper()
	r := a.run(args...)
	if r.code != 0 {
		a.t.Fatalf("anchor %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// authority opens the data directory's CA and inventory in this process, as `anchor serve`
// wires them, for tests that put a server beside the command line.
func (a *anchor) authority() (*ca.Authority, *ca.Loaded, *store.DB) {
	a.t.Helper()
	t := a.t
	layout := ca.Layout{Dir: a.path("anchor-data")}
	db, err := store.Open(context.Background(), layout.Database(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l, err := lint.New(lint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := layout.Load(ca.LoadOptions{Linter: l})
	if err != nil {
		t.Fatal(err)
	}
	auth, err := ca.New(ca.Options{Inventory: db, Issuer: loaded.Issuer})
	if err != nil {
		t.Fatal(err)
	}
	return auth, loaded, db
}

func (a *anchor) path(name string) string { return filepath.Join(a.dir, name) }

func (a *anchor) write(name, content string) {
	a.t.Helper()
	if err := os.WriteFile(a.path(name), []byte(content), 0o600); err != nil {
		a.t.Fatal(err)
	}
}

func (a *anchor) openssl(args ...string) testkit.Result {
	a.t.Helper()
	return testkit.Exec(a.t, a.dir, nil, testkit.OpenSSL(a.t), args...)
}

// Acceptance 1: openssl verifies a server certificate for its purpose and host; a client
// certificate fails the server purpose.
func TestIssuedChainVerifiesWithOpenSSL(t *testing.T) {
	a := newAnchor(t)
	a.ok("ca", "init", "--name", "Example Corp")
	a.ok("ca", "root") // prints; also check the file
	a.ok("issue", "example.com", "www.example.com", "--out-cert", "server.pem", "--out-key", "server.key", "--out-chain", "chain.pem")
	a.ok("issue", "alice@example.com", "--profile", "client", "--out-cert", "client.pem", "--out-key", "client.key")
	root, inter := "anchor-data/ca/root.pem", "anchor-data/ca/intermediate.pem"

	r := a.openssl("verify", "-CAfile", root, "-untrusted", inter, "-purpose", "sslserver", "-verify_hostname", "example.com", "server.pem")
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, "server.pem: OK") {
		t.Fatalf("openssl verify server: %s", r.Combined())
	}
	r = a.openssl("verify", "-CAfile", root, "-untrusted", inter, "-purpose", "sslserver", "client.pem")
	if r.ExitCode == 0 {
		t.Fatalf("openssl accepted a client certificate for sslserver: %s", r.Combined())
	}
	r = a.openssl("verify", "-CAfile", root, "-untrusted", inter, "-purpose", "sslclient", "client.pem")
	if r.ExitCode != 0 {
		t.Fatalf("openssl verify client for sslclient: %s", r.Combined())
	}
	r = a.openssl("verify", "-CAfile", root, "-untrusted", inter, "-purpose", "sslserver", "-verify_hostname", "other.example.org", "server.pem")
	if r.ExitCode == 0 {
		t.Fatal("openssl accepted the wrong host name")
	}
	fi, err := os.Stat(a.path("server.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("server.key mode: %v %v", fi.Mode(), err)
	}
	for _, k := range []string{"anchor-data/ca/root.key", "anchor-data/ca/intermediate.key"} {
		if fi, err := os.Stat(a.path(k)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s mode: %v %v", k, fi.Mode(), err)
		}
	}
}

// Acceptance 2: a CSR from openssl with an RSA-4096 key is signed and verifies.
func TestSignOpenSSLCSR(t *testing.T) {
	a := newAnchor(t)
	a.ok("ca", "init")
	r := a.openssl("req", "-new", "-newkey", "rsa:4096", "-nodes", "-keyout", "web.key", "-subj", "/CN=web.internal/O=Web",
		"-addext", "subjectAltName=DNS:web.internal,IP:10.0.0.7", "-out", "web.csr")
	if r.ExitCode != 0 {
		t.Fatal(r.Combined())
	}
	a.ok("ca", "sign", "web.csr", "--profile", "server", "--days", "30", "--out", "web.pem", "--chain")
	r = a.openssl("verify", "-CAfile", "anchor-data/ca/root.pem", "-untrusted", "anchor-data/ca/intermediate.pem",
		"-purpose", "sslserver", "-verify_hostname", "web.internal", "web.pem")
	if r.ExitCode != 0 {
		t.Fatalf("openssl verify: %s", r.Combined())
	}
	text := a.openssl("x509", "-in", "web.pem", "-noout", "-text").Stdout
	for _, want := range []string{"Key Encipherment", "IP Address:10.0.0.7", "Public-Key: (4096 bit)"} {
		if !strings.Contains(text, want) {
			t.Errorf("signed certificate lacks %q", want)
		}
	}
	// DER input works too.
	a.openssl("req", "-in", "web.csr", "-outform", "DER", "-out", "web.der")
	a.ok("ca", "sign", "web.der", "--out", "web2.pem")
}

// Acceptance 3: openssl reads every key anchor writes, encrypted ones only with the passphrase.
func TestOpenSSLReadsAnchorKeys(t *testing.T) {
	a := newAnchor(t)
	a.write("pass.txt", "s3cret pass\n")
	a.write("wrong.txt", "nope\n")
	for _, typ := range []string{"ec-p256", "ec-p384", "ed25519", "rsa-2048", "rsa-3072"} {
		a.ok("key", "create", "--type", typ, "--out", typ+".key")
		a.ok("key", "create", "--type", typ, "--out", typ+".enc.key", "--passphrase-file", "pass.txt")
		if r := a.openssl("pkey", "-in", typ+".key", "-noout"); r.ExitCode != 0 {
			t.Errorf("%s: openssl cannot read plain key: %s", typ, r.Combined())
		}
		if r := a.openssl("pkey", "-in", typ+".enc.key", "-noout", "-passin", "file:pass.txt"); r.ExitCode != 0 {
			t.Errorf("%s: openssl cannot read encrypted key: %s", typ, r.Combined())
		}
		if r := a.openssl("pkey", "-in", typ+".enc.key", "-noout", "-passin", "file:wrong.txt"); r.ExitCode == 0 {
			t.Errorf("%s: openssl read the encrypted key with a wrong passphrase", typ)
		}
		if r := a.openssl("pkey", "-in", typ+".enc.key", "-noout", "-passin", "pass:"); r.ExitCode == 0 {
			t.Errorf("%s: openssl read the encrypted key without the passphrase", typ)
		}
	}
	// And anchor reads what openssl writes: a CSR from an openssl SEC1 key.
	a.openssl("ecparam", "-genkey", "-name", "prime256v1", "-out", "sec1.key")
	a.ok("csr", "create", "--key", "sec1.key", "--subject", "/CN=sec1.example/O=X", "--san", "sec1.example", "--out", "sec1.csr")
	if r := a.openssl("req", "-in", "sec1.csr", "-verify", "-noout"); r.ExitCode != 0 {
		t.Fatalf("openssl rejects our CSR: %s", r.Combined())
	}
}

// Acceptance 4: a Go crypto/tls server with an issued certificate is reached by curl trusting
// only the root.
func TestCurlReachesTLSServer(t *testing.T) {
	curl := testkit.Tool(t, "curl")
	a := newAnchor(t)
	a.ok("ca", "init")
	a.ok("issue", "localhost", "127.0.0.1", "--out-cert", "localhost.pem", "--out-key", "localhost.key", "--out-chain", "chain.pem")
	cert, err := tls.LoadX509KeyPair(a.path("chain.pem"), a.path("localhost.key"))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("hello over tls\n")) }),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { srv.Close() })
	port := ln.Addr().(*net.TCPAddr).Port
	url := "https://localhost:" + itoa(port) + "/"
	r := testkit.Exec(t, a.dir, nil, curl, "--silent", "--show-error", "--fail", "--cacert", "anchor-data/ca/root.pem",
		"--resolve", "localhost:"+itoa(port)+":127.0.0.1", url)
	if r.ExitCode != 0 || r.Stdout != "hello over tls\n" {
		t.Fatalf("curl: exit %d: %s", r.ExitCode, r.Combined())
	}
	// Without the root, curl must refuse: the test would prove nothing if it accepted anything.
	r = testkit.Exec(t, a.dir, nil, curl, "--silent", "--fail", "--resolve", "localhost:"+itoa(port)+":127.0.0.1", url)
	if r.ExitCode == 0 {
		t.Fatal("curl trusted the server without our root")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
