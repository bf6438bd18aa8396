package issuance

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
)

// serialBytes of randomness: 128 bits, well above the 64 the CA/Browser Forum requires (BR
// §7.1) and, with the top bit cleared, never more than 16 octets — inside RFC 5280's 20.
const serialBytes = 16

// NewSerial returns a positive random serial from r (nil: crypto/rand).
func NewSerial(r io.Reader) (*big.Int, error) {
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, serialBytes)
	for range 4 {
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, fmt.Errorf("issuance: reading randomness for a serial: %w", err)
		}
		// Clearing the top bit keeps the DER INTEGER at 16 octets (no 0x00 pad) while leaving 127 bits
		// of entropy; zero is not a valid serial (RFC 5280 §4.1.2.2), so draw again in that case.
		b[0] &= 0x7f
		s := new(big.Int).SetBytes(b)
		if s.Sign() > 0 {
			return s, nil
		}
	}
	return nil, errors.New("issuance: random source returned only zeros")
}

// ErrBadSerial is returned by ParseSerial.
var ErrBadSerial = errors.New("invalid serial: want a positive hexadecimal number of at most 20 octets, such as 3a7f09c2e1d5b4a8")

// ParseSerial reads a serial as `anchor list` and `openssl x509 -serial` print it: hexadecimal,
// colons allowed between digits. Anything else, zero, and serials longer than RFC 5280's 20
// octets (which no certificate can carry) are ErrBadSerial.
func ParseSerial(s string) (*big.Int, error) {
	h := strings.ReplaceAll(s, ":", "")
	if h == "" || len(h) > 64 {
		return nil, ErrBadSerial
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return nil, ErrBadSerial
		}
	}
	n, ok := new(big.Int).SetString(h, 16)
	if !ok || n.Sign() <= 0 || len(n.Bytes()) > 20 {
		return nil, ErrBadSerial
	}
	return n, nil
}
