package keys

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// maxPassphrase is the longest passphrase `openssl -passin file:F` reads: it takes the first
// line with BIO_gets into a 1024-byte buffer (APP_PASS_LEN), silently cutting longer lines.
const maxPassphrase = 1023

// PassphraseFromFile reads a passphrase file the way `openssl … -passin file:F` does, so that
// one file works with both tools: the passphrase is the first line, without its "\n".
//
// Like openssl on Unix, a "\r" before the "\n" (a file saved with Windows line endings) is part
// of the passphrase; stripping it would encrypt with a passphrase openssl, reading the same
// file, does not use. A missing, empty or blank first line is an error, and so is a line
// longer than the 1023 bytes openssl reads.
func PassphraseFromFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keys: passphrase file: %w", err)
	}
	defer f.Close()
	buf := make([]byte, maxPassphrase+1) // room for the longest line and its "\n"
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("keys: passphrase file: %w", err)
	}
	line := buf[:n]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	} else if n > maxPassphrase {
		clear(buf)
		return nil, fmt.Errorf("keys: passphrase file %s: the first line is longer than the %d bytes openssl reads", path, maxPassphrase)
	}
	if len(bytes.TrimSpace(line)) == 0 {
		clear(buf)
		return nil, fmt.Errorf("keys: passphrase file %s: the first line is empty", path)
	}
	pass := bytes.Clone(line)
	clear(buf)
	return pass, nil
}
