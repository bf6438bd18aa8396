package server_test

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/config"
	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/keys"
	"github.com/anchorpki/anchor/names"
	"github.com/anchorpki/anchor/pemfile"
	"github.com/anchorpki/anchor/server"
)

// testConfig is the default configuration on ports the kernel chooses.
func testConfig(t testing.TB) config.Config {
	t.Helper()
	c := config.Default()
	for k, v := range map[string]string{"listen": "127.0.0.1:0", "http_listen": "127.0.0.1:0", "log.level": "debug"} {
		if err := c.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// running is a Server serving in the background, with what it printed and logged.
type running struct {
	*server.Server
	dir    string
	stdout *syncBuffer
	logs   *syncBuffer
	stop   func() error // cancels Run's context and returns what Run returned
}

// start creates (or reuses) a CA in dir and serves it until stop or the end of the test.
func start(t testing.TB, dir string, edit func(*server.Options)) *running {
	t.Helper()
	r, err := tryStart(t, dir, edit)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	return r
}

func tryStart(t testing.TB, dir string, edit func(*server.Options)) (*running, error) {
	t.Helper()
	r := &running{dir: dir, stdout: &syncBuffer{}, logs: &syncBuffer{}}
	o := server.Options{DataDir: dir, Config: testConfig(t), Stdout: r.stdout,
		Logger:        slog.New(slog.NewJSONHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		CheckInterval: 100 * time.Millisecond}
	if edit != nil {
		edit(&o)
	}
	srv, err := server.New(context.Background(), o)
	if err != nil {
		return nil, err
	}
	r.Server = srv
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	var once sync.Once
	var runErr error
	r.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(time.Minute):
				runErr = errors.New("Run did not return within a minute of its context being cancelled")
			}
		})
		return runErr
	}
	t.Cleanup(func() {
		if err := r.stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return r, nil
}

// httpsClient trusts only the server's root.
func (r *running) httpsClient() *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(r.Root())
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func (r *running) httpsURL(path string) string { return "https://" + r.HTTPSAddr() + path }
func (r *running) httpURL(path string) string  { return "http://" + r.HTTPAddr() + path }

// get fetches url and returns the status and body.
func get(t testing.TB, c *http.Client, url string) (int, []byte, http.Header) {
	t.Helper()
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body, resp.Header
}

// issue issues a leaf through the server's authority, as the REST API would.
func (r *running) issue(t testing.TB, profile string, notAfter time.Time, sans ...string) (*ca.Issued, crypto.Signer) {
	t.Helper()
	key, err := keys.Generate(keys.ECP256, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := names.ParseSANs(sans)
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := asn1.Marshal(pkix.Name{CommonName: sans[0]}.ToRDNSequence())
	iss, err := r.Authority().Issue(context.Background(), ca.Request{PublicKey: key.Public(), Subject: subject, SANs: s,
		Profile: profile, NotAfter: notAfter, Requester: "test"})
	if err != nil {
		t.Fatalf("issuing %v: %v", sans, err)
	}
	return iss, key
}

// writePEM writes certificates to dir/name.
func writePEM(t testing.TB, dir, name string, certs ...*x509.Certificate) string {
	t.Helper()
	var b []byte
	for _, c := range certs {
		b = append(b, pemfile.Encode("CERTIFICATE", c.Raw)...)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// healthReport is the JSON of /healthz.
type healthReport struct {
	Status string
	Checks map[string]string
}

func decodeHealth(t testing.TB, body []byte) healthReport {
	t.Helper()
	var h healthReport
	if err := json.Unmarshal(body, &h); err != nil {
		t.Fatalf("/healthz body %q: %v", body, err)
	}
	return h
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// syncBuffer holds a running server's output; events reads its log lines.
type syncBuffer struct{ testkit.Buffer }

// events returns the log events with message msg.
func (s *syncBuffer) events(t testing.TB, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(s.String()), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		if ev["msg"] == msg {
			out = append(out, ev)
		}
	}
	return out
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// atomicDuration is a clock offset a test moves while the server reads it.
type atomicDuration struct{ v atomic.Int64 }

func (d *atomicDuration) load() time.Duration   { return time.Duration(d.v.Load()) }
func (d *atomicDuration) store(x time.Duration) { d.v.Store(int64(x)) }

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// insecureClient accepts any server certificate: for a test whose clock runs ahead, where the
// server's renewed certificate is not valid yet by the real one.
func insecureClient() *http.Client {
	return &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
}
