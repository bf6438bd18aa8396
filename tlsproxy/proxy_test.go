package tlsproxy_test

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/tlsproxy"
)

func fileSource(t testing.TB, l *leaf) *tlsproxy.FileSource {
	t.Helper()
	fs, err := tlsproxy.NewFileSource(tlsproxy.FileSourceOptions{CertFile: l.chainFile, KeyFile: l.keyFile, Interval: -1})
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func curlSeen(t *testing.T, r testkit.Result) seen {
	t.Helper()
	if r.ExitCode != 0 {
		t.Fatalf("curl: exit %d: %s", r.ExitCode, r.Combined())
	}
	var s seen
	if err := json.Unmarshal([]byte(r.Stdout), &s); err != nil {
		t.Fatalf("curl output %q: %v", r.Stdout, err)
	}
	return s
}

// Plain HTTPS with curl trusting only our root: the upstream answers and sees the client's Host
// and the X-Forwarded-* headers the proxy set, not the ones the client sent.
func TestProxyCurlHTTPS(t *testing.T) {
	curl := testkit.Tool(t, "curl")
	p := newPKI(t)
	srv := p.issue("server", "localhost", "127.0.0.1")
	r := startProxy(t, tlsproxy.Options{Upstream: startUpstream(t), Certs: fileSource(t, srv)})
	u := "https://localhost:" + r.port + "/hello?x=1"
	resolve := "localhost:" + r.port + ":127.0.0.1"

	s := curlSeen(t, testkit.Exec(t, "", nil, curl, "--silent", "--show-error", "--http1.1", "--cacert", p.rootFile, "--resolve", resolve,
		"-H", "X-Forwarded-For: 203.0.113.9", "-H", "X-Forwarded-Host: evil.example", "-H", "X-Forwarded-Proto: http",
		"-H", "Forwarded: for=203.0.113.9", u))
	want := map[string]string{"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "localhost:" + r.port,
		"X-Client-Verify": "NONE", "Forwarded": ""}
	for h, v := range want {
		if got := strings.Join(s.Header.Values(h), ","); got != v {
			t.Errorf("upstream saw %s = %q, want %q", h, got, v)
		}
	}
	if s.Host != "localhost:"+r.port || s.Path != "/hello" {
		t.Errorf("upstream saw Host %q path %q", s.Host, s.Path)
	}

	// HTTP/2 through ALPN; the upstream still gets HTTP/1.1.
	out := testkit.Exec(t, "", nil, curl, "--silent", "--show-error", "--http2", "--cacert", p.rootFile, "--resolve", resolve,
		"--output", "/dev/null", "--write-out", "%{http_version} %{http_code}", u)
	if out.ExitCode != 0 || out.Stdout != "2 200" {
		t.Fatalf("curl --http2: exit %d, %q %s", out.ExitCode, out.Stdout, out.Stderr)
	}
	// Without our root curl must refuse, or the test above proves nothing.
	if out := testkit.Exec(t, "", nil, curl, "--silent", "--resolve", resolve, u); out.ExitCode == 0 {
		t.Fatal("curl accepted the proxy without trusting our root")
	}
	// TLS 1.1 and below are refused (Go's client still speaks them when asked to).
	if c, err := tls.Dial("tcp", r.addr, &tls.Config{RootCAs: p.roots, ServerName: "localhost", MinVersion: tls.VersionTLS10,
		MaxVersion: tls.VersionTLS11}); err == nil {
		c.Close()
		t.Fatal("negotiated TLS 1.1")
	}
	if !logHas(r.logs, `"msg":"request"`, `"path":"/hello"`, `"status":200`, `"method":"GET"`) {
		t.Errorf("no request log line:\n%s", r.logs)
	}
}

// With an upstream that is down the client gets 502 and a message naming it.
func TestProxyUpstreamDown(t *testing.T) {
	p := newPKI(t)
	srv := p.issue("server", "localhost", "127.0.0.1")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	up := &url.URL{Scheme: "http", Host: ln.Addr().String()}
	ln.Close()
	r := startProxy(t, tlsproxy.Options{Upstream: up, Certs: fileSource(t, srv)})
	resp, err := client(p.roots).Get("https://" + r.addr + "/x")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := "anchor proxy: the upstream is unreachable: connection refused\n" // the address stays in the log
	if resp.StatusCode != http.StatusBadGateway || string(body) != want || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("got %d %q (%s), want 502 %q", resp.StatusCode, body, resp.Header.Get("Content-Type"), want)
	}
	if !logHas(r.logs, "upstream error", "connection refused") || !logHas(r.logs, `"status":502`) {
		t.Errorf("no log line for the upstream error:\n%s", r.logs)
	}
}

// A body of unknown length reaches the client while the upstream is still writing; a request in
// flight when Serve's context is cancelled still completes, and Serve then returns nil.
func TestProxyStreamsAndDrains(t *testing.T) {
	p := newPKI(t)
	srv := p.issue("server", "localhost", "127.0.0.1")
	release := make(chan struct{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	app := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "first\n")
		http.NewResponseController(w).Flush()
		<-release
		io.WriteString(w, "second\n")
	})}
	go app.Serve(ln)
	t.Cleanup(func() { app.Close() })
	r := startProxy(t, tlsproxy.Options{Upstream: &url.URL{Scheme: "http", Host: ln.Addr().String()}, Certs: fileSource(t, srv)})

	resp, err := client(p.roots).Get("https://" + r.addr + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	if err != nil || line != "first\n" {
		t.Fatalf("first chunk: %q %v", line, err)
	}
	// The upstream is blocked: the first chunk was streamed, not buffered. Now stop the proxy.
	stopped := make(chan error, 1)
	go func() { stopped <- r.stop() }()
	select {
	case err := <-stopped:
		t.Fatalf("Serve returned with a request in flight: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	// New connections are refused while draining.
	if c, err := net.DialTimeout("tcp", r.addr, time.Second); err == nil {
		c.Close()
		t.Error("proxy still accepts connections while draining")
	}
	close(release)
	rest, err := io.ReadAll(br)
	if err != nil || string(rest) != "second\n" {
		t.Fatalf("rest of the stream: %q %v", rest, err)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("Serve after drain: %v", err)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	p := newPKI(t)
	fs := fileSource(t, p.issue("server", "localhost", "127.0.0.1"))
	up := &url.URL{Scheme: "http", Host: "127.0.0.1:1"}
	tests := []struct {
		name string
		o    tlsproxy.Options
		want error
	}{
		{"no upstream", tlsproxy.Options{Certs: fs}, tlsproxy.ErrInvalidOptions},
		{"ftp upstream", tlsproxy.Options{Upstream: &url.URL{Scheme: "ftp", Host: "x"}, Certs: fs}, tlsproxy.ErrInvalidOptions},
		{"no certificates", tlsproxy.Options{Upstream: up}, tlsproxy.ErrInvalidOptions},
		{"require without CAs", tlsproxy.Options{Upstream: up, Certs: fs, RequireClientCert: true}, tlsproxy.ErrInvalidOptions},
		{"bad mode", tlsproxy.Options{Upstream: up, Certs: fs, Revocation: "sometimes"}, tlsproxy.ErrInvalidRevocationMode},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tlsproxy.New(tc.o); !errors.Is(err, tc.want) {
				t.Fatalf("New = %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := tlsproxy.New(tlsproxy.Options{Upstream: up, Certs: fs}); err != nil {
		t.Fatal(err)
	}
}
