package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"time"

	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/config"
	"github.com/anchorpki/anchor/crl"
	"github.com/anchorpki/anchor/internal/atomicfile"
	"github.com/anchorpki/anchor/keys"
	"github.com/anchorpki/anchor/lint"
)

// rootCRLValidity is how long a root CRL is valid. A year, as `anchor ca init` signs it: the
// root key may go offline after the first run, and its CRL changes only when an intermediate
// is revoked.
const rootCRLValidity = 365 * 24 * time.Hour

// createCA is the first run: a root and an intermediate (ec-p256) recorded in the inventory,
// saved under DATA/ca, the base URL they and their leaves point at, and the root's first CRL
// while its key is in memory. The intermediate's CRL is the publisher's to make, on every start.
func (s *Server) createCA(ctx context.Context, linter *lint.Linter) error {
	url := strings.TrimRight(s.cfg.URL, "/")
	if url == "" {
		// The HTTP listener's real address, so that the OCSP and CRL URLs in the certificates
		// work out of the box (also with a port chosen by the kernel).
		var err error
		if url, err = config.DefaultURL(s.HTTPAddr()); err != nil {
			return err
		}
	}
	s.log.Info("first run: creating the CA", slog.String("data", s.layout.Dir), slog.String("url", url))
	h, err := s.layout.Create(ctx, ca.HierarchyOptions{Name: ca.DefaultName, KeyType: keys.ECP256, BaseURL: url,
		Linter: linter, Inventory: s.db, Now: s.o.Now}, s.o.Passphrase)
	if err != nil {
		return err
	}
	now := s.o.Now().UTC().Truncate(time.Second)
	_, err = crl.WriteNextFile(ctx, s.layout.RootCRL(), crl.DER, s.db, s.db,
		crl.Options{Issuer: h.Root, Signer: h.RootKey, ThisUpdate: now, NextUpdate: now.Add(rootCRLValidity)})
	return err
}

// ConfigPath is the configuration file of a data directory.
func ConfigPath(dataDir string) string { return filepath.Join(dataDir, "config.yaml") }

// writeConfig writes the commented default configuration with the base URL in use, unless the
// file exists: the URL is in every certificate issued from now on, so it must not change with a
// later default or a forgotten flag.
func (s *Server) writeConfig() error {
	path := ConfigPath(s.layout.Dir)
	err := atomicfile.Create(path, config.DefaultYAMLWith(s.baseURL), 0o644)
	switch {
	case errors.Is(err, atomicfile.ErrExists):
		return nil
	case err != nil:
		return fmt.Errorf("server: %w", err)
	}
	s.log.Info("wrote the default configuration", slog.String("file", path))
	return nil
}

// printWelcome tells the user, once, what was created and the two commands to run next.
func (s *Server) printWelcome() {
	root := s.layout.RootCert()
	w := s.o.Stdout
	fmt.Fprintf(w, "Created a certificate authority in %s\n", s.layout.Dir)
	fmt.Fprintf(w, "  root certificate:  %s\n", root)
	fmt.Fprintf(w, "  SHA-256:           %s\n", s.rootFP)
	fmt.Fprintf(w, "  certificate URLs:  %s (OCSP, CRLs, CA certificates)\n", s.baseURL)
	fmt.Fprintf(w, "  configuration:     %s\n", ConfigPath(s.layout.Dir))
	// The one command works with nothing but the distribution's tools (also under `go run`, with
	// no anchor binary on the PATH); `anchor trust install` covers the other stores.
	fmt.Fprintf(w, "\nTrust the root on this machine (Debian, Ubuntu):\n  %s\n", TrustCommand(root))
	fmt.Fprintf(w, "Browsers (Chromium, Firefox) and Java too, or another OS: anchor trust install %s\n", root)
	fmt.Fprintf(w, "\nCheck the server:\n  curl --cacert %s https://%s/healthz\n", root, dialAddr(s.HTTPSAddr()))
}

// dialAddr is where a client on this machine reaches a listener: a wildcard address is not
// one to connect to, so it becomes loopback.
func dialAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if a, err := netip.ParseAddr(host); host == "" || err == nil && a.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// TrustCommand is the one command, printed on first run, that makes this machine's system
// store trust the root.
func TrustCommand(root string) string {
	return "sudo cp " + root + " /usr/local/share/ca-certificates/anchor-root.crt && sudo update-ca-certificates"
}
