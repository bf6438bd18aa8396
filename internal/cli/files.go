package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/anchorpki/anchor/duration"
	"github.com/anchorpki/anchor/internal/atomicfile"
	"github.com/anchorpki/anchor/issuance"
	"github.com/anchorpki/anchor/keys"
)

// outFile is one file a command writes.
type outFile struct {
	path   string
	data   []byte
	mode   fs.FileMode
	secret bool // a private key: never replaced without --force
}

// writeAll writes every file atomically, or none: if one fails, the ones already written by this
// call are removed, so a failed command leaves no partial result behind.
func writeAll(files []outFile, force bool) error {
	for _, f := range files {
		if f.secret && !force {
			if _, err := os.Stat(f.path); err == nil {
				return fmt.Errorf("%s already exists; refusing to replace a private key (use --force)", f.path)
			}
		}
	}
	var written []string
	for _, f := range files {
		if err := atomicfile.Write(f.path, f.data, f.mode); err != nil {
			for _, p := range written {
				os.Remove(p)
			}
			return err
		}
		written = append(written, f.path)
	}
	return nil
}

// readPassphrase reads --passphrase-file, or the file named by envVar, or returns nil.
func (e *env) readPassphrase(flag, envVar string) ([]byte, error) {
	path := flag
	if path == "" && envVar != "" {
		path = e.getenv(envVar)
	}
	if path == "" {
		return nil, nil
	}
	return keys.PassphraseFromFile(path)
}

// readInput reads a file, or standard input for "-".
func (e *env) readInput(path string) ([]byte, error) {
	if path == "-" {
		b, err := readAllLimited(e.stdin)
		if err != nil {
			return nil, fmt.Errorf("reading standard input: %w", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.Unwrap(err) // *PathError's text repeats the path; we name it ourselves
	}
	return b, nil
}

// parseDuration reads a non-negative lifetime as users write them: whole days ("30d") or a Go
// duration ("12h"), as the config file does (duration.Parse).
func parseDuration(s string) (time.Duration, error) {
	d, err := duration.Parse(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid duration %q (use e.g. 30d or 12h)", s)
	}
	return d, nil
}

// days converts --days into a NotAfter; 0 means the profile's default.
func days(now time.Time, n int) (time.Time, error) {
	if n < 0 {
		return time.Time{}, usagef("--days must be positive")
	}
	if n == 0 {
		return time.Time{}, nil
	}
	// Counted from the backdated notBefore the CA will write, so --days N is a lifetime of
	// exactly N days and --days 200 fits the server profile's 200-day maximum.
	_, notAfter := issuance.Lifetime(now, n)
	return notAfter, nil
}
