package acmeserver

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/anchorpki/anchor/acme"
)

// response is what a POST handler answers; jwsHandler writes it with the headers every ACME
// response carries.
type response struct {
	status     int // default 200
	body       any // JSON-encoded, unless raw is set
	raw        []byte
	rawType    string
	location   string
	links      []string // complete Link header values
	retryAfter time.Duration
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.log.Error("acme: encoding a response", slog.Any("error", err))
		status, b = http.StatusInternalServerError, []byte(`{"type":"`+string(acme.ProblemServerInternal)+`","detail":"internal error"}`)
		w.Header().Set("Content-Type", "application/problem+json")
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// writeProblem sends err as a problem document with a fresh nonce, so a client can retry at
// once (RFC 8555 §6.5: a badNonce answer MUST carry one; the others may as well). An error
// that is not a *acme.Problem is the server's own and is logged, never shown.
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	p := acme.ProblemFrom(err)
	if p.Type == acme.ProblemServerInternal {
		s.log.LogAttrs(r.Context(), slog.LevelError, "acme: internal error",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("error", err))
	}
	status := p.Status
	if status == 0 {
		status = p.Type.DefaultStatus()
	}
	if p.Type == acme.ProblemBadSignatureAlgorithm && p.Algorithms == nil {
		p.Algorithms = algorithmNames()
	}
	if ra, ok := err.(interface{ retryAfter() time.Duration }); ok {
		w.Header().Set("Retry-After", retryAfterSeconds(ra.retryAfter()))
	}
	s.addNonce(w, r)
	w.Header().Set("Link", linkIndex(s.base(r)))
	b, _ := json.Marshal(p)
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// addNonce sets Replay-Nonce. Failing to mint one (the database holding the MAC key is down)
// leaves it out: the client's next request then fails with badNonce, which it retries.
func (s *Server) addNonce(w http.ResponseWriter, r *http.Request) {
	n, err := s.nonces.issue(r.Context())
	if err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "acme: cannot issue a nonce", slog.Any("error", err))
		return
	}
	w.Header().Set("Replay-Nonce", n)
	w.Header().Set("Cache-Control", "no-store")
}

func linkIndex(base string) string { return `<` + base + pathDirectory + `>;rel="index"` }

func retryAfterSeconds(d time.Duration) string {
	return strconv.Itoa(max(1, int((d+time.Second-1)/time.Second)))
}

// Problem constructors with formatted details, and a few shapes RFC 8555 leaves to servers.

func malformed(format string, a ...any) *acme.Problem {
	return acme.Malformed(fmt.Sprintf(format, a...))
}

func unauthorized(format string, a ...any) *acme.Problem {
	return acme.Unauthorized(fmt.Sprintf(format, a...))
}

func notFound(format string, a ...any) *acme.Problem { return acme.NotFound(fmt.Sprintf(format, a...)) }

func problemStatus(p *acme.Problem, status int) *acme.Problem {
	p.Status = status
	return p
}

// rateLimited is a rateLimited problem that carries its Retry-After.
type rateLimited struct {
	*acme.Problem
	after time.Duration
}

func (e rateLimited) retryAfter() time.Duration { return e.after }
func (e rateLimited) Unwrap() error             { return e.Problem }
