package atomicfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/anchorpki/anchor/internal/atomicfile"
)

func TestWriteModeAndContent(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "key.pem")
	if err := atomicfile.Write(p, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, want 0600", fi.Mode().Perm())
	}
	if err := atomicfile.Write(p, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if string(b) != "new" {
		t.Fatalf("content = %q", b)
	}
}

func TestCreateRefusesExisting(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "cert.pem")
	if err := atomicfile.Create(p, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := atomicfile.Create(p, []byte("two"), 0o644)
	if !errors.Is(err, atomicfile.ErrExists) {
		t.Fatalf("second Create err = %v, want ErrExists", err)
	}
	b, _ := os.ReadFile(p)
	if string(b) != "one" {
		t.Fatalf("content = %q, want the first write kept", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("leftover temporary files: %v", entries)
	}
}

func TestWriteIntoMissingDirFails(t *testing.T) {
	t.Parallel()
	if err := atomicfile.Write(filepath.Join(t.TempDir(), "no", "such"), []byte("x"), 0o600); err == nil {
		t.Fatal("want error for a missing directory")
	}
}
