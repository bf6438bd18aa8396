package cli_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/anchorpki/anchor/internal/cli"
	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/pemfile"
	"github.com/anchorpki/anchor/server"
)

// servingEvent waits for the server's "serving" log line and returns it.
func servingEvent(t *testing.T, stderr *testkit.Buffer, exited func() bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		for line := range strings.SplitSeq(stderr.String(), "\n") {
			var ev map[string]any
			if json.Unmarshal([]byte(line), &ev) == nil && ev["msg"] == "serving" {
				return ev
			}
		}
		if exited() {
			t.Fatalf("anchor serve exited before serving:\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("anchor serve did not start within a minute:\n%s", stderr.String())
	return nil
}

// Acceptance 1, as a user runs it: the real binary, no flags, an empty directory, the default
// ports. curl trusting only the new root reaches /healthz over HTTPS; SIGTERM exits 0; a second
// start serves the same root.
func TestServeFirstRunWithNoFlags(t *testing.T) {
	curl := testkit.Tool(t, "curl")
	for _, addr := range []string{"127.0.0.1:8443", "127.0.0.1:8080"} {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("this test runs anchor serve on its default ports, and %s is taken: %v", addr, err)
		}
		ln.Close()
	}
	bin := filepath.Join(t.TempDir(), "anchor")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/anchorpki/anchor/cmd/anchor").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := t.TempDir()
	env := []string{"HOME=" + dir}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "HOME" && !strings.HasPrefix(k, "ANCHOR_") {
			env = append(env, kv)
		}
	}
	serve := func() (stdout *testkit.Buffer, event map[string]any, stop func()) {
		t.Helper()
		cmd := exec.Command(bin, "serve")
		cmd.Dir, cmd.Env = dir, env
		stdout, stderr := &testkit.Buffer{}, &testkit.Buffer{}
		cmd.Stdout, cmd.Stderr = stdout, stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var exitErr error
		exited := func() bool {
			select {
			case exitErr = <-done:
				return true
			default:
				return false
			}
		}
		t.Cleanup(func() { cmd.Process.Kill() })
		event = servingEvent(t, stderr, exited)
		return stdout, event, func() {
			t.Helper()
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			select {
			case exitErr = <-done:
			case <-time.After(time.Minute):
				t.Fatal("anchor serve did not exit within a minute of SIGTERM")
			}
			if exitErr != nil {
				t.Fatalf("anchor serve after SIGTERM: %v\n%s", exitErr, stderr.String())
			}
		}
	}

	stdout, ev, stop := serve()
	root, err := pemfile.ReadCertificate(filepath.Join(dir, "anchor-data", "ca", "root.pem"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(root.Raw)
	fp := hex.EncodeToString(sum[:])
	if ev["root_sha256"] != fp || ev["https"] != "127.0.0.1:8443" || ev["http"] != "127.0.0.1:8080" {
		t.Fatalf("serving event %v; root fingerprint %s", ev, fp)
	}
	for _, want := range []string{fp, server.TrustCommand("anchor-data/ca/root.pem"),
		"curl --cacert anchor-data/ca/root.pem https://127.0.0.1:8443/healthz"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("first-run output lacks %q:\n%s", want, stdout.String())
		}
	}
	healthz := func() {
		t.Helper()
		r := testkit.Exec(t, dir, nil, curl, "--silent", "--show-error", "--fail", "--cacert", "anchor-data/ca/root.pem",
			"https://127.0.0.1:8443/healthz")
		if r.ExitCode != 0 || !strings.Contains(r.Stdout, `"status":"ok"`) {
			t.Fatalf("curl /healthz: exit %d: %s", r.ExitCode, r.Combined())
		}
	}
	healthz()
	stop()

	stdout, ev, stop = serve()
	if ev["root_sha256"] != fp {
		t.Fatalf("the second start serves root %v, the first %s", ev["root_sha256"], fp)
	}
	if stdout.String() != "" {
		t.Errorf("the second start printed:\n%s", stdout.String())
	}
	healthz()
	stop()
}

// The command in-process: first run on kernel-chosen ports, then a cancelled context (what
// SIGTERM does through cmd/anchor) is a clean exit 0.
func TestServeStopsCleanly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "anchor-data")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr := &testkit.Buffer{}, &testkit.Buffer{}
	code := make(chan int, 1)
	go func() {
		code <- cli.Run(ctx, []string{"--data", dir, "serve", "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"},
			nil, stdout, stderr)
	}()
	exited := func() bool { return len(code) > 0 }
	ev := servingEvent(t, stderr, exited)
	if !strings.HasPrefix(ev["url"].(string), "http://127.0.0.1:") || ev["url"] == "http://127.0.0.1:0" {
		t.Errorf("first-run URL %v: want the HTTP listener's real address", ev["url"])
	}
	if !strings.Contains(stdout.String(), server.TrustCommand(filepath.Join(dir, "ca", "root.pem"))) {
		t.Errorf("first-run output:\n%s", stdout.String())
	}
	cancel()
	select {
	case c := <-code:
		if c != cli.ExitOK {
			t.Fatalf("exit %d after cancellation:\n%s", c, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("anchor serve did not return within a minute of cancellation")
	}
}

// A startup failure is exit 1 and one line on stderr, naming every problem of the config file.
func TestServeStartupErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "config.yaml"),
		[]byte("listen: nowhere\ntls:\n  min_version: \"1.0\"\nocsp:\n  validty: 1h\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"invalid config file", []string{"--data", bad, "serve"},
			[]string{"config.yaml: 3 problems:", "config.yaml:1: listen:", "; ", "tls.min_version", "ocsp.validty"}},
		{"invalid flag value", []string{"--data", t.TempDir(), "serve", "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--url", "ftp://x"},
			[]string{"url"}},
		{"port in use", []string{"--data", t.TempDir(), "serve", "--listen", "127.0.0.1:0", "--http-listen", busy.Addr().String()},
			[]string{"http_listen " + busy.Addr().String(), "address already in use"}},
		{"missing --config file", []string{"--data", t.TempDir(), "serve", "--config", filepath.Join(t.TempDir(), "none.yaml")},
			[]string{"none.yaml"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := cli.Run(context.Background(), tc.args, nil, &out, &errb)
			msg := errb.String()
			if code != cli.ExitFailure || strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "anchor: ") {
				t.Fatalf("exit %d, stderr %q; want exit 1 and one line", code, msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("stderr %q lacks %q", msg, w)
				}
			}
		})
	}
}

func TestServeHelp(t *testing.T) {
	var out, errb bytes.Buffer
	if code := cli.Run(context.Background(), []string{"serve", "--help"}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"--listen", "--http-listen", "--url", "--db", "--config", "--passphrase-file", "Examples:", "/crl/intermediate.crl"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("serve --help lacks %q", want)
		}
	}
}
