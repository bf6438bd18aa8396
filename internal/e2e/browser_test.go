package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/security"
	"github.com/chromedp/chromedp"

	"github.com/anchorpki/anchor/internal/testkit"
)

// browserAppText is what the plain-HTTP application behind the proxy answers; finding it in the
// rendered page proves Chromium reached the application, not an error page.
const browserAppText = "hello from the app behind anchor"

// browserTimeout bounds the life of one Chromium: start-up, navigation, screenshot, shutdown.
const browserTimeout = 60 * time.Second

// TestBrowserTrustsRootAfterTrustInstall is the acceptance test of issue 6, as a user lives it:
// `anchor ca init`, `anchor issue localhost 127.0.0.1`, `anchor proxy` in front of a plain-HTTP
// app, then Chromium. Before `anchor trust install --store nss` the browser refuses the site with
// net::ERR_CERT_AUTHORITY_INVALID; after it, a new browser with the same $HOME renders the app.
// Everything runs on loopback; Chromium reads its user roots from $HOME/.pki/nssdb, and $HOME is
// a temporary directory, so the machine's real trust stores are never touched.
func TestBrowserTrustsRootAfterTrustInstall(t *testing.T) {
	if testing.Short() && !testkit.InCI() {
		t.Skip("-short: browser acceptance test skipped")
	}
	chromium := testkit.Tool(t, "chromium")
	testkit.Tool(t, "certutil") // anchor trust install --store nss runs it
	bin := anchorBinary(t)

	dir := t.TempDir()
	data := filepath.Join(dir, "anchor-data")
	home := filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	cert, chain, key := filepath.Join(dir, "localhost.pem"), filepath.Join(dir, "localhost-chain.pem"), filepath.Join(dir, "localhost.key")
	testkit.Run(t, dir, bin, "--data", data, "ca", "init", "--name", "Anchor Browser Test")
	testkit.Run(t, dir, bin, "--data", data, "issue", "localhost", "127.0.0.1",
		"--out-cert", cert, "--out-chain", chain, "--out-key", key)

	app := browserHelloApp(t)
	proxyAddr := browserStartProxy(t, bin, data, "http://"+app, chain, key)
	_, port, err := net.SplitHostPort(proxyAddr)
	if err != nil {
		t.Fatal(err)
	}
	url := "https://localhost:" + port + "/"
	artifacts := browserArtifactDir(t)

	// 1. Without trust: the chain ends at a root Chromium does not know.
	browserSession(t, chromium, home, func(ctx context.Context) {
		err := chromedp.Do(ctx, chromedp.Navigate(url))
		le, ok := errors.AsType[*chromedp.LoadError](err)
		if !ok || le.ErrorText != "net::ERR_CERT_AUTHORITY_INVALID" {
			t.Fatalf("navigating to %s before trust install: got %v; want page load error net::ERR_CERT_AUTHORITY_INVALID", url, err)
		}
		// Chromium's interstitial is a nice-to-have artifact, not an assertion: it commits a moment
		// after the load error, so wait (bounded) until it shows the error code.
		const shown = `document.body !== null && document.body.innerText.includes("ERR_CERT_AUTHORITY_INVALID")`
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			if ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](shown)); ok {
				break
			}
			if time.Now().After(deadline) {
				t.Log("Chromium's certificate error page did not appear within 5 s; screenshot taken anyway")
				break
			}
		}
		if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err != nil {
			t.Logf("no screenshot of the certificate error page: %v", err)
		} else {
			browserSaveArtifact(t, artifacts, "browser-untrusted.png", png)
		}
	})

	// 2. The step under test, with the same $HOME the browser uses.
	browserAnchor(t, bin, home, "--data", data, "trust", "install", "--store", "nss")

	// 3. A new browser, because Chromium reads the NSS database at start-up.
	browserSession(t, chromium, home, func(ctx context.Context) {
		resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
		if err != nil {
			t.Fatalf("navigating to %s after trust install: %v", url, err)
		}
		if resp.Status != http.StatusOK {
			t.Errorf("HTTP status %d; want 200", resp.Status)
		}
		if resp.SecurityState != security.StateSecure {
			t.Errorf("security state %q; want %q", resp.SecurityState, security.StateSecure)
		}
		if sd := resp.SecurityDetails; sd == nil {
			t.Error("response has no TLS security details")
		} else if sd.Issuer != "Anchor Browser Test Intermediate CA" {
			t.Errorf("certificate issuer %q; want %q (the chain from anchor issue --out-chain)", sd.Issuer, "Anchor Browser Test Intermediate CA")
		} else {
			t.Logf("Chromium: %s, %s, subject %q, issuer %q", sd.Protocol, sd.Cipher, sd.SubjectName, sd.Issuer)
		}
		text, err := chromedp.Run(ctx, chromedp.Evaluate[string]("document.body.innerText"))
		if err != nil {
			t.Fatalf("reading the page text: %v", err)
		}
		if !strings.Contains(text, browserAppText) {
			t.Errorf("page text %q does not contain %q", text, browserAppText)
		}
		if !strings.Contains(text, "X-Forwarded-Proto: https") {
			t.Errorf("page text %q: the app did not see X-Forwarded-Proto: https from the proxy", text)
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		browserSaveArtifact(t, artifacts, "browser-trust.png", png)
	})
}

// browserSession starts a headless Chromium with $HOME set to home, runs f against its first
// tab, and closes it before returning. The flags keep the browser off the network: no QUIC, no
// component or sync updates, no background requests, no proxy from the environment. The user
// data directory is a fresh temporary directory that chromedp creates and removes itself (it also
// kills child processes that outlive the browser, which t.TempDir could not).
func browserSession(t *testing.T, chromium, home string, f func(ctx context.Context)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), browserTimeout)
	defer cancel()
	out := &testkit.Buffer{Limit: 1 << 20}
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true), // the sandbox needs user namespaces or setuid; CI runs as root
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-proxy-server", true),
		// Even with the flags above Chromium looks up accounts.google.com, update.googleapis.com,
		// clients2.google.com and connectivitycheck.gstatic.com (the certificate error page
		// checks for a captive portal and the network time). Every name but localhost fails
		// inside the browser, so no query leaves the machine and the test behaves the same
		// with or without a network.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.WindowSize(1024, 640),
		chromedp.Env("HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_CACHE_HOME="+filepath.Join(home, ".cache")),
		chromedp.CombinedOutput(out),
	)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	defer func() {
		if t.Failed() {
			t.Logf("chromium output:\n%s", out)
		}
	}()
	// The first Run starts the browser; its failure is a set-up failure, not a verdict.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting %s: %v\n%s", chromium, err, out)
	}
	f(bctx)
	if err := chromedp.Cancel(bctx); err != nil && !errors.Is(err, context.Canceled) {
		t.Logf("closing chromium: %v", err)
	}
}

// browserHelloApp serves the application behind the proxy on a loopback port and returns its
// address. It shows the X-Forwarded-Proto it received, so the page proves it came via the proxy.
func browserHelloApp(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>Anchor browser test</title>\n<h1>%s</h1>\n<p>X-Forwarded-Proto: %s</p>\n<p>Host: %s</p>\n",
			browserAppText, html.EscapeString(r.Header.Get("X-Forwarded-Proto")), html.EscapeString(r.Host))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// browserProxyLine is what anchor proxy prints once it listens.
var browserProxyLine = regexp.MustCompile(`^anchor proxy: https://(127\.0\.0\.1:\d+) → `)

// browserStartProxy runs anchor proxy on a free loopback port and returns the address it printed.
// Cleanup stops it by its PID: SIGTERM, then SIGKILL after 10 s.
func browserStartProxy(t *testing.T, bin, data, upstream, chain, key string) string {
	t.Helper()
	cmd := exec.Command(bin, "--data", data, "proxy", "--listen", "127.0.0.1:0", "--upstream", upstream,
		"--cert", chain, "--key", key)
	pr, pw := io.Pipe()
	stderr := &testkit.Buffer{Limit: 1 << 20}
	cmd.Stdout, cmd.Stderr = pw, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		pw.Close()
		done <- err
	}()
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for first := true; sc.Scan(); first = false {
			if first {
				lines <- sc.Text()
			}
		}
		io.Copy(io.Discard, pr)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Errorf("anchor proxy (pid %d) ignored SIGTERM for 10 s", cmd.Process.Pid)
		}
	})
	select {
	case line := <-lines:
		m := browserProxyLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("anchor proxy printed %q; want %q\n%s", line, browserProxyLine, stderr)
		}
		return m[1]
	case err := <-done:
		t.Fatalf("anchor proxy exited during start-up: %v\n%s", err, stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("anchor proxy printed no address within 30 s\n%s", stderr)
	}
	return ""
}

// browserAnchor runs the anchor CLI with HOME set to home, where trust install --store nss
// finds (or creates) ~/.pki/nssdb.
func browserAnchor(t *testing.T, bin, home string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+home)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("HOME=%s anchor %s: %v\n%s", home, strings.Join(args, " "), err, out)
	}
	t.Logf("anchor %s:\n%s", strings.Join(args, " "), out)
}

// browserArtifactDir is $ANCHOR_ARTIFACTS, else artifacts/ at the root of the module.
func browserArtifactDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("ANCHOR_ARTIFACTS"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "artifacts")
		}
		if filepath.Dir(d) == d {
			t.Fatalf("no go.mod above %s", wd)
		}
	}
}

func browserSaveArtifact(t *testing.T, dir, name string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("artifact: %s (%d bytes)", p, len(b))
}
