package truststore

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// darwinSystem is the System keychain with an admin trust setting, which Safari, Chrome, curl
// and every Security-framework client honour. Changing it needs root (sudo) and, on recent
// macOS, may show an authorization prompt.
type darwinSystem struct {
	keychain string
	security string
	r        *runner
}

func newSystem(o Options, r *runner) (backend, error) {
	sec, err := r.tool("security")
	if err != nil {
		return nil, err
	}
	return &darwinSystem{keychain: filepath.Join("/", o.SystemRoot, "Library", "Keychains", "System.keychain"), security: sec, r: r}, nil
}

// sha1Hex is how `security` names a certificate (-Z); SHA-1 here identifies, it does not protect.
func sha1Hex(t *target) string {
	sum := sha1.Sum(t.cert.Raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

func (s *darwinSystem) present(ctx context.Context, t *target) (bool, error) {
	out, err := s.r.run(ctx, command{path: s.security, args: []string{"find-certificate", "-a", "-Z", s.keychain}})
	if err != nil {
		return false, err
	}
	return strings.Contains(out, "SHA-1 hash: "+sha1Hex(t)), nil
}

func (s *darwinSystem) result() Result { return Result{Store: System, Location: s.keychain} }

func (s *darwinSystem) status(ctx context.Context, t *target) []Result {
	res := s.result()
	ok, err := s.present(ctx, t)
	switch {
	case err != nil:
		res.fail(err)
	case ok:
		res.Installed, res.Note = true, "installed"
	default:
		res.Note = "not installed"
	}
	return []Result{res}
}

// withFile gives the certificate to `security` as a file, which it requires.
func withFile(t *target, f func(path string) error) error {
	dir, err := os.MkdirTemp("", "anchor-trust-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, t.name+".pem")
	if err := os.WriteFile(p, t.pem, 0o644); err != nil {
		return err
	}
	return f(p)
}

func (s *darwinSystem) install(ctx context.Context, t *target) []Result {
	res := s.result()
	err := func() error {
		ok, err := s.present(ctx, t)
		if err != nil {
			return err
		}
		if ok {
			res.Installed, res.Note = true, "already installed"
			return nil
		}
		return withFile(t, func(p string) error {
			out, err := s.r.run(ctx, command{path: s.security, args: []string{"add-trusted-cert", "-d", "-r", "trustRoot", "-p", "ssl", "-k", s.keychain, p}})
			if err != nil {
				if permissionDenied(out) {
					return fmt.Errorf("%w: %w", ErrNeedsRoot, err)
				}
				return err
			}
			res.Installed, res.Changed, res.Note = true, true, "installed"
			return nil
		})
	}()
	if err != nil {
		res.fail(err)
	}
	return []Result{res}
}

func (s *darwinSystem) uninstall(ctx context.Context, t *target) []Result {
	res := s.result()
	err := func() error {
		ok, err := s.present(ctx, t)
		if err != nil || !ok {
			res.Note = "not installed"
			return err
		}
		return withFile(t, func(p string) error {
			// The trust setting first, then the certificate itself.
			for _, args := range [][]string{{"remove-trusted-cert", "-d", p}, {"delete-certificate", "-Z", sha1Hex(t), s.keychain}} {
				out, err := s.r.run(ctx, command{path: s.security, args: args})
				if err != nil {
					if permissionDenied(out) {
						return fmt.Errorf("%w: %w", ErrNeedsRoot, err)
					}
					return err
				}
				res.Changed = true
			}
			res.Note = "removed"
			return nil
		})
	}()
	if err != nil {
		res.fail(err)
	}
	return []Result{res}
}
