package ca

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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

// Create makes a new CA in the directory: the hierarchy NewHierarchy builds (recorded in
// o.Inventory), its files (Save: keys 0600, encrypted when passphrase is set) and the Meta that
// later commands read. `anchor ca init` and the first run of `anchor serve` both start here.
func (l Layout) Create(ctx context.Context, o HierarchyOptions, passphrase []byte) (*Hierarchy, error) {
	h, err := NewHierarchy(ctx, o)
	if err != nil {
		return nil, err
	}
	if err := l.Save(h, passphrase); err != nil {
		return nil, err
	}
	m := Meta{Name: o.Name, KeyType: o.KeyType, BaseURL: strings.TrimRight(o.BaseURL, "/"),
		Encrypted: len(passphrase) > 0, CreatedAt: time.Now().UTC()}
	if o.Now != nil {
		m.CreatedAt = o.Now().UTC()
	}
	if m.Name == "" {
		m.Name = DefaultName
	}
	if m.KeyType == "" {
		m.KeyType = keys.DefaultType
	}
	return h, l.SaveMeta(m)
}
