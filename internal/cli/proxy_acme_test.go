package cli_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/anchorpki/anchor/internal/testkit"
)

// proxyGet sends one request on conn (kept alive) and returns the body.
func proxyGet(t *testing.T, conn *tls.Conn, br *bufio.Reader) string {
	t.Helper()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: proxy.test\r\n\r\n"); err != nil {
		t.Fatalf("writing on the kept-alive connection: %v", err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("reading on the kept-alive connection: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %s: %s", resp.Status, b)
	}
	return string(b)
}

// proxy --acme obtains its certificate over http-01 from a real ACME server, serves it, and
// picks up a renewal forced by another process (`anchor acme renew --force`) for new
// connections while an open connection keeps working. Restarted, it reuses the certificate.
func TestProxyACME(t *testing.T) {
	f := newACMEFixture(t)
	a := newAnchor(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	app := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello from upstream") })}
	go app.Serve(ln)
	t.Cleanup(func() { app.Close() })
	acmeDir := a.path("proxy-acme")
	args := []string{"proxy", "--listen", "127.0.0.1:0", "--upstream", "http://" + ln.Addr().String(),
		"--acme", f.dir, "--domain", "proxy.test", "--acme-dir", acmeDir, "--acme-roots", f.roots,
		"--acme-http-01-port", itoa(f.http01), "--acme-challenge-address", "127.0.0.1"}

	if r := a.run(args[:len(args)-4]...); r.code != 2 || !strings.Contains(r.stderr, "give one challenge method: --acme-http-01-port N") {
		t.Fatalf("--acme without a challenge: exit %d %s", r.code, r.stderr)
	}

	start := func() (addr string, stop func()) {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		var stdout, stderr testkit.Buffer
		done := make(chan int, 1)
		go func() { done <- runCLI(ctx, args, &stdout, &stderr) }()
		line := regexp.MustCompile(`anchor proxy: https://(127\.0\.0\.1:\d+) → `)
		deadline := time.Now().Add(20 * time.Second)
		for {
			if m := line.FindStringSubmatch(stdout.String()); m != nil {
				addr = m[1]
				break
			}
			select {
			case code := <-done:
				t.Fatalf("proxy exited %d: %s", code, stderr.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("no listening line; stdout %q stderr %q", stdout.String(), stderr.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		return addr, func() {
			cancel()
			select {
			case code := <-done:
				if code != 0 {
					t.Errorf("proxy exit %d after cancel: %s", code, stderr.String())
				}
			case <-time.After(20 * time.Second):
				t.Error("proxy did not stop after its context was cancelled")
			}
		}
	}
	addr, stop := start()
	roots := x509.NewCertPool()
	roots.AddCert(f.root)
	dial := func() (*tls.Conn, *bufio.Reader) {
		t.Helper()
		c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: roots, ServerName: "proxy.test", NextProtos: []string{"http/1.1"}})
		if err != nil {
			t.Fatalf("handshake with the proxy: %v", err)
		}
		return c, bufio.NewReader(c)
	}
	served := func(c *tls.Conn) string { return c.ConnectionState().PeerCertificates[0].SerialNumber.Text(16) }

	// The served certificate is the one obtained into --acme-dir, verified against the ACME CA.
	old, oldR := dial()
	defer old.Close()
	first := serialIn(t, filepath.Join(acmeDir, "cert.pem"))
	if got := served(old); got != first {
		t.Fatalf("proxy serves %s, --acme-dir holds %s", got, first)
	}
	if body := proxyGet(t, old, oldR); body != "hello from upstream" {
		t.Fatalf("body %q", body)
	}

	// Another process forces a renewal; new connections get the new certificate.
	if out := a.ok("acme", "renew", "--out-dir", acmeDir, "--force"); !strings.HasPrefix(out, "renewed certificate for proxy.test") {
		t.Fatalf("renew --force: %s", out)
	}
	second := serialIn(t, filepath.Join(acmeDir, "cert.pem"))
	if second == first {
		t.Fatal("renew --force kept the serial")
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, _ := dial()
		got := served(c)
		c.Close()
		if got == second {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("new connections still get %s, want the renewed %s", got, second)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The connection opened before the renewal still works, with its certificate.
	if body := proxyGet(t, old, oldR); body != "hello from upstream" || served(old) != first {
		t.Fatalf("old connection after renewal: %q, serial %s", body, served(old))
	}
	stop()

	// Restarted with the same flags: the certificate is still good, so it is reused.
	addr, stop = start()
	defer stop()
	c, _ := dial()
	defer c.Close()
	if got := served(c); got != second {
		t.Errorf("restarted proxy serves %s, want the reused %s", got, second)
	}
}
