package crl

import (
	"fmt"
	"math/big"
	"time"
)

// DER (X.690 §10) encoding by hand. encoding/asn1 and cryptobyte both build each element in its
// own buffer and copy it into its parent; for a million CRL entries those allocations and copies
// dominate, so the hot path below appends into a caller's slice and sizes every length prefix
// from the content it has just written.

// ASN.1 universal tags used in a CRL.
const (
	tagInteger         = 0x02
	tagBitString       = 0x03
	tagOctetString     = 0x04
	tagOID             = 0x06
	tagEnumerated      = 0x0a
	tagUTCTime         = 0x17
	tagGeneralizedTime = 0x18
	tagSequence        = 0x30
	tagContext0        = 0xa0 // [0] EXPLICIT, constructed
	tagContext0Prim    = 0x80 // [0] IMPLICIT, primitive
)

// headerLen is the size of a tag and a definite length for n content octets (X.690 §8.1.3).
func headerLen(n int) int {
	if n < 0x80 {
		return 2
	}
	l := 3 // tag, 0x80|count, one length octet
	for n > 0xff {
		n >>= 8
		l++
	}
	return l
}

// appendHeader appends a tag and the definite length n in its shortest form, as DER requires
// (X.690 §10.1).
func appendHeader(b []byte, tag byte, n int) []byte {
	if n < 0x80 {
		return append(b, tag, byte(n))
	}
	size := headerLen(n) - 2
	b = append(b, tag, 0x80|byte(size))
	for i := size - 1; i >= 0; i-- {
		b = append(b, byte(n>>(8*i)))
	}
	return b
}

// appendTLV appends one element whose content is the concatenation of parts. Off the hot path.
func appendTLV(b []byte, tag byte, parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	b = appendHeader(b, tag, n)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// intLen is the number of content octets of x as a DER INTEGER: minimal two's complement
// (X.690 §8.3.2), so a positive value whose top bit is set gets a leading 0x00.
func intLen(x *big.Int) int {
	switch x.Sign() {
	case 0:
		return 1
	case 1:
		return x.BitLen()/8 + 1
	default:
		return len(negativeContent(x))
	}
}

// appendInteger appends x as a DER INTEGER without allocating for non-negative values.
// Negative values are not expected from a conforming CA (RFC 5280 §4.1.2.2) but some were issued
// in the wild, and a CRL must be able to list what was issued.
func appendInteger(b []byte, x *big.Int) []byte {
	if x.Sign() < 0 {
		return appendTLV(b, tagInteger, negativeContent(x))
	}
	n := intLen(x)
	b = appendHeader(b, tagInteger, n)
	start := len(b)
	b = append(b, make([]byte, n)...) // does not allocate: the compiler turns this into a grow
	// FillBytes writes big-endian and zero-pads on the left, which supplies the sign octet.
	x.FillBytes(b[start:])
	return b
}

// negativeContent returns the two's complement of a negative x, as encoding/asn1 does it.
func negativeContent(x *big.Int) []byte {
	m := new(big.Int).Neg(x)
	m.Sub(m, big.NewInt(1))
	c := m.Bytes()
	for i := range c {
		c[i] = ^c[i]
	}
	if len(c) == 0 || c[0]&0x80 == 0 {
		c = append([]byte{0xff}, c...)
	}
	return c
}

// appendTime appends t as an RFC 5280 §4.1.2.5 / §5.1.2.4 Time: UTCTime YYMMDDHHMMSSZ for the
// years 1950 through 2049, GeneralizedTime YYYYMMDDHHMMSSZ otherwise, always in UTC and without
// fractional seconds.
func appendTime(b []byte, t time.Time) ([]byte, error) {
	t = t.UTC()
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	switch {
	case year >= 1950 && year < 2050:
		b = append(b, tagUTCTime, 13)
		b = appendDigits2(b, year%100)
	case year >= 0 && year <= 9999:
		b = append(b, tagGeneralizedTime, 15)
		b = appendDigits2(b, year/100)
		b = appendDigits2(b, year%100)
	default:
		return b, fmt.Errorf("time %v has a year outside 0000–9999", t)
	}
	b = appendDigits2(b, int(month))
	b = appendDigits2(b, day)
	b = appendDigits2(b, hour)
	b = appendDigits2(b, minute)
	b = appendDigits2(b, sec)
	return append(b, 'Z'), nil
}

func appendDigits2(b []byte, v int) []byte {
	return append(b, byte('0'+v/10), byte('0'+v%10))
}
