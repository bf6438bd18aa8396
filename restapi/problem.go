package restapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/csr"
	"github.com/anchorpki/anchor/issuance"
	"github.com/anchorpki/anchor/lint"
	"github.com/anchorpki/anchor/policy"
	"github.com/anchorpki/anchor/store"
)

// The problem types of this API (RFC 7807 §3.1 "type"), stable across versions: clients switch
// on them, never on the detail text. The ACME server has its own vocabulary (RFC 8555 §6.7);
// the two are deliberately not shared.
const (
	typePrefix           = "urn:anchor:problem:"
	TypeUnauthorized     = typePrefix + "unauthorized"     // 401: no, malformed, unknown, revoked or expired credential
	TypeForbidden        = typePrefix + "forbidden"        // 403: the credential lacks the scope, or may not obtain a name
	TypeMalformed        = typePrefix + "malformed"        // 400: bad JSON, unknown field, bad serial, bad query parameter or cursor
	TypeBadCSR           = typePrefix + "badCSR"           // 400: the CSR does not parse, its signature fails, or it names nothing the profile needs
	TypeBadProfile       = typePrefix + "badProfile"       // 400: unknown profile, or one that cannot be requested (root, intermediate)
	TypeRejected         = typePrefix + "rejected"         // 422: the CA's policy or a lint refused the certificate
	TypeNotFound         = typePrefix + "notFound"         // 404: no such certificate or endpoint
	TypeConflict         = typePrefix + "conflict"         // 409: the certificate's state does not allow the operation
	TypeTooLarge         = typePrefix + "tooLarge"         // 413: the body exceeds the limit
	TypeTimeout          = typePrefix + "timeout"          // 408: the body did not arrive within the server's read timeout
	TypeMethodNotAllowed = typePrefix + "methodNotAllowed" // 405
	TypeUnavailable      = typePrefix + "unavailable"      // 503: the inventory cannot be reached; retry later
	TypeInternal         = typePrefix + "internal"         // 500: a bug or an unexpected failure, logged server-side
)

var problemMeta = map[string]struct {
	status int
	title  string
}{
	TypeUnauthorized:     {http.StatusUnauthorized, "Authentication required"},
	TypeForbidden:        {http.StatusForbidden, "Not permitted"},
	TypeMalformed:        {http.StatusBadRequest, "Malformed request"},
	TypeBadCSR:           {http.StatusBadRequest, "Bad certificate signing request"},
	TypeBadProfile:       {http.StatusBadRequest, "Bad profile"},
	TypeRejected:         {http.StatusUnprocessableEntity, "Certificate refused"},
	TypeNotFound:         {http.StatusNotFound, "Not found"},
	TypeConflict:         {http.StatusConflict, "Conflict"},
	TypeTooLarge:         {http.StatusRequestEntityTooLarge, "Request too large"},
	TypeTimeout:          {http.StatusRequestTimeout, "Request timeout"},
	TypeMethodNotAllowed: {http.StatusMethodNotAllowed, "Method not allowed"},
	TypeUnavailable:      {http.StatusServiceUnavailable, "Service unavailable"},
	TypeInternal:         {http.StatusInternalServerError, "Internal error"},
}

// internalDetail is all a client learns of a 500: the cause is in the server's log.
const internalDetail = "internal error; the server log has the cause"

// Problem is an RFC 7807 problem document, the body of every error response, served as
// application/problem+json. It is exported for Go clients of the API.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

func (p *Problem) Error() string { return fmt.Sprintf("%s (%d): %s", p.Type, p.Status, p.Detail) }

func newProblem(typ, detail string) *Problem {
	m := problemMeta[typ]
	return &Problem{Type: typ, Title: m.title, Status: m.status, Detail: detail}
}

func problemf(typ, format string, a ...any) *Problem {
	return newProblem(typ, fmt.Sprintf(format, a...))
}

// problemFor maps an error to the problem a client sees: the one place where errors of the
// packages below become HTTP. Anything unrecognised is a 500 whose cause is only logged.
func problemFor(err error) (p *Problem, internal bool) {
	if p, ok := errors.AsType[*Problem](err); ok {
		return p, false
	}
	if mb, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return problemf(TypeTooLarge, "the request body exceeds %d bytes", mb.Limit), false
	}
	if rej, ok := errors.AsType[*policy.RejectedError](err); ok {
		return problemf(TypeRejected, "refused by the CA's policy (%s rule): %s", rej.Kind, strings.TrimPrefix(rej.Error(), "policy: ")), false
	}
	if rej, ok := errors.AsType[*lint.RejectedError](err); ok {
		return newProblem(TypeRejected, "refused by a certificate lint: "+findings(rej)), false
	}
	switch {
	case errors.Is(err, csr.ErrMalformed), errors.Is(err, csr.ErrBadSignature),
		errors.Is(err, issuance.ErrNoSAN), errors.Is(err, issuance.ErrSANNotAllowed), errors.Is(err, issuance.ErrEmptyName):
		return newProblem(TypeBadCSR, err.Error()), false
	case errors.Is(err, issuance.ErrUnknownProfile), errors.Is(err, ca.ErrProfileNotIssuable):
		return newProblem(TypeBadProfile, err.Error()), false
	case errors.Is(err, issuance.ErrValidity), errors.Is(err, policy.ErrRejected), errors.Is(err, lint.ErrRejected):
		return newProblem(TypeRejected, err.Error()), false
	case errors.Is(err, store.ErrNotFound):
		return newProblem(TypeNotFound, "no such certificate"), false
	case errors.Is(err, store.ErrBadCursor):
		return newProblem(TypeMalformed, "cursor: not a next_cursor this API returned"), false
	case errors.Is(err, store.ErrInvalid):
		return newProblem(TypeMalformed, "the request holds a value the inventory cannot store or search for"), false
	case errors.Is(err, ca.ErrNotOnHold):
		return newProblem(TypeConflict, err.Error()), false
	case errors.Is(err, store.ErrNotIssued):
		return newProblem(TypeConflict, "this serial was reserved but never signed (an interrupted issuance): there is no certificate to revoke"), false
	case errors.Is(err, context.Canceled):
		// The client went away; the answer is for the log line's status code only.
		return newProblem(TypeUnavailable, "the request was cancelled"), false
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, store.ErrClosed), errors.Is(err, context.DeadlineExceeded):
		return newProblem(TypeUnavailable, "the inventory is unavailable; retry later"), true
	}
	return newProblem(TypeInternal, internalDetail), true
}

func findings(rej *lint.RejectedError) string {
	parts := make([]string, len(rej.Findings))
	for i, f := range rej.Findings {
		parts[i] = f.String()
	}
	return strings.Join(parts, "; ")
}

// fail answers err as a problem; causes the client does not see are logged.
func (a *API) fail(w http.ResponseWriter, r *http.Request, route string, err error) {
	p, internal := problemFor(err)
	if internal {
		a.log.LogAttrs(r.Context(), slog.LevelError, "restapi: request failed", slog.String("route", route),
			slog.String("problem", p.Type), slog.Any("error", err))
	}
	a.writeProblem(w, p)
}

func (a *API) writeProblem(w http.ResponseWriter, p *Problem) {
	if p.Status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="anchor"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Served as JSON with nosniff, so nothing needs HTML escaping: "<token>" reads as written.
	enc.SetEscapeHTML(false)
	_ = enc.Encode(p) // the client may be gone; there is no one left to tell
}
