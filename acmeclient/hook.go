package acmeclient

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// HookRunner runs the user's hook commands. ShellHooks is the real one; the seam exists so a
// program embedding this package can run hooks its own way (a DNS provider API, a reload).
type HookRunner interface {
	// DNS runs `cmd action fqdn value`, action being "present" or "cleanup".
	DNS(ctx context.Context, cmd, action, fqdn, value string) error
	// Deploy runs cmd after a new certificate was written into dir for domains.
	Deploy(ctx context.Context, cmd, dir string, domains []string) error
}

// ShellHooks runs hooks with /bin/sh -c, so a hook may be a path or a small command line
// with arguments of its own; the values are passed as positional arguments, never spliced
// into the command text. A hook gets at most Timeout (zero: 5 minutes); its output is
// discarded except the last line of stderr, which names a failure.
type ShellHooks struct {
	Timeout time.Duration
}

// DNS runs `cmd action fqdn value`.
func (h ShellHooks) DNS(ctx context.Context, cmd, action, fqdn, value string) error {
	return h.run(ctx, cmd, nil, action, fqdn, value)
}

// Deploy runs cmd with ANCHOR_CERT_DIR (absolute) and ANCHOR_DOMAINS (space-separated) set.
func (h ShellHooks) Deploy(ctx context.Context, cmd, dir string, domains []string) error {
	return h.run(ctx, cmd, []string{"ANCHOR_CERT_DIR=" + absPath(dir), "ANCHOR_DOMAINS=" + strings.Join(domains, " ")})
}

func (h ShellHooks) run(ctx context.Context, cmd string, env []string, args ...string) error {
	timeout := h.Timeout
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// sh -c 'CMD "$@"' anchor-hook ARGS…: CMD is split by the shell as the user wrote it, the
	// arguments arrive untouched.
	c := exec.CommandContext(ctx, "/bin/sh", append([]string{"-c", cmd + ` "$@"`, "anchor-hook"}, args...)...)
	c.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	if err := c.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		if msg != "" {
			return fmt.Errorf("%q: %w: %s", cmd, err, msg)
		}
		return fmt.Errorf("%q: %w", cmd, err)
	}
	return nil
}
