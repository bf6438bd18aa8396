// Package pemfile reads and writes the files a PKI passes around: PEM (RFC 7468) with any number
// of blocks, or a single DER object whose kind it recognises. Its errors name the file, the
// line and the block, so "which of the twelve certificates in this bundle is broken?" has an
// answer. It classifies private keys but never keeps or returns one parsed (package keys does).
package pemfile

import (
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Sentinel errors, matched with errors.Is through *Error.
var (
	// ErrMalformedPEM: the data has a BEGIN line but the block around it does not decode.
	ErrMalformedPEM = errors.New("pemfile: malformed PEM")
	// ErrUnrecognized: the data is not PEM and not a DER object of a known kind.
	ErrUnrecognized = errors.New("pemfile: unrecognized data")
	// ErrNoCertificate: the data holds no certificate (it may hold something else).
	ErrNoCertificate = errors.New("pemfile: no certificate")
	// ErrNoCRL: the data holds no CRL (it may hold something else).
	ErrNoCRL = errors.New("pemfile: no CRL")
)

// Block is one PEM block, or the single DER object of a file that is not PEM.
type Block struct {
	Type    string            // PEM label; for DER, the label the object would have in PEM
	Headers map[string]string // RFC 1421 headers (Proc-Type, DEK-Info); nil if none
	Bytes   []byte            // the DER
	Index   int               // 1-based position in the file, counting every block
	Line    int               // line of the BEGIN line; 0 for DER
}

// Error locates a problem: the file (if known), the line, the block and its type.
//
//	root.pem: block 2 (CERTIFICATE): x509: malformed certificate
//	bundle.pem: line 14: malformed PEM: no END line for the CERTIFICATE block
type Error struct {
	File  string // as the caller named it; "" when decoding bytes
	Line  int    // 1-based line, or 0
	Block int    // 1-based block index, or 0
	Type  string // the block's type when Block is set
	Err   error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
	} else {
		b.WriteString("pemfile")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ": line %d", e.Line)
	}
	if e.Block > 0 {
		fmt.Fprintf(&b, ": block %d", e.Block)
		if e.Type != "" {
			fmt.Fprintf(&b, " (%s)", e.Type)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// detail is a precise message that still matches a sentinel, without repeating its text.
type detail struct {
	kind error
	msg  string
}

func (d *detail) Error() string { return d.msg }
func (d *detail) Unwrap() error { return d.kind }

func newDetail(kind error, format string, args ...any) error {
	return &detail{kind, fmt.Sprintf(format, args...)}
}

// Encode returns der as one PEM block of type typ, with the 64-column base64 lines of RFC 7468.
func Encode(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// ReadFile reads and decodes a file; errors name it as path was given.
func ReadFile(path string) ([]Block, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err // *fs.PathError already names the file
	}
	blocks, err := Decode(data)
	if err != nil {
		return nil, inFile(path, err)
	}
	return blocks, nil
}

// inFile sets the file name on err, which Decode and the Parse functions always return as *Error.
func inFile(path string, err error) error {
	if e, ok := errors.AsType[*Error](err); ok {
		named := *e
		named.File = path
		return &named
	}
	return &Error{File: path, Err: err}
}
