package acmeclient

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/anchorpki/anchor/internal/atomicfile"
	"github.com/anchorpki/anchor/keys"
	"github.com/anchorpki/anchor/pemfile"
)

// The files of a certificate directory.
const (
	AccountKeyFile = "account.key"
	KeyFile        = "key.pem"
	CertFile       = "cert.pem"
	ChainFile      = "chain.pem"
	FullChainFile  = "fullchain.pem"
	StateFile      = "state.json"
)

// ErrNoState is returned by Renew for a directory without state.json: nothing was obtained
// into it yet.
var ErrNoState = errors.New("acmeclient: no certificate obtained into this directory yet")

// stateVersion is written into every state file; a reader refuses a newer one.
const stateVersion = 1

// State is state.json: everything Renew needs to obtain the certificate again. It holds no
// secret (the EAB MAC key is used once, at account creation, and not kept).
type State struct {
	Version    int       `json:"version"`
	Directory  string    `json:"directory"`             // the ACME directory URL
	Account    string    `json:"account,omitempty"`     // the account URL (kid)
	Email      string    `json:"email,omitempty"`       // the account's contact
	Domains    []string  `json:"domains"`               // DNS names and IP addresses, as given
	Challenge  Challenge `json:"challenge"`             // how to prove control
	KeyType    keys.Type `json:"key_type"`              // of key.pem, new at every issuance
	DeployHook string    `json:"deploy_hook,omitempty"` // run after each new certificate
	// RootsFile is the PEM bundle trusted for the server's HTTPS; "": system roots.
	RootsFile string `json:"roots_file,omitempty"`
}

// ReadState reads dir/state.json.
func ReadState(dir string) (*State, error) {
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", dir, ErrNoState)
	}
	if err != nil {
		return nil, err
	}
	var s State
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, StateFile), err)
	}
	if s.Version > stateVersion {
		return nil, fmt.Errorf("%s: version %d is newer than this anchor understands (%d)", filepath.Join(dir, StateFile), s.Version, stateVersion)
	}
	if s.Directory == "" || len(s.Domains) == 0 {
		return nil, fmt.Errorf("%s: no directory URL or no domains", filepath.Join(dir, StateFile))
	}
	return &s, nil
}

func writeState(dir string, s *State) error {
	s.Version = stateVersion
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, StateFile), append(b, '\n'), 0o600)
}

// writeCertificate writes the key, then the certificate files. Step order matters to readers
// that watch the directory: the key alone does not match the old certificate, which such a
// reader rejects and retries; once cert.pem and fullchain.pem are written the pair matches.
func writeCertificate(dir string, key crypto.Signer, chain [][]byte) error {
	keyPEM, err := keys.MarshalPEM(key)
	if err != nil {
		return err
	}
	var leaf, issuers []byte
	for i, der := range chain {
		p := pemfile.Encode("CERTIFICATE", der)
		if i == 0 {
			leaf = p
		} else {
			issuers = append(issuers, p...)
		}
	}
	files := []struct {
		name string
		data []byte
		mode fs.FileMode
	}{
		{KeyFile, keyPEM, 0o600},
		{ChainFile, issuers, 0o644},
		{CertFile, leaf, 0o644},
		{FullChainFile, append(append([]byte{}, leaf...), issuers...), 0o644},
	}
	for _, f := range files {
		if err := atomicfile.Write(filepath.Join(dir, f.name), f.data, f.mode); err != nil {
			return err
		}
	}
	return nil
}

// readLeaf reads dir/cert.pem.
func readLeaf(dir string) (*x509.Certificate, error) {
	return pemfile.ReadCertificate(filepath.Join(dir, CertFile))
}
