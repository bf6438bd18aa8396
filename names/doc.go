// Package names is the vocabulary of the names a certificate carries: subjects written the way
// operators type them (RFC 4514 "CN=a,O=b" or openssl's "/CN=a/O=b"), subject alternative names
// (DNS names, IP addresses, email addresses and URIs, RFC 5280 §4.2.1.6), IDNA conversion and
// the wildcard rules. It only parses, validates and formats; whether a name may be certified is
// package policy's decision.
package names

import "errors"

// Sentinel errors. Every error this package returns wraps one of them, so callers can tell a
// bad subject from a bad alternative name (ACME maps both to badCSR or rejectedIdentifier).
var (
	// ErrInvalidSubject wraps every problem ParseSubject reports.
	ErrInvalidSubject = errors.New("names: invalid subject")
	// ErrInvalidName wraps every problem with a DNS name, IP address, email address or URI.
	ErrInvalidName = errors.New("names: invalid name")
)

// invalidError carries a precise, self-contained message while still matching a sentinel with
// errors.Is; the sentinel's own text would only repeat what the message already says.
type invalidError struct {
	kind error
	msg  string
}

func (e *invalidError) Error() string { return e.msg }
func (e *invalidError) Unwrap() error { return e.kind }
