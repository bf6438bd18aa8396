package truststore

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
)

// windowsSystem is the local machine's "Root" certificate store, changed with certutil.exe,
// which needs an elevated (administrator) prompt. Edge, Chrome and .NET read it; Firefox too
// with security.enterprise_roots.enabled.
type windowsSystem struct {
	certutil string
	r        *runner
}

func newSystem(o Options, r *runner) (backend, error) {
	if o.SystemRoot != "" {
		return nil, fmt.Errorf("%w: the Windows certificate store cannot be redirected", ErrUnsupported)
	}
	p, err := r.tool("certutil.exe")
	if err != nil {
		return nil, err
	}
	return &windowsSystem{certutil: p, r: r}, nil
}

// thumbprint is how Windows names a certificate: the SHA-1 of its DER, for identification only.
func thumbprint(t *target) string {
	sum := sha1.Sum(t.cert.Raw)
	return hex.EncodeToString(sum[:])
}

func (s *windowsSystem) result() Result {
	return Result{Store: System, Location: `Cert:\LocalMachine\Root`}
}

// present asks certutil for the certificate by thumbprint: exit status 0 when the store has it.
func (s *windowsSystem) present(ctx context.Context, t *target) bool {
	_, err := s.r.run(ctx, command{path: s.certutil, args: []string{"-store", "Root", thumbprint(t)}})
	return err == nil
}

func (s *windowsSystem) status(ctx context.Context, t *target) []Result {
	res := s.result()
	res.Installed = s.present(ctx, t)
	res.Note = "not installed"
	if res.Installed {
		res.Note = "installed"
	}
	return []Result{res}
}

func (s *windowsSystem) change(ctx context.Context, args ...string) error {
	out, err := s.r.run(ctx, command{path: s.certutil, args: args})
	if err != nil && permissionDenied(out) {
		return fmt.Errorf("%w (run from an administrator prompt): %w", ErrNeedsRoot, err)
	}
	return err
}

func (s *windowsSystem) install(ctx context.Context, t *target) []Result {
	res := s.result()
	if s.present(ctx, t) {
		res.Installed, res.Note = true, "already installed"
		return []Result{res}
	}
	dir, err := os.MkdirTemp("", "anchor-trust-")
	if err != nil {
		res.fail(err)
		return []Result{res}
	}
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, t.name+".crt")
	if err := os.WriteFile(p, t.pem, 0o644); err != nil {
		res.fail(err)
		return []Result{res}
	}
	if err := s.change(ctx, "-addstore", "-f", "Root", p); err != nil {
		res.fail(err)
		return []Result{res}
	}
	res.Installed, res.Changed, res.Note = true, true, "installed"
	return []Result{res}
}

func (s *windowsSystem) uninstall(ctx context.Context, t *target) []Result {
	res := s.result()
	if !s.present(ctx, t) {
		res.Note = "not installed"
		return []Result{res}
	}
	if err := s.change(ctx, "-delstore", "Root", thumbprint(t)); err != nil {
		res.fail(err)
		return []Result{res}
	}
	res.Changed, res.Note = true, "removed"
	return []Result{res}
}
