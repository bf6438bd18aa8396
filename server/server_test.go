package server_test

import (
	"context"
	"crypto"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/anchorpki/anchor/config"
	"github.com/anchorpki/anchor/server"
)

// A request in flight when the context is cancelled is answered in full before Run returns;
// new connections are refused meanwhile.
func TestShutdownDrainsInFlightRequests(t *testing.T) {
	t.Parallel()
	r := start(t, t.TempDir(), nil)
	iss, _ := r.issue(t, "server", time.Time{}, "drain.test")
	der, err := ocsp.CreateRequest(iss.Certificate, iss.Chain[0], &ocsp.RequestOptions{Hash: crypto.SHA256})
	if err != nil {
		t.Fatal(err)
	}
	// The body arrives in two parts, the second after shutdown has begun: the handler is busy
	// reading it all that time.
	body, w := io.Pipe()
	type result struct {
		resp *http.Response
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.Post(r.httpURL("/ocsp"), "application/ocsp-request", body)
		done <- result{resp, err}
	}()
	if _, err := w.Write(der[:10]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	stopped := make(chan error, 1)
	go func() { stopped <- r.stop() }()
	select {
	case err := <-stopped:
		t.Fatalf("Run returned (%v) with a request in flight", err)
	case <-time.After(300 * time.Millisecond):
	}
	if c, err := net.DialTimeout("tcp", r.HTTPAddr(), time.Second); err == nil {
		c.Close()
		t.Error("a new connection was accepted during the drain")
	}
	if _, err := w.Write(der[10:]); err != nil {
		t.Fatal(err)
	}
	w.Close()
	res := <-done
	if res.err != nil {
		t.Fatalf("the in-flight request failed: %v", res.err)
	}
	b, _ := io.ReadAll(res.resp.Body)
	res.resp.Body.Close()
	if o, err := ocsp.ParseResponseForCert(b, iss.Certificate, iss.Chain[0]); err != nil || o.Status != ocsp.Good {
		t.Fatalf("the in-flight request got %v, %v", o, err)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("Run after the drain: %v", err)
	}
}

// A port in use is reported, naming the setting, before anything is created.
func TestAddressInUse(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := filepath.Join(t.TempDir(), "anchor-data")
	_, err = tryStart(t, dir, func(o *server.Options) { o.Config.HTTPListen = ln.Addr().String() })
	if err == nil || !strings.Contains(err.Error(), "http_listen "+ln.Addr().String()) || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("New with a port in use: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the data directory was created anyway: %v", err)
	}
}

// An invalid configuration, from a file or from code, is refused with every problem listed.
func TestInvalidConfigListsEveryProblem(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := "listen: nowhere\nhttp_listen: 127.0.0.1:8080\ncrl:\n  validity: 1d\n  refresh_before: 2d\ntls:\n  min_version: \"1.0\"\nbogus: 1\n"
	if err := os.WriteFile(server.ConfigPath(dir), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := server.LoadConfig(dir, "", nil)
	cerr, ok := errors.AsType[*config.Error](err)
	if !ok {
		t.Fatalf("LoadConfig: %v, want a *config.Error", err)
	}
	var keys []string
	for _, p := range cerr.Problems {
		keys = append(keys, p.Key)
	}
	for _, want := range []string{"listen", "crl.refresh_before", "tls.min_version", "bogus"} {
		if !strings.Contains(strings.Join(keys, " "), want) {
			t.Errorf("problems %v do not name %s", keys, want)
		}
	}

	c := testConfig(t)
	c.OCSP.Validity, c.API.PageSize = 0, 0
	_, err = tryStart(t, t.TempDir(), func(o *server.Options) { o.Config = c })
	if cerr, ok := errors.AsType[*config.Error](err); !ok || len(cerr.Problems) != 2 {
		t.Fatalf("New with two invalid values: %v", err)
	}
}

// A server pointed at an inventory that never recorded its CA refuses to start, rather than
// answer "unknown" for every certificate issued so far.
func TestRefusesAnotherCAsInventory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := start(t, dir, nil)
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	_, err := tryStart(t, dir, func(o *server.Options) { o.Config.DB = filepath.Join(t.TempDir(), "other.db") })
	if err == nil || !strings.Contains(err.Error(), "no record of this CA") {
		t.Fatalf("New with another inventory: %v", err)
	}
}

// The HTTPS certificate is replaced once two thirds of its life have passed: on a restart, and
// at runtime, where handshakes go on with the old one until the new one is ready.
func TestHTTPSCertificateRenewal(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := start(t, dir, nil)
	first := readFile(t, filepath.Join(dir, "server", "tls.pem"))
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}

	var offset atomicDuration
	clock := func() time.Time { return time.Now().Add(offset.load()) }
	r = start(t, dir, func(o *server.Options) { o.Now = clock })
	if got := readFile(t, filepath.Join(dir, "server", "tls.pem")); string(got) != string(first) {
		t.Fatal("a current certificate was replaced on restart")
	}
	offset.store(61 * 24 * time.Hour) // of 90 days
	// The handshake still gets the current certificate, and starts the renewal.
	if code, _, _ := get(t, r.httpsClient(), r.httpsURL("/healthz")); code != 200 {
		t.Fatalf("/healthz during renewal: %d", code)
	}
	eventually(t, 10*time.Second, "a renewed HTTPS certificate", func() bool {
		return len(r.logs.events(t, "issued the HTTPS certificate")) > 0
	})
	if string(readFile(t, filepath.Join(dir, "server", "tls.pem"))) == string(first) {
		t.Fatal("the renewed certificate was not saved")
	}
	time.Sleep(300 * time.Millisecond) // a few more checks and handshakes' worth
	get(t, insecureClient(), r.httpsURL("/healthz"))
	if ev := r.logs.events(t, "issued the HTTPS certificate"); len(ev) != 1 {
		t.Fatalf("%d renewals logged, want 1", len(ev))
	}
}

func TestTLSNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		listen, url string
		want        []string
	}{
		{"127.0.0.1:8443", "http://127.0.0.1:8080", []string{"127.0.0.1", "localhost", "::1"}},
		{"0.0.0.0:8443", "", []string{"localhost", "127.0.0.1", "::1"}},
		{":8443", "", []string{"localhost", "127.0.0.1", "::1"}},
		{"[::1]:8443", "", []string{"::1", "localhost", "127.0.0.1"}},
		{"10.1.2.3:8443", "http://10.1.2.3:8080", []string{"10.1.2.3"}},
		{"CA.Example.com:8443", "http://ca.example.com", []string{"ca.example.com"}},
		{"10.1.2.3:8443", "https://pki.example.com/base", []string{"10.1.2.3", "pki.example.com"}},
	}
	for _, tc := range tests {
		if got := server.TLSNames(tc.listen, tc.url); strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("tlsNames(%q, %q) = %v, want %v", tc.listen, tc.url, got, tc.want)
		}
	}
}

// New fails cleanly, releasing what it took, when its context is already done.
func TestNewWithCancelledContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := server.New(ctx, server.Options{DataDir: t.TempDir(), Config: testConfig(t)}); err == nil {
		t.Fatal("New with a cancelled context succeeded")
	}
}
