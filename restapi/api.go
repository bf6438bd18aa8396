// Package restapi is the REST issuance API of `anchor serve`, everything under /api/v1/:
// issue a certificate from a CSR, list and read the inventory, revoke. Every call is
// authenticated, by a bearer token (package apitoken) or by a client certificate this CA
// issued, and every error is an RFC 7807 problem document. It decides nothing about
// certificates itself: the authority does (package ca). It does not listen either: package
// server mounts the handler with its own http.Server, TLS settings and timeouts. API.md
// documents the wire protocol.
package restapi

import (
	"context"
	"errors"
	"log/slog"
	"math/big"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/anchorpki/anchor/apitoken"
	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/issuance"
	"github.com/anchorpki/anchor/revocation"
	"github.com/anchorpki/anchor/store"
)

// Authority issues and revokes; *ca.Authority is the implementation. Issuer identifies the
// intermediate whose leaves may authenticate with a client certificate.
type Authority interface {
	Issue(ctx context.Context, req ca.Request) (*ca.Issued, error)
	Revoke(ctx context.Context, serial *big.Int, reason revocation.Reason, requester string) (*ca.Revoked, error)
	Issuer() *issuance.Issuer
}

// Inventory is the read side of the store; *store.DB is the implementation. Get returns
// store.ErrNotFound for an unknown certificate and List store.ErrBadCursor for a cursor it did
// not hand out; both become client errors, anything else a 503 or 500.
type Inventory interface {
	Get(ctx context.Context, issuerKeyID []byte, serial *big.Int) (store.Certificate, error)
	List(ctx context.Context, f store.Filter) ([]store.Certificate, string, error)
	FindBySerial(ctx context.Context, serial *big.Int) ([]store.Certificate, error)
}

// Tokens is what authentication needs of the token table; *store.DB is the implementation.
// Token must read the database on every call, so a token revoked by `anchor token revoke` in
// another process is refused from the next request on; it returns revoked and expired tokens
// as they are and store.ErrNotFound for an unknown id.
type Tokens interface {
	Token(ctx context.Context, id string) (store.Token, error)
	TouchToken(ctx context.Context, id string, at time.Time) error
}

// Defaults and limits.
const (
	DefaultMaxBodyBytes = 1 << 20 // a CSR is a few kilobytes; a megabyte leaves room for RSA-16384 and noise
	DefaultPageSize     = 100
	MaxPageSize         = 1000
)

// Options configure an API.
type Options struct {
	Authority Authority // required
	Inventory Inventory // required
	Tokens    Tokens    // required
	Now       func() time.Time
	Logger    *slog.Logger // nil: discard; one line per request, errors with their cause
	// MaxBodyBytes caps a request body; a larger one is answered 413. 0: DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// PageSize is the default page of a list; ?limit= chooses up to MaxPageSize. 0: DefaultPageSize.
	PageSize int
	// ClientCertScopes are what a client certificate may do. nil: issue and read. An empty,
	// non-nil slice lets client certificates authenticate but do nothing.
	ClientCertScopes []apitoken.Scope
	// OnRevoke is called after a revocation that changed something (not a repeated one), before
	// the response is written; the server regenerates the CRL there. nil: nothing.
	OnRevoke func(serial *big.Int)
	// Observe is called once per request with the route pattern ("POST /api/v1/certificates"),
	// the status code and the time taken, for per-endpoint metrics. nil: nothing.
	Observe func(route string, code int, d time.Duration)
}

// API is the http.Handler of /api/v1/.
type API struct {
	o   Options
	log *slog.Logger
	mux *http.ServeMux
}

// New returns an API.
func New(o Options) (*API, error) {
	if o.Authority == nil || o.Inventory == nil || o.Tokens == nil {
		return nil, errors.New("restapi: Options.Authority, Options.Inventory and Options.Tokens are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.PageSize == 0 {
		o.PageSize = DefaultPageSize
	}
	if o.MaxBodyBytes < 0 || o.PageSize < 0 || o.PageSize > MaxPageSize {
		return nil, errors.New("restapi: Options.MaxBodyBytes must be positive and PageSize between 1 and 1000")
	}
	if o.ClientCertScopes == nil {
		o.ClientCertScopes = []apitoken.Scope{apitoken.ScopeIssue, apitoken.ScopeRead}
	}
	a := &API{o: o, log: o.Logger, mux: http.NewServeMux()}
	a.routes()
	return a, nil
}

// routes registers every endpoint. A method-less pattern next to each resource turns another
// method into a 405 problem, and "/" every other path into a 404 problem: ServeMux's own
// answers would be text/plain.
func (a *API) routes() {
	a.handle("POST /api/v1/certificates", a.issue)
	a.handle("GET /api/v1/certificates", a.list)
	a.handle("/api/v1/certificates", a.methodNotAllowed("GET, HEAD, POST"))
	a.handle("GET /api/v1/certificates/{serial}", a.get)
	a.handle("/api/v1/certificates/{serial}", a.methodNotAllowed("GET, HEAD"))
	a.handle("POST /api/v1/certificates/{serial}/revoke", a.revoke)
	a.handle("/api/v1/certificates/{serial}/revoke", a.methodNotAllowed("POST"))
	a.handle("/", func(http.ResponseWriter, *http.Request, *event) error {
		return newProblem(TypeNotFound, "no such endpoint; the API is documented under /api/v1/ in API.md")
	})
}

// ServeHTTP serves everything under /api/v1/.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// event is what a handler reports for the request log.
type event struct {
	requester string
	serial    string
}

// handlerFunc writes a successful response itself, or returns an error for handle to answer as
// a problem.
type handlerFunc func(w http.ResponseWriter, r *http.Request, ev *event) error

// handle registers h under pattern, wrapped in what every request gets: headers, the problem
// for a returned error, recovery from a panic, one log line and one Observe call.
func (a *API) handle(pattern string, h handlerFunc) {
	a.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		ev := &event{}
		// Responses carry certificates and inventory data to an authenticated caller: no cache
		// may keep them, and no browser may guess another content type.
		sw.Header().Set("Cache-Control", "no-store")
		sw.Header().Set("X-Content-Type-Options", "nosniff")
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				a.log.LogAttrs(r.Context(), slog.LevelError, "restapi: panic", slog.String("route", pattern),
					slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
				if sw.code == 0 {
					a.writeProblem(sw, newProblem(TypeInternal, internalDetail))
				}
			}
			d := time.Since(start)
			a.log.LogAttrs(r.Context(), slog.LevelInfo, "restapi: request", slog.String("route", pattern),
				slog.String("path", r.URL.Path), slog.Int("status", sw.status()), slog.Duration("duration", d),
				slog.String("requester", ev.requester), slog.String("serial", ev.serial))
			if a.o.Observe != nil {
				a.o.Observe(pattern, sw.status(), d)
			}
		}()
		if err := h(sw, r, ev); err != nil {
			a.fail(sw, r, pattern, err)
		}
	})
}

func (a *API) methodNotAllowed(allow string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, _ *event) error {
		w.Header().Set("Allow", allow)
		return newProblem(TypeMethodNotAllowed, r.Method+" is not allowed here; use "+allow)
	}
}

// statusWriter remembers the status code for the log and Observe.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// Unwrap lets http.ResponseController reach the connection (deadlines, flushing).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
