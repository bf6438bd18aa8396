package crl

import (
	"bytes"
	"context"
	"fmt"
	"math/big"
	"os"
	"path/filepath"

	"github.com/anchorpki/anchor/internal/atomicfile"
	"github.com/anchorpki/anchor/pemfile"
)

// Encoding is the form of a CRL file.
type Encoding int

const (
	// DER is what relying parties fetch from a distribution point (RFC 5280 §4.2.1.13).
	DER Encoding = iota
	// PEM ("X509 CRL") is what openssl's -CRLfile and most configuration files take.
	PEM
)

// File is a CRL that WriteNextFile signed and wrote.
type File struct {
	DER    []byte   // the signed CRL, whatever the file's encoding
	Number *big.Int // its CRL number
	Stats  Stats    // Bytes counts what the file holds (PEM or DER)
}

// WriteNextFile is WriteNext into the file at path, created with its directory if missing and
// replaced atomically, so that a web server publishing the file never serves half a CRL and a
// crash leaves the previous one. Nothing is written unless the CRL was signed. The CLI's
// `crl create`, `ca init` and the server publish through this one function.
func WriteNextFile(ctx context.Context, path string, enc Encoding, src RevocationSource, numbers NumberSource, o Options) (File, error) {
	var buf bytes.Buffer
	st, n, err := WriteNext(ctx, &buf, src, numbers, o)
	if err != nil {
		return File{}, err
	}
	der := buf.Bytes()
	data := der
	if enc == PEM {
		data = pemfile.Encode("X509 CRL", der)
	}
	// 0755 and 0644: a CRL is public by nature, and the web server that publishes it may run
	// as another user.
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return File{}, fmt.Errorf("crl: %w", err)
	}
	if err := atomicfile.Write(path, data, 0o644); err != nil {
		return File{}, fmt.Errorf("crl: %w", err)
	}
	st.Bytes = int64(len(data))
	return File{DER: der, Number: n, Stats: st}, nil
}
