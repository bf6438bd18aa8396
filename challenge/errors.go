package challenge

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
)

// Kind says which RFC 8555 §6.7 problem type a failed validation maps to. The ACME server owns
// the mapping; this package only promises that every Kind has exactly one natural problem type.
type Kind int

const (
	// Connection: the validator could not reach the target, or the target sent it somewhere it
	// will not follow (bad redirect, too many redirects). Problem type "connection".
	Connection Kind = iota + 1
	// DNS: a lookup failed or found nothing (NXDOMAIN, SERVFAIL, no records, resolver down).
	// Problem type "dns".
	DNS
	// IncorrectResponse: the target answered, but the answer does not prove control: wrong key
	// authorization, TXT records that do not match, a certificate without the acmeIdentifier
	// extension or for the wrong name. Problem type "incorrectResponse".
	IncorrectResponse
	// TLS: the TLS handshake failed or did not negotiate acme-tls/1. Problem type "tls".
	TLS
	// CAA: CAA records forbid issuance by this CA. Problem type "caa".
	CAA
	// Unauthorized: the HTTP server refused to serve the challenge (a status other than 200).
	// Problem type "unauthorized".
	Unauthorized
)

func (k Kind) String() string {
	switch k {
	case Connection:
		return "connection"
	case DNS:
		return "dns"
	case IncorrectResponse:
		return "incorrectResponse"
	case TLS:
		return "tls"
	case CAA:
		return "caa"
	case Unauthorized:
		return "unauthorized"
	}
	return "unknown"
}

// Error is a validation failure the ACME client caused or can fix. Detail is written for the
// person running that client and goes into the problem document verbatim, so it names hosts,
// ports, records and values, never Go types. Any other error from this package is the server's
// own fault (serverInternal).
type Error struct {
	Kind   Kind
	Detail string
	cause  error // for errors.Is(err, context.Canceled); never shown
}

func (e *Error) Error() string { return e.Kind.String() + ": " + e.Detail }

// Unwrap exposes the cause so a caller can tell a cancelled request from a failed validation.
func (e *Error) Unwrap() error { return e.cause }

func newError(k Kind, cause error, detail string) *Error {
	return &Error{Kind: k, Detail: detail, cause: cause}
}

// describe turns a network error into the few words a user can act on. The standard library's
// messages embed Go-side operation names ("dial tcp", "read udp 127.0.0.1:1->…"), which repeat
// what our own detail already says and differ between platforms.
func describe(err error) string {
	switch {
	case errors.Is(err, context.Canceled):
		return "validation cancelled"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return "timed out"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by peer"
	case errors.Is(err, syscall.ENETUNREACH):
		return "network unreachable"
	case errors.Is(err, syscall.EHOSTUNREACH):
		return "host unreachable"
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return "timed out"
	}
	// Fall back to the innermost message, which is the one that names the actual fault.
	for {
		inner := errors.Unwrap(err)
		if inner == nil {
			break
		}
		err = inner
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.HasPrefix(msg, "dial ") {
		msg = msg[i+2:]
	}
	return msg
}
