// Package testkit holds what tests across the module share: real external tools that fail
// under CI=true instead of skipping, the PostgreSQL DSN, and small helpers to run commands.
// It never fakes a component that can run on the machine.
package testkit

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// InCI reports whether the tests run under CI, where a missing tool is a failure.
func InCI() bool { return os.Getenv("CI") == "true" }

// Tool returns the path of an external program (openssl, curl, certbot, lego, chromium…).
// Locally a missing tool skips the test with the reason; under CI=true it fails the test,
// because a suite that silently skipped its interop checks proves nothing.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if InCI() {
			t.Fatalf("required tool %q is not installed (CI=true): %v", name, err)
		}
		t.Skipf("tool %q not installed: %v", name, err)
	}
	return p
}

// PostgresDSN returns the DSN of the PostgreSQL server used by store tests, from
// ANCHOR_TEST_POSTGRES. Locally it skips when unset; under CI=true it fails.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("ANCHOR_TEST_POSTGRES")
	if dsn == "" {
		if InCI() {
			t.Fatal("ANCHOR_TEST_POSTGRES is not set (CI=true); .ci/run must set it")
		}
		t.Skip("ANCHOR_TEST_POSTGRES not set; PostgreSQL tests skipped")
	}
	return dsn
}

// Result is what a finished command printed and how it exited.
type Result struct {
	Stdout, Stderr string
	ExitCode       int
}

// Combined is stdout and stderr together, for error messages.
func (r Result) Combined() string { return r.Stdout + r.Stderr }

// Exec runs a command with a timeout and returns its output whatever the exit status; it
// fails the test only if the command could not be started or timed out.
func Exec(t testing.TB, dir string, stdin []byte, name string, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := Result{Stdout: out.String(), Stderr: errb.String()}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok || ctx.Err() != nil {
			t.Fatalf("running %s %s: %v\n%s", name, strings.Join(args, " "), err, r.Combined())
		}
		r.ExitCode = ee.ExitCode()
	}
	return r
}

// Run is Exec that fails the test on a non-zero exit.
func Run(t testing.TB, dir string, name string, args ...string) Result {
	t.Helper()
	r := Exec(t, dir, nil, name, args...)
	if r.ExitCode != 0 {
		t.Fatalf("%s %s: exit %d\n%s", name, strings.Join(args, " "), r.ExitCode, r.Combined())
	}
	return r
}

// OpenSSL is Tool(t, "openssl").
func OpenSSL(t testing.TB) string { return Tool(t, "openssl") }
