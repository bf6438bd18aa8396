package acme

import (
	"errors"
	"net/http"
	"strings"
)

// ProblemType is the type URI of a problem document. RFC 8555 §6.7 defines its error types in
// the "urn:ietf:params:acme:error:" namespace.
type ProblemType string

const errorNS = "urn:ietf:params:acme:error:"

// The error types of RFC 8555 §6.7 (and the registry it created, which RFC 8555 §7.6 fills with
// badRevocationReason and RFC 8555 §7.3.3 with userActionRequired).
const (
	ProblemAccountDoesNotExist     ProblemType = errorNS + "accountDoesNotExist"
	ProblemAlreadyRevoked          ProblemType = errorNS + "alreadyRevoked"
	ProblemBadCSR                  ProblemType = errorNS + "badCSR"
	ProblemBadNonce                ProblemType = errorNS + "badNonce"
	ProblemBadPublicKey            ProblemType = errorNS + "badPublicKey"
	ProblemBadRevocationReason     ProblemType = errorNS + "badRevocationReason"
	ProblemBadSignatureAlgorithm   ProblemType = errorNS + "badSignatureAlgorithm"
	ProblemCAA                     ProblemType = errorNS + "caa"
	ProblemCompound                ProblemType = errorNS + "compound"
	ProblemConnection              ProblemType = errorNS + "connection"
	ProblemDNS                     ProblemType = errorNS + "dns"
	ProblemExternalAccountRequired ProblemType = errorNS + "externalAccountRequired"
	ProblemIncorrectResponse       ProblemType = errorNS + "incorrectResponse"
	ProblemInvalidContact          ProblemType = errorNS + "invalidContact"
	ProblemMalformed               ProblemType = errorNS + "malformed"
	ProblemOrderNotReady           ProblemType = errorNS + "orderNotReady"
	ProblemRateLimited             ProblemType = errorNS + "rateLimited"
	ProblemRejectedIdentifier      ProblemType = errorNS + "rejectedIdentifier"
	ProblemServerInternal          ProblemType = errorNS + "serverInternal"
	ProblemTLS                     ProblemType = errorNS + "tls"
	ProblemUnauthorized            ProblemType = errorNS + "unauthorized"
	ProblemUnsupportedContact      ProblemType = errorNS + "unsupportedContact"
	ProblemUnsupportedIdentifier   ProblemType = errorNS + "unsupportedIdentifier"
	ProblemUserActionRequired      ProblemType = errorNS + "userActionRequired"
	// ProblemAlreadyReplaced: a newOrder names in "replaces" a certificate that another order
	// replaced already (RFC 9773 §5, §8.3).
	ProblemAlreadyReplaced ProblemType = errorNS + "alreadyReplaced"
)

// defaultStatus is the HTTP status each type is sent with unless a caller chooses another. RFC
// 8555 fixes few of them; these follow its examples and what Boulder and Pebble send, which is
// what clients are tested against: 403 where the client is refused, 429 for rate limits, 500
// for the server's own faults, 400 otherwise.
var defaultStatus = map[ProblemType]int{
	ProblemAccountDoesNotExist:     http.StatusBadRequest,
	ProblemAlreadyRevoked:          http.StatusBadRequest,
	ProblemBadCSR:                  http.StatusBadRequest,
	ProblemBadNonce:                http.StatusBadRequest,
	ProblemBadPublicKey:            http.StatusBadRequest,
	ProblemBadRevocationReason:     http.StatusBadRequest,
	ProblemBadSignatureAlgorithm:   http.StatusBadRequest,
	ProblemCAA:                     http.StatusForbidden,
	ProblemCompound:                http.StatusForbidden,
	ProblemConnection:              http.StatusBadRequest,
	ProblemDNS:                     http.StatusBadRequest,
	ProblemExternalAccountRequired: http.StatusBadRequest,
	ProblemIncorrectResponse:       http.StatusForbidden,
	ProblemInvalidContact:          http.StatusBadRequest,
	ProblemMalformed:               http.StatusBadRequest,
	ProblemOrderNotReady:           http.StatusForbidden,
	ProblemRateLimited:             http.StatusTooManyRequests,
	ProblemRejectedIdentifier:      http.StatusBadRequest,
	ProblemServerInternal:          http.StatusInternalServerError,
	ProblemTLS:                     http.StatusBadRequest,
	ProblemUnauthorized:            http.StatusForbidden,
	ProblemUnsupportedContact:      http.StatusBadRequest,
	ProblemUnsupportedIdentifier:   http.StatusBadRequest,
	ProblemUserActionRequired:      http.StatusForbidden,
	ProblemAlreadyReplaced:         http.StatusConflict,
}

// DefaultStatus returns the HTTP status a problem of type t is sent with: the table above for
// RFC 8555 types, 400 for any other, so a foreign type never becomes a success.
func (t ProblemType) DefaultStatus() int {
	if s, ok := defaultStatus[t]; ok {
		return s
	}
	return http.StatusBadRequest
}

// Name returns the part after the ACME error namespace ("badNonce"), or the whole type for a
// type outside it.
func (t ProblemType) Name() string {
	return strings.TrimPrefix(string(t), errorNS)
}

// Problem is a problem document (RFC 7807 as profiled by RFC 8555 §6.7), sent with content
// type application/problem+json. It is the only error type the ACME server sends, so it
// implements error and travels through ordinary Go error returns up to the HTTP edge.
type Problem struct {
	Type   ProblemType `json:"type"`
	Title  string      `json:"title,omitempty"`
	Detail string      `json:"detail,omitempty"`
	// Status repeats the HTTP status code (RFC 7807 §3.1).
	Status int `json:"status,omitempty"`
	// Instance is a URL the user should visit; RFC 8555 §7.3.3 requires it on
	// userActionRequired (the new terms of service).
	Instance string `json:"instance,omitempty"`
	// Identifier is the identifier the problem is about, set on subproblems and on a top-level
	// problem that concerns one identifier (RFC 8555 §6.7.1).
	Identifier  *Identifier  `json:"identifier,omitempty"`
	Subproblems []Subproblem `json:"subproblems,omitempty"`
	// Algorithms lists the JWS algorithms the server accepts, on badSignatureAlgorithm (RFC
	// 8555 §6.2), so a client can pick one.
	Algorithms []string `json:"algorithms,omitempty"`
}

// Subproblem is one of several errors reported together (RFC 8555 §6.7.1), typically one per
// identifier of a newOrder request.
type Subproblem struct {
	Type       ProblemType `json:"type"`
	Detail     string      `json:"detail,omitempty"`
	Identifier *Identifier `json:"identifier,omitempty"`
}

// Error returns "acme: <name>: <detail>", followed by the subproblems, so a log line carries
// everything the client was told.
func (p *Problem) Error() string {
	var b strings.Builder
	b.WriteString("acme: ")
	b.WriteString(p.Type.Name())
	if p.Detail != "" {
		b.WriteString(": ")
		b.WriteString(p.Detail)
	}
	for i, s := range p.Subproblems {
		if i == 0 {
			b.WriteString(" [")
		} else {
			b.WriteString("; ")
		}
		if s.Identifier != nil {
			b.WriteString(s.Identifier.Value)
			b.WriteString(": ")
		}
		b.WriteString(s.Type.Name())
		if s.Detail != "" {
			b.WriteString(": ")
			b.WriteString(s.Detail)
		}
		if i == len(p.Subproblems)-1 {
			b.WriteString("]")
		}
	}
	return b.String()
}

// NewProblem returns a problem of type t with its default HTTP status.
func NewProblem(t ProblemType, detail string) *Problem {
	return &Problem{Type: t, Detail: detail, Status: t.DefaultStatus()}
}

// ProblemFrom returns the problem to send for err: the *Problem in err's chain if there is one,
// else serverInternal with a generic detail, because an internal error's text may name files,
// hosts or SQL that a client must not see (the caller logs err itself). It returns nil for nil.
func ProblemFrom(err error) *Problem {
	if err == nil {
		return nil
	}
	if p, ok := errors.AsType[*Problem](err); ok && p != nil {
		return p
	}
	return ServerInternal("the server encountered an internal error")
}

// AccountDoesNotExist: onlyReturnExisting was set and the key has no account (RFC 8555 §7.3.1).
func AccountDoesNotExist(detail string) *Problem {
	return NewProblem(ProblemAccountDoesNotExist, detail)
}

// AlreadyRevoked: the certificate to revoke is already revoked.
func AlreadyRevoked(detail string) *Problem { return NewProblem(ProblemAlreadyRevoked, detail) }

// AlreadyReplaced: the certificate a newOrder "replaces" was replaced by another order (RFC 9773).
func AlreadyReplaced(detail string) *Problem { return NewProblem(ProblemAlreadyReplaced, detail) }

// BadCSR: the finalize CSR is unacceptable (RFC 8555 §7.4).
func BadCSR(detail string) *Problem { return NewProblem(ProblemBadCSR, detail) }

// BadNonce: the JWS nonce is missing, unknown or used (RFC 8555 §6.5); clients retry with the
// fresh nonce in the response.
func BadNonce(detail string) *Problem { return NewProblem(ProblemBadNonce, detail) }

// BadPublicKey: the JWS key is of an unsupported type or too weak.
func BadPublicKey(detail string) *Problem { return NewProblem(ProblemBadPublicKey, detail) }

// BadRevocationReason: the revocation reason is not allowed (RFC 8555 §7.6).
func BadRevocationReason(detail string) *Problem {
	return NewProblem(ProblemBadRevocationReason, detail)
}

// BadSignatureAlgorithm: the JWS algorithm is not supported (RFC 8555 §6.2); the response
// should also carry the supported algorithms, which the HTTP layer adds.
func BadSignatureAlgorithm(detail string) *Problem {
	return NewProblem(ProblemBadSignatureAlgorithm, detail)
}

// CAA: a CAA record forbids issuance for the identifier (RFC 8555 §6.7, RFC 8659).
func CAA(detail string) *Problem { return NewProblem(ProblemCAA, detail) }

// Compound: several errors, one per subproblem (RFC 8555 §6.7.1).
func Compound(detail string, subproblems ...Subproblem) *Problem {
	p := NewProblem(ProblemCompound, detail)
	p.Subproblems = subproblems
	return p
}

// Connection: the server could not connect to the validation target.
func Connection(detail string) *Problem { return NewProblem(ProblemConnection, detail) }

// DNS: a DNS lookup during validation failed.
func DNS(detail string) *Problem { return NewProblem(ProblemDNS, detail) }

// ExternalAccountRequired: newAccount lacks the binding the server requires (RFC 8555 §7.3.4).
func ExternalAccountRequired(detail string) *Problem {
	return NewProblem(ProblemExternalAccountRequired, detail)
}

// IncorrectResponse: the challenge response did not match.
func IncorrectResponse(detail string) *Problem { return NewProblem(ProblemIncorrectResponse, detail) }

// InvalidContact: a contact URL is invalid, e.g. a malformed mailto: address.
func InvalidContact(detail string) *Problem { return NewProblem(ProblemInvalidContact, detail) }

// Malformed: the request could not be understood.
func Malformed(detail string) *Problem { return NewProblem(ProblemMalformed, detail) }

// NotFound is a malformed problem sent with status 404: RFC 8555 has no not-found type, and
// Boulder and Pebble answer an unknown resource URL this way.
func NotFound(detail string) *Problem {
	p := NewProblem(ProblemMalformed, detail)
	p.Status = http.StatusNotFound
	return p
}

// OrderNotReady: finalize was requested before the order was ready (RFC 8555 §7.4).
func OrderNotReady(detail string) *Problem { return NewProblem(ProblemOrderNotReady, detail) }

// RateLimited: a rate limit was exceeded; the HTTP layer adds Retry-After.
func RateLimited(detail string) *Problem { return NewProblem(ProblemRateLimited, detail) }

// RejectedIdentifier: the server will not issue for the identifier.
func RejectedIdentifier(detail string) *Problem {
	return NewProblem(ProblemRejectedIdentifier, detail)
}

// ServerInternal: the server failed. Pass a generic detail; the cause belongs in the log.
func ServerInternal(detail string) *Problem { return NewProblem(ProblemServerInternal, detail) }

// TLS: the TLS connection during validation failed.
func TLS(detail string) *Problem { return NewProblem(ProblemTLS, detail) }

// Unauthorized: the client lacks authorization for the action.
func Unauthorized(detail string) *Problem { return NewProblem(ProblemUnauthorized, detail) }

// UnsupportedContact: a contact URL uses a scheme the server does not support.
func UnsupportedContact(detail string) *Problem {
	return NewProblem(ProblemUnsupportedContact, detail)
}

// UnsupportedIdentifier: the identifier type is not supported.
func UnsupportedIdentifier(detail string) *Problem {
	return NewProblem(ProblemUnsupportedIdentifier, detail)
}

// UserActionRequired: the user must visit instance, typically to accept new terms of service
// (RFC 8555 §7.3.3), which requires the instance field.
func UserActionRequired(detail, instance string) *Problem {
	p := NewProblem(ProblemUserActionRequired, detail)
	p.Instance = instance
	return p
}
