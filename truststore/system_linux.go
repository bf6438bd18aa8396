package truststore

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/anchorpki/anchor/internal/atomicfile"
)

// linuxSystem is the distribution's CA store: an anchor directory the administrator drops PEM
// files into, and a command that rebuilds the bundle every TLS library reads.
type linuxSystem struct {
	flavor    string // "debian" or "rhel"
	anchorDir string // where our file goes
	ext       string // its extension: update-ca-certificates reads only *.crt
	bundle    string // the generated bundle, read back to check the result
	tool      string // update-ca-certificates or update-ca-trust
	root      string // SystemRoot, "" for the running system
	r         *runner
}

func newSystem(o Options, r *runner) (backend, error) {
	root := o.SystemRoot
	if filepath.Clean(root) == "/" {
		root = ""
	}
	at := func(p string) string { return filepath.Join("/", root, p) }
	deb := &linuxSystem{flavor: "debian", anchorDir: at("usr/local/share/ca-certificates"), ext: ".crt",
		bundle: at("etc/ssl/certs/ca-certificates.crt"), tool: "update-ca-certificates", root: root, r: r}
	rhel := &linuxSystem{flavor: "rhel", anchorDir: at("etc/pki/ca-trust/source/anchors"), ext: ".pem",
		bundle: at("etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"), tool: "update-ca-trust", root: root, r: r}
	// The anchor directories ship with each distribution's ca-certificates package, so they tell
	// the two apart; a bare SystemRoot (a test, an image being built) goes by the tool at hand.
	switch {
	case isDir(rhel.anchorDir):
		return rhel, nil
	case isDir(deb.anchorDir):
		return deb, nil
	case root != "":
		if _, err := r.lookPath(deb.tool); err == nil {
			return deb, nil
		}
		if _, err := r.lookPath(rhel.tool); err == nil {
			return rhel, nil
		}
	}
	return nil, fmt.Errorf("%w: no Debian/Ubuntu (%s) or Fedora/RHEL (%s) CA store found; install ca-certificates",
		ErrUnsupported, deb.anchorDir, rhel.anchorDir)
}

func (s *linuxSystem) file(t *target) string { return filepath.Join(s.anchorDir, t.name+s.ext) }

// state reads what is on disk: our file, and whether the bundle includes the certificate.
func (s *linuxSystem) state(t *target) (fileOK, inBundle bool, err error) {
	b, err := os.ReadFile(s.file(t))
	switch {
	case err == nil:
		fileOK = containsDER(b, t.cert.Raw)
	case !errors.Is(err, fs.ErrNotExist):
		return false, false, err
	}
	b, err = os.ReadFile(s.bundle)
	switch {
	case err == nil:
		inBundle = containsDER(b, t.cert.Raw)
	case !errors.Is(err, fs.ErrNotExist):
		return false, false, err
	}
	return fileOK, inBundle, nil
}

func (s *linuxSystem) status(_ context.Context, t *target) []Result {
	res := Result{Store: System, Location: s.file(t)}
	fileOK, inBundle, err := s.state(t)
	switch {
	case err != nil:
		res.fail(err)
	case fileOK && inBundle:
		res.Installed, res.Note = true, "installed"
	case fileOK:
		res.Note = "file present, but " + s.bundle + " lacks it: run " + s.tool
	case inBundle:
		res.Installed, res.Note = true, "in "+s.bundle+", but not added by anchor"
	default:
		res.Note = "not installed"
	}
	return []Result{res}
}

func (s *linuxSystem) install(ctx context.Context, t *target) []Result {
	res := Result{Store: System, Location: s.file(t)}
	if err := s.installFile(ctx, t, &res); err != nil {
		res.fail(err)
	}
	return []Result{res}
}

func (s *linuxSystem) installFile(ctx context.Context, t *target, res *Result) error {
	fileOK, inBundle, err := s.state(t)
	if err != nil {
		return err
	}
	if fileOK && inBundle {
		res.Installed, res.Note = true, "already installed"
		return nil
	}
	tool, err := s.updater()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.anchorDir, 0o755); err != nil {
		return needsRoot(err)
	}
	// Written whole or not at all: update-ca-certificates must never bundle half a certificate.
	if err := atomicfile.Write(s.file(t), t.pem, 0o644); err != nil {
		return needsRoot(err)
	}
	res.Changed = true
	if err := s.update(ctx, tool, false); err != nil {
		return err
	}
	if _, inBundle, err = s.state(t); err != nil {
		return err
	}
	if !inBundle {
		return fmt.Errorf("%s ran, but %s does not contain the certificate", s.tool, s.bundle)
	}
	res.Installed, res.Note = true, "installed"
	return nil
}

func (s *linuxSystem) uninstall(ctx context.Context, t *target) []Result {
	res := Result{Store: System, Location: s.file(t)}
	if err := s.uninstallFile(ctx, t, &res); err != nil {
		res.fail(err)
	}
	return []Result{res}
}

func (s *linuxSystem) uninstallFile(ctx context.Context, t *target, res *Result) error {
	if _, err := os.Stat(s.file(t)); errors.Is(err, fs.ErrNotExist) {
		_, inBundle, err := s.state(t)
		if err != nil {
			return err
		}
		res.Installed, res.Note = inBundle, "not installed"
		if inBundle {
			res.Note = "not added by anchor: in " + s.bundle + " from another file, left alone"
		}
		return nil
	}
	// The file has our name; remove it only if it holds this certificate, so a file someone
	// else put there under that name survives.
	if fileOK, _, err := s.state(t); err != nil {
		return err
	} else if !fileOK {
		res.Note = s.file(t) + " does not hold this certificate; left alone"
		return nil
	}
	tool, err := s.updater()
	if err != nil {
		return err
	}
	before, _ := os.Stat(s.bundle)
	if err := os.Remove(s.file(t)); err != nil {
		return needsRoot(err)
	}
	res.Changed = true
	if err := s.update(ctx, tool, true); err != nil {
		return err
	}
	_, inBundle, err := s.state(t)
	if err != nil {
		return err
	}
	if after, _ := os.Stat(s.bundle); inBundle && s.flavor == "debian" && before != nil && after != nil && os.SameFile(before, after) {
		// update-ca-certificates replaces the bundle only when it has at least one certificate
		// to put in; with ours the last one gone, it leaves the old bundle. Take ours out of it
		// ourselves, and only ours: if the tool did nothing at all (a stub, a wrapper), every
		// other root must stay.
		b, err := os.ReadFile(s.bundle)
		if err != nil {
			return err
		}
		if err := atomicfile.Write(s.bundle, withoutDER(b, t.cert.Raw), 0o644); err != nil {
			return needsRoot(err)
		}
		inBundle = false
	}
	if inBundle {
		return fmt.Errorf("%s ran, but %s still contains the certificate", s.tool, s.bundle)
	}
	res.Note = "removed"
	return nil
}

// updater finds the command that rebuilds the bundle, before anything is changed.
func (s *linuxSystem) updater() (string, error) {
	if s.flavor == "rhel" && s.root != "" {
		// update-ca-trust reads /etc/pki/ca-trust and nothing else; p11-kit takes no prefix.
		return "", fmt.Errorf("%w: update-ca-trust cannot be redirected to %s", ErrUnsupported, s.root)
	}
	return s.r.tool(s.tool)
}

// update rebuilds the bundle. Removal needs update-ca-certificates --fresh: without it the
// symbolic link to the deleted file stays in /etc/ssl/certs (Debian's own advice).
func (s *linuxSystem) update(ctx context.Context, tool string, removal bool) error {
	var args []string
	if s.flavor == "rhel" {
		args = []string{"extract"}
	} else {
		if removal {
			args = append(args, "--fresh")
		}
		if s.root != "" {
			// Every path the script uses, under the root; these flags predate its --sysroot.
			at := func(p string) string { return filepath.Join(s.root, p) }
			if err := os.MkdirAll(at("etc/ssl/certs"), 0o755); err != nil {
				return err
			}
			args = append(args, "--certsconf", at("etc/ca-certificates.conf"), "--certsdir", at("usr/share/ca-certificates"),
				"--localcertsdir", s.anchorDir, "--etccertsdir", at("etc/ssl/certs"), "--hooksdir", at("etc/ca-certificates/update.d"))
		}
	}
	if out, err := s.r.run(ctx, command{path: tool, args: args}); err != nil {
		if permissionDenied(out) {
			return fmt.Errorf("%w: %w", ErrNeedsRoot, err)
		}
		return err
	}
	return nil
}

// withoutDER returns a PEM bundle without the CERTIFICATE blocks holding der, and everything
// else in it, blocks and text between them, as it was.
func withoutDER(bundle, der []byte) []byte {
	var out []byte
	rest := bundle
	for {
		block, next := pem.Decode(rest)
		if block == nil {
			return append(out, rest...)
		}
		start := len(rest) - len(next) // the block and what precedes it
		chunk := rest[:start]
		if block.Type == "CERTIFICATE" && bytes.Equal(block.Bytes, der) {
			// Keep what came before the block (comments), drop the block itself.
			if i := bytes.Index(chunk, []byte("-----BEGIN")); i >= 0 {
				chunk = chunk[:i]
			}
		}
		out = append(out, chunk...)
		rest = next
	}
}
