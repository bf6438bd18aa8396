package issuance

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
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
