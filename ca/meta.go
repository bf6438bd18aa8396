package ca

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/anchorpki/anchor/internal/atomicfile"
	"github.com/anchorpki/anchor/keys"
)

// Meta is what a CA remembers about itself between commands: the choices made at `ca init` that
// later issuance depends on (the base URL written into every leaf).
type Meta struct {
	Name      string    `json:"name"`
	KeyType   keys.Type `json:"key_type"`
	BaseURL   string    `json:"url,omitempty"`
	Encrypted bool      `json:"keys_encrypted"`
	CreatedAt time.Time `json:"created_at"`
}

func (l Layout) metaPath() string { return filepath.Join(l.Dir, "ca", "ca.json") }

// SaveMeta records m next to the CA certificates.
func (l Layout) SaveMeta(m Meta) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(l.metaPath(), append(b, '\n'), 0o644)
}

// Meta reads the CA's metadata; a CA made without one (older or copied in by hand) gets zero values.
func (l Layout) Meta() (Meta, error) {
	var m Meta
	b, err := os.ReadFile(l.metaPath())
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%s: %w", l.metaPath(), err)
	}
	return m, nil
}
