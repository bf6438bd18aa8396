package cli_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/anchorpki/anchor/internal/cli"
	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/pemfile"
)

func TestProxyUsageErrors(t *testing.T) {
	a := newAnchor(t)
	a.ok("ca", "init")
	a.ok("issue", "localhost", "--out-cert", "s.pem", "--out-key", "s.key")
	up := []string{"proxy", "--upstream", "http://127.0.0.1:5000"}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	files := append(up, "--cert", "s.pem", "--key", "s.key")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no upstream", []string{"proxy", "--cert", "s.pem", "--key", "s.key"}, 2, "--upstream is required"},
		{"upstream not http", []string{"proxy", "--upstream", "ftp://x", "--cert", "s.pem", "--key", "s.key"}, 2, "must be an http:// URL"},
		{"upstream without scheme", []string{"proxy", "--upstream", "127.0.0.1:5000", "--cert", "s.pem", "--key", "s.key"}, 2, "must be an http:// URL"},
		{"no certificate", up, 2, "give --cert and --key"},
		{"cert without key", append(up, "--cert", "s.pem"), 2, "give --cert and --key"},
		{"cert and acme", append(files, "--acme", "https://acme.test/dir", "--domain", "a.test"), 2, "not both"},
		{"acme without domain", append(up, "--acme", "https://acme.test/dir"), 2, "at least one --domain"},
		{"domain without acme", append(files, "--domain", "a.test"), 2, "--domain needs --acme"},
		{"acme without a challenge method", append(up, "--acme", "https://acme.test/dir", "--domain", "a.test"), 2, "give one challenge method"},
		{"require without CA", append(files, "--require-client-cert"), 2, "--require-client-cert needs --client-ca"},
		// An intermediate as an anchor would escape the revocation check of the client chain.
		{"intermediate as client CA", append(files, "--client-ca", "anchor-data/ca/intermediate.pem"), 2, "not a self-signed root CA"},
		{"leaf as client CA", append(files, "--client-ca", "s.pem"), 2, "not a self-signed root CA"},
		{"bad revocation mode", append(files, "--client-revocation", "soft"), 2, "give auto, ocsp, crl or off"},
		{"bad listen", append(files, "--listen", "8443"), 2, "--listen"},
		{"argument", append(files, "extra"), 2, "unknown command"},
		{"missing cert file", append(up, "--cert", "missing.pem", "--key", "s.key"), 1, "missing.pem"},
		{"key of another certificate", append(up, "--cert", "anchor-data/ca/intermediate.pem", "--key", "s.key"), 1, "does not belong"},
		{"port in use", append(files, "--listen", busy.Addr().String()), 1, "address already in use"},
		{"missing client CA", append(files, "--client-ca", "nope.pem"), 1, "nope.pem"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := a.run(tc.args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("anchor %v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, r.code, r.stderr, tc.code, tc.want)
			}
		})
	}
	if out := a.ok("proxy", "--help"); !strings.Contains(out, "anchor proxy --listen 127.0.0.1:8443 --upstream http://127.0.0.1:5000") ||
		!strings.Contains(out, "--client-revocation") {
		t.Errorf("proxy --help lacks the example or flags:\n%s", out)
	}
}

// The command on port 0 prints its real address, proxies with mutual TLS and an encrypted server
// key, and exits 0 when its context ends.
func TestProxyCommandServes(t *testing.T) {
	a := newAnchor(t)
	a.ok("ca", "init")
	a.write("keypass.txt", "proxy key pass\n")
	a.ok("issue", "localhost", "127.0.0.1", "--out-cert", "s.pem", "--out-key", "s.key", "--out-chain", "s-chain.pem", "--key-passphrase-file", "keypass.txt")
	a.ok("issue", "alice@example.com", "--profile", "client", "--out-cert", "alice.pem", "--out-key", "alice.key", "--out-chain", "alice-chain.pem")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	app := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("hello " + r.Header.Get("X-Client-Cert-Serial") + " " + r.Header.Get("X-Forwarded-Proto")))
	})}
	go app.Serve(ln)
	t.Cleanup(func() { app.Close() })
	upstream := "http://" + ln.Addr().String()

	base := []string{"--data", a.path("anchor-data"), "proxy", "--listen", "127.0.0.1:0", "--upstream", upstream,
		"--cert", a.path("s-chain.pem"), "--key", a.path("s.key"), "--client-ca", a.path("anchor-data/ca/root.pem"), "--require-client-cert"}
	if r := a.run(base[2:]...); r.code != 1 || !strings.Contains(r.stderr, "give --passphrase-file") {
		t.Fatalf("encrypted key without passphrase: exit %d %s", r.code, r.stderr)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr testkit.Buffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, append(base, "--passphrase-file", a.path("keypass.txt")), strings.NewReader(""), &stdout, &stderr)
	}()
	line := regexp.MustCompile(`^anchor proxy: https://(127\.0\.0\.1:\d+) → ` + regexp.QuoteMeta(upstream) + "\n$")
	var addr string
	deadline := time.Now().Add(10 * time.Second)
	for addr == "" {
		if m := line.FindStringSubmatch(stdout.String()); m != nil {
			addr = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no listening line; stdout %q stderr %q", stdout.String(), stderr.String())
		} else {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if strings.HasSuffix(addr, ":0") {
		t.Fatalf("printed port 0: %s", addr)
	}

	root, err := pemfile.ReadCertificate(a.path("anchor-data/ca/root.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(root)
	alice, err := tls.LoadX509KeyPair(a.path("alice-chain.pem"), a.path("alice.key"))
	if err != nil {
		t.Fatal(err)
	}
	get := func(certs ...tls.Certificate) (string, error) {
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: certs}}}
		resp, err := c.Get("https://" + addr + "/")
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return b.String(), nil
	}
	body, err := get(alice)
	want := "hello " + serialOf(t, a.path("alice.pem")) + " https"
	if err != nil || body != want {
		t.Fatalf("with client certificate: %q %v; want %q", body, err, want)
	}
	if _, err := get(); err == nil {
		t.Fatal("a client without a certificate got through --require-client-cert")
	}
	if !strings.Contains(stderr.String(), `"client_serial":"`+serialOf(t, a.path("alice.pem"))+`"`) {
		t.Errorf("no JSON request line with the client serial on stderr:\n%s", stderr.String())
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d after cancel: %s", code, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("proxy did not stop after its context was cancelled")
	}
}
