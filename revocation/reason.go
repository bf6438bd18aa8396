// Package revocation is the vocabulary of certificate revocation: the RFC 5280 §5.3.1 CRLReason
// codes, their RFC names, and parsing from what an operator types. It does not revoke anything
// (package ca) or encode CRLs (package crl).
package revocation

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrUnknownReason is returned for a name or code that is not an RFC 5280 CRLReason, including
// the unused code 7.
var ErrUnknownReason = errors.New("revocation: unknown reason")

// Reason is an RFC 5280 §5.3.1 CRLReason code, the ENUMERATED value carried in a CRL entry's
// reasonCode extension and in an OCSP RevokedInfo (RFC 6960 §4.2.1).
type Reason int

// The CRLReason codes of RFC 5280 §5.3.1. Code 7 is not assigned.
const (
	Unspecified          Reason = 0
	KeyCompromise        Reason = 1
	CACompromise         Reason = 2
	AffiliationChanged   Reason = 3
	Superseded           Reason = 4
	CessationOfOperation Reason = 5
	CertificateHold      Reason = 6
	// RemoveFromCRL is meaningful only in delta CRLs (RFC 5280 §5.3.1): it tells a relying party
	// to drop an entry (for example a released hold) from its base CRL.
	RemoveFromCRL      Reason = 8
	PrivilegeWithdrawn Reason = 9
	AACompromise       Reason = 10
)

// names holds the RFC 5280 ASN.1 identifiers, indexed by code; "" marks the unused code 7.
var names = [...]string{
	Unspecified:          "unspecified",
	KeyCompromise:        "keyCompromise",
	CACompromise:         "cACompromise",
	AffiliationChanged:   "affiliationChanged",
	Superseded:           "superseded",
	CessationOfOperation: "cessationOfOperation",
	CertificateHold:      "certificateHold",
	RemoveFromCRL:        "removeFromCRL",
	PrivilegeWithdrawn:   "privilegeWithdrawn",
	AACompromise:         "aACompromise",
}

// Reasons returns every defined reason in code order. The caller owns the slice.
func Reasons() []Reason {
	rs := make([]Reason, 0, len(names)-1)
	for code, name := range names {
		if name != "" {
			rs = append(rs, Reason(code))
		}
	}
	return rs
}

// Valid reports whether r is one of the codes RFC 5280 §5.3.1 defines.
func (r Reason) Valid() bool {
	return r >= 0 && int(r) < len(names) && names[r] != ""
}

// String returns the RFC 5280 name, such as "keyCompromise", or "Reason(7)" for a code the RFC
// does not define.
func (r Reason) String() string {
	if !r.Valid() {
		return "Reason(" + strconv.Itoa(int(r)) + ")"
	}
	return names[r]
}

// ParseReason accepts an RFC 5280 name in any letter case ("keyCompromise", "KEYCOMPROMISE",
// and openssl's "CACompromise" spelling all match) or a decimal code ("1"). Anything else,
// including the unassigned code 7, returns ErrUnknownReason.
func ParseReason(s string) (Reason, error) {
	if isDigits(s) {
		// Two digits are enough for every code; the bound also keeps Atoi from overflowing.
		if len(s) <= 2 {
			n, _ := strconv.Atoi(s)
			if r := Reason(n); r.Valid() {
				return r, nil
			}
		}
		return 0, unknown(s)
	}
	for code, name := range names {
		if name != "" && strings.EqualFold(s, name) {
			return Reason(code), nil
		}
	}
	return 0, unknown(s)
}

// unknown wraps ErrUnknownReason with the rejected input, quoted so that blanks and control
// characters stay visible in an error message.
func unknown(s string) error {
	return fmt.Errorf("%w %q", ErrUnknownReason, s)
}

// isDigits reports whether s is non-empty and all ASCII decimal digits; strconv.Atoi alone
// would also accept signs such as "+1".
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// MarshalText writes the RFC 5280 name, so JSON carries "keyCompromise" rather than 1.
func (r Reason) MarshalText() ([]byte, error) {
	if !r.Valid() {
		return nil, fmt.Errorf("revocation: cannot encode invalid %s", r)
	}
	return []byte(r.String()), nil
}

// UnmarshalText accepts what ParseReason accepts.
func (r *Reason) UnmarshalText(b []byte) error {
	v, err := ParseReason(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}
