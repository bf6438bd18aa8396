package truststore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// MissingToolError says which program a store needs and which package provides it.
type MissingToolError struct {
	Tool string // the program, e.g. "certutil"
	Hint string // what to install, e.g. "install libnss3-tools (Debian/Ubuntu) or nss-tools (Fedora/RHEL)"
}

func (e *MissingToolError) Error() string { return e.Tool + " not found: " + e.Hint }

// toolHints say where each external program comes from, per operating system.
func toolHint(tool string) string {
	switch tool {
	case "certutil":
		if runtime.GOOS == "darwin" {
			return "install nss (brew install nss)"
		}
		return "install libnss3-tools (Debian/Ubuntu) or nss-tools (Fedora/RHEL)"
	case "update-ca-certificates":
		return "install ca-certificates (Debian/Ubuntu)"
	case "update-ca-trust":
		return "install ca-certificates (Fedora/RHEL)"
	case "keytool", "java":
		return "install a Java runtime (Debian/Ubuntu: default-jre-headless, Fedora/RHEL: java-17-openjdk-headless) or name its home"
	case "security":
		return "it ships with macOS in /usr/bin"
	case "certutil.exe":
		return "it ships with Windows in System32"
	}
	return "install it or add it to PATH"
}

// runner finds and runs the external programs of every store, logging each command.
type runner struct {
	lookPath func(string) (string, error)
	log      *slog.Logger
}

func newRunner(o Options) *runner {
	r := &runner{lookPath: o.LookPath, log: o.Logger}
	if r.lookPath == nil {
		r.lookPath = exec.LookPath
	}
	if r.log == nil {
		r.log = discard()
	}
	return r
}

// tool returns the path of a program, or a *MissingToolError saying what to install.
func (r *runner) tool(name string) (string, error) {
	p, err := r.lookPath(name)
	if err != nil {
		return "", &MissingToolError{Tool: name, Hint: toolHint(name)}
	}
	return p, nil
}

// command is one run of an external program.
type command struct {
	path  string
	args  []string
	stdin []byte
	env   []string // added to this process's environment
}

// run executes c and returns its combined output. A non-zero exit is an error that quotes the
// program's own explanation, which names the real problem far better than we could.
func (r *runner) run(ctx context.Context, c command) (string, error) {
	cmd := exec.CommandContext(ctx, c.path, c.args...)
	if c.stdin != nil {
		cmd.Stdin = bytes.NewReader(c.stdin)
	}
	if c.env != nil {
		cmd.Env = append(os.Environ(), c.env...)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	r.log.LogAttrs(ctx, slog.LevelDebug, "truststore: running", slog.String("command", c.path),
		slog.String("args", strings.Join(c.args, " ")))
	err := cmd.Run()
	text := out.String()
	if err != nil {
		name := filepath.Base(c.path)
		sub := ""
		if len(c.args) > 0 {
			sub = " " + c.args[0]
		}
		if ee, ok := errors.AsType[*exec.ExitError](err); ok {
			return text, fmt.Errorf("%s%s exited with status %d: %s", name, sub, ee.ExitCode(), excerpt(text))
		}
		return text, fmt.Errorf("running %s%s: %w", name, sub, err)
	}
	return text, nil
}

// excerpt keeps an error message to its last few lines, where tools say what went wrong.
func excerpt(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 4 {
		lines = lines[len(lines)-4:]
	}
	out := strings.Join(lines, "; ")
	if out == "" {
		return "no output"
	}
	return out
}

// permissionDenied recognises the words tools use when the user may not write a store.
func permissionDenied(output string) bool {
	for _, s := range []string{"Permission denied", "permission denied", "Access is denied", "not permitted",
		"SEC_ERROR_READ_ONLY", "authorization"} {
		if strings.Contains(output, s) {
			return true
		}
	}
	return false
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// needsRoot explains a permission error on a system path: only root may change the store.
func needsRoot(err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("%w: %w", ErrNeedsRoot, err)
	}
	return err
}
