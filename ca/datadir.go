package ca

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/anchorpki/anchor/internal/atomicfile"
	"github.com/anchorpki/anchor/issuance"
	"github.com/anchorpki/anchor/keys"
	"github.com/anchorpki/anchor/pemfile"
)

// Layout names the files of a CA in a data directory. The names are a public interface: users
// hand ca/root.pem to their clients, and scripts read the rest.
type Layout struct{ Dir string }

func (l Layout) CADir() string            { return filepath.Join(l.Dir, "ca") }
func (l Layout) RootCert() string         { return filepath.Join(l.Dir, "ca", "root.pem") }
func (l Layout) RootKey() string          { return filepath.Join(l.Dir, "ca", "root.key") }
func (l Layout) IntermediateCert() string { return filepath.Join(l.Dir, "ca", "intermediate.pem") }
func (l Layout) IntermediateKey() string  { return filepath.Join(l.Dir, "ca", "intermediate.key") }
func (l Layout) Database() string         { return filepath.Join(l.Dir, "anchor.db") }

// RootCRL and IntermediateCRL are the CRLs published at the distribution points
// /crl/root.crl and /crl/intermediate.crl that certificates carry.
func (l Layout) RootCRL() string         { return filepath.Join(l.Dir, "crl", "root.crl") }
func (l Layout) IntermediateCRL() string { return filepath.Join(l.Dir, "crl", "intermediate.crl") }

// OCSPCert and OCSPKey hold the delegated OCSP responder, which the CA issues and rotates itself.
func (l Layout) OCSPCert() string { return filepath.Join(l.Dir, "ca", "ocsp.pem") }
func (l Layout) OCSPKey() string  { return filepath.Join(l.Dir, "ca", "ocsp.key") }

// ErrExists is returned when a data directory already holds a CA.
var ErrExists = errors.New("ca: a CA already exists")

// ErrNoCA is returned when a data directory holds no CA.
var ErrNoCA = errors.New("ca: no CA found")

// Exists reports whether the directory already holds a CA (any of its files).
func (l Layout) Exists() bool {
	for _, p := range []string{l.RootCert(), l.RootKey(), l.IntermediateCert(), l.IntermediateKey()} {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	return false
}

// Save writes the hierarchy: certificates 0644, keys 0600 and encrypted when passphrase is set.
// It refuses to replace any existing file, so a second `ca init` can never clobber a CA.
func (l Layout) Save(h *Hierarchy, passphrase []byte) error {
	if err := os.MkdirAll(l.CADir(), 0o700); err != nil {
		return fmt.Errorf("ca: creating %s: %w", l.CADir(), err)
	}
	rootKey, err := marshalKey(h.RootKey, passphrase)
	if err != nil {
		return err
	}
	intKey, err := marshalKey(h.IntermediateKey, passphrase)
	if err != nil {
		return err
	}
	// Keys first: a certificate on disk without its key would look like a usable CA.
	files := []struct {
		path string
		data []byte
		mode fs.FileMode
	}{
		{l.RootKey(), rootKey, 0o600},
		{l.IntermediateKey(), intKey, 0o600},
		{l.RootCert(), pemfile.Encode("CERTIFICATE", h.Root.Raw), 0o644},
		{l.IntermediateCert(), pemfile.Encode("CERTIFICATE", h.Intermediate.Raw), 0o644},
	}
	for _, f := range files {
		if err := atomicfile.Create(f.path, f.data, f.mode); err != nil {
			if errors.Is(err, atomicfile.ErrExists) {
				return fmt.Errorf("%w in %s (%s)", ErrExists, l.Dir, f.path)
			}
			return err
		}
	}
	return nil
}

func marshalKey(k crypto.Signer, passphrase []byte) ([]byte, error) {
	if len(passphrase) == 0 {
		return keys.MarshalPEM(k)
	}
	return keys.MarshalEncryptedPEM(k, passphrase, keys.EncryptOptions{})
}

// Loaded is a CA read back from a data directory.
type Loaded struct {
	Root         *x509.Certificate
	Intermediate *x509.Certificate
	Issuer       *issuance.Issuer // signs with the intermediate key
}

// LoadOptions configure Load.
type LoadOptions struct {
	Passphrase []byte          // for encrypted keys
	Linter     issuance.Linter // required outside tests
	BaseURL    string          // AIA/CRL pointers for leaves; empty: none
	Now        func() time.Time
}

// Load reads the root and intermediate certificates and the intermediate key. The root key is
// not read: issuing leaves never needs it, so it can live offline.
func (l Layout) Load(o LoadOptions) (*Loaded, error) {
	if !l.Exists() {
		return nil, fmt.Errorf("%w in %s (run `anchor ca init` first)", ErrNoCA, l.Dir)
	}
	root, err := pemfile.ReadCertificate(l.RootCert())
	if err != nil {
		return nil, err
	}
	inter, err := pemfile.ReadCertificate(l.IntermediateCert())
	if err != nil {
		return nil, err
	}
	key, err := readKey(l.IntermediateKey(), "intermediate key", o.Passphrase)
	if err != nil {
		return nil, err
	}
	hopts := HierarchyOptions{BaseURL: o.BaseURL}
	if err := hopts.checkURL(); err != nil {
		return nil, err
	}
	iss, err := issuance.New(issuance.Options{Cert: inter, Signer: key, Linter: o.Linter, Now: o.Now,
		CRLURL: hopts.url("/crl/intermediate.crl"), OCSPURL: hopts.url("/ocsp"), CAIssuersURL: hopts.url("/ca/intermediate.crt")})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", l.IntermediateKey(), err)
	}
	return &Loaded{Root: root, Intermediate: inter, Issuer: iss}, nil
}

// LoadRootKey reads the root key, which only signing the root's CRL (and a new intermediate)
// needs; it may be kept offline otherwise.
func (l Layout) LoadRootKey(passphrase []byte) (crypto.Signer, error) {
	return readKey(l.RootKey(), "root key", passphrase)
}

// readKey reads and decrypts a key file of the data directory; errors name the file.
func readKey(path, what string, passphrase []byte) (crypto.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ca: reading %s: %w", what, err)
	}
	key, err := keys.ParsePrivateKey(b, passphrase)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return key, nil
}

// checkURL validates the public base URL written into certificates.
func (o *HierarchyOptions) checkURL() error {
	if o.BaseURL == "" {
		return nil
	}
	u, err := url.Parse(o.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("ca: base URL %q must be an absolute http:// or https:// URL", o.BaseURL)
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	return nil
}
