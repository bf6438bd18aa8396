// Package e2e drives the real anchor binary as users and relying parties do: over HTTPS and
// HTTP on loopback, killed and restarted, under load. It holds only tests and benchmarks.
package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/pemfile"
)

// trivialEnv makes the test binary serve a fixed body instead of running tests: the baseline
// HTTP server of BenchmarkTrivialHandler, in its own process like anchor serve.
const trivialEnv = "ANCHOR_E2E_TRIVIAL"

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	if spec := os.Getenv(trivialEnv); spec != "" {
		serveTrivial(spec)
		return
	}
	code := m.Run()
	if env != nil {
		env.stop()
		env.srv.cmd.Process.Kill()
		os.RemoveAll(filepath.Dir(env.srv.data))
	}
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// anchorBinary builds cmd/anchor once per test binary.
func anchorBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "anchor-e2e-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "anchor")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/anchorpki/anchor/cmd/anchor").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// server is one anchor serve process on a data directory.
type server struct {
	t          testing.TB
	data       string
	https, web string   // listen addresses
	extra      []string // more serve flags
	cmd        *exec.Cmd
	stderr     *testkit.Buffer // the first MiB: enough to see why a start failed
	done       chan error
}

func newServer(t testing.TB, data string) *server {
	return &server{t: t, data: data, https: testkit.FreeAddr(t), web: testkit.FreeAddr(t)}
}

// start runs anchor serve and waits until /healthz answers 200.
func (s *server) start() {
	s.t.Helper()
	s.stderr = &testkit.Buffer{Limit: 1 << 20}
	args := append([]string{"--data", s.data, "serve", "--listen", s.https, "--http-listen", s.web}, s.extra...)
	s.cmd = exec.Command(anchorBinary(s.t), args...)
	s.cmd.Stdout, s.cmd.Stderr = io.Discard, s.stderr
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.done = make(chan error, 1)
	go func() { s.done <- s.cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + s.web + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-s.done:
			s.t.Fatalf("anchor serve exited during start-up: %v\n%s", err, s.stderr)
		default:
		}
		if time.Now().After(deadline) {
			s.kill()
			s.t.Fatalf("anchor serve not healthy after 30 s\n%s", s.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill sends SIGKILL: no drain, no deferred cleanup, as a power cut or the OOM killer would.
func (s *server) kill() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// stop sends SIGTERM and wants a clean exit.
func (s *server) stop() {
	s.t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			s.t.Errorf("anchor serve after SIGTERM: %v\n%s", err, s.stderr)
		}
	case <-time.After(40 * time.Second):
		s.kill()
		s.t.Errorf("anchor serve did not exit within 40 s of SIGTERM")
	}
}

// anchor runs a CLI command against the data directory.
func (s *server) anchor(args ...string) string {
	s.t.Helper()
	out, err := exec.Command(anchorBinary(s.t), append([]string{"--data", s.data}, args...)...).Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		s.t.Fatalf("anchor %s: %v %s", strings.Join(args, " "), err, msg)
	}
	return string(out)
}

// client trusts only the CA's root, as a user following the README would.
func (s *server) client() *http.Client {
	s.t.Helper()
	root, err := pemfile.ReadCertificate(filepath.Join(s.data, "ca", "root.pem"))
	if err != nil {
		s.t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(root)
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, ForceAttemptHTTP2: true,
		MaxIdleConnsPerHost: 64}}
}

// issued is what a client received from the REST API.
type issued struct {
	Serial      string `json:"serial"`
	Certificate string `json:"certificate"`
}

func issue(ctx context.Context, c *http.Client, base, token string, csrPEM []byte) (issued, int, error) {
	body, _ := json.Marshal(map[string]string{"csr": string(csrPEM), "profile": "server"})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/certificates", bytes.NewReader(body))
	if err != nil {
		return issued{}, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return issued{}, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return issued{}, resp.StatusCode, err
	}
	if resp.StatusCode != http.StatusCreated {
		return issued{}, resp.StatusCode, fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
	}
	var out issued
	return out, resp.StatusCode, json.Unmarshal(b, &out)
}
