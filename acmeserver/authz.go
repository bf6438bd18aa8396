package acmeserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/anchorpki/anchor/acme"
	"github.com/anchorpki/anchor/challenge"
	"github.com/anchorpki/anchor/store"
)

// pollAfter is the Retry-After of a resource whose state is about to change: a pending
// authorization being validated, a processing challenge.
const pollAfter = time.Second

// stale reports whether a challenge has been processing for longer than any validation takes
// (the wait for a slot plus the validation, each bounded by ValidationTimeout): the process
// running it died or stopped, and it must be started again.
func (s *Server) stale(c challengeState, now time.Time) bool {
	return c.Status == acme.StatusProcessing && now.Sub(c.Started) > 2*s.o.ValidationTimeout+5*time.Second
}

// authz answers a POST-as-GET of an authorization, or deactivates it (RFC 8555 §7.5, §7.5.2).
func (s *Server) authz(q *request) (*response, error) {
	a, err := s.ownAuthz(q, q.r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if q.postAsGet() {
		// Clients poll the authorization, not the challenge: this is where a validation
		// stranded by a restart is picked up again.
		if a, err = s.resumeStale(q, a); err != nil {
			return nil, err
		}
	} else {
		var upd struct {
			Status acme.Status `json:"status"`
		}
		if err := acme.DecodeStrict(q.payload, &upd); err != nil {
			return nil, err
		}
		if upd.Status != acme.StatusDeactivated {
			return nil, malformed(`an authorization's status can only be set to "deactivated", not %q`, upd.Status)
		}
		if st := authzStatus(a, s.o.Now()); st != acme.StatusPending && st != acme.StatusValid {
			return nil, malformed("the authorization is %s and cannot be deactivated", st)
		}
		a.Status = string(acme.StatusDeactivated)
		if a, err = s.o.Store.UpdateACMEAuthz(q.ctx, a); errors.Is(err, store.ErrConflict) {
			return nil, problemStatus(malformed("the authorization changed during this request; retry"), 409)
		} else if err != nil {
			return nil, err
		}
	}
	return s.authzResponse(q.base, a)
}

func (s *Server) ownAuthz(q *request, id string) (store.ACMEAuthz, error) {
	a, err := s.o.Store.ACMEAuthz(q.ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.ACMEAuthz{}, notFound("no authorization %s", q.base+pathAuthz+id)
	}
	if err != nil {
		return store.ACMEAuthz{}, err
	}
	if a.AccountID != q.account.ID {
		return store.ACMEAuthz{}, unauthorized("authorization %s belongs to another account", q.base+pathAuthz+id)
	}
	return a, nil
}

func (s *Server) authzResponse(base string, a store.ACMEAuthz) (*response, error) {
	var b authzBody
	if err := json.Unmarshal(a.Body, &b); err != nil {
		return nil, fmt.Errorf("acmeserver: authorization %s: %w", a.ID, err)
	}
	st := authzStatus(a, s.o.Now())
	wire := acme.Authorization{
		Identifier: acme.Identifier{Type: a.IdentType, Value: a.IdentValue},
		Status:     st,
		Expires:    a.Expires,
		Wildcard:   a.Wildcard,
		Challenges: []acme.Challenge{},
	}
	processing := false
	for _, c := range b.Challenges {
		// A valid authorization lists only the challenge that validated it (RFC 8555 §7.1.4).
		if st == acme.StatusValid && c.Status != acme.StatusValid {
			continue
		}
		wire.Challenges = append(wire.Challenges, wireChallenge(base, a.ID, c))
		processing = processing || c.Status == acme.StatusProcessing
	}
	resp := &response{body: wire}
	if st == acme.StatusPending && processing {
		resp.retryAfter = pollAfter
	}
	return resp, nil
}

func wireChallenge(base, authzID string, c challengeState) acme.Challenge {
	return acme.Challenge{Type: c.Type, URL: base + pathChallenge + authzID + "/" + c.Type, Status: c.Status,
		Validated: c.Validated, Error: c.Error, Token: c.Token}
}

// challenge answers a POST-as-GET of a challenge, or, for any other payload (RFC 8555 §7.5.1
// says "{}"), starts its validation and answers at once with status processing; the client
// then polls the authorization.
func (s *Server) challenge(q *request) (*response, error) {
	typ := q.r.PathValue("type")
	for attempt := 0; ; attempt++ {
		a, err := s.ownAuthz(q, q.r.PathValue("id"))
		if err != nil {
			return nil, err
		}
		var b authzBody
		if err := json.Unmarshal(a.Body, &b); err != nil {
			return nil, err
		}
		i := -1
		for j, c := range b.Challenges {
			if c.Type == typ {
				i = j
			}
		}
		if i < 0 {
			return nil, notFound("authorization %s offers no %s challenge", q.base+pathAuthz+a.ID, typ)
		}
		c := &b.Challenges[i]
		up := `<` + q.base + pathAuthz + a.ID + `>;rel="up"`
		now := s.o.Now()
		start := !q.postAsGet() && authzStatus(a, now) == acme.StatusPending && (c.Status == acme.StatusPending || s.stale(*c, now))
		if !start {
			resp := &response{body: wireChallenge(q.base, a.ID, *c), links: []string{up}}
			if c.Status == acme.StatusProcessing {
				resp.retryAfter = pollAfter
			}
			return resp, nil
		}
		if !q.postAsGet() {
			var ignored map[string]any
			if err := acme.DecodeStrict(q.payload, &ignored); err != nil {
				return nil, err
			}
		}
		if err := s.limitFailures(q, acme.Identifier{Type: a.IdentType, Value: a.IdentValue}); err != nil {
			return nil, err
		}
		// Only one challenge of an authorization is validated at a time.
		for j := range b.Challenges {
			if j != i && b.Challenges[j].Status == acme.StatusProcessing && !s.stale(b.Challenges[j], now) {
				return nil, malformed("the %s challenge of this authorization is being validated", b.Challenges[j].Type)
			}
		}
		c.Status, c.Started, c.Error = acme.StatusProcessing, now, nil
		raw, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		a.Body = raw
		a, err = s.o.Store.UpdateACMEAuthz(q.ctx, a)
		if errors.Is(err, store.ErrConflict) && attempt < 3 {
			continue // another request moved the authorization; look again
		}
		if err != nil {
			return nil, err
		}
		keyAuth, err := acme.KeyAuthorization(c.Token, q.jwk)
		if err != nil {
			return nil, err
		}
		s.startValidation(a, *c, keyAuth, q.accountURL)
		return &response{body: wireChallenge(q.base, a.ID, *c), links: []string{up}, retryAfter: pollAfter}, nil
	}
}

// startValidation validates in the background, bounded by MaxValidations, and records the
// outcome. The request that asked has been answered; the client learns the result by polling.
func (s *Server) startValidation(a store.ACMEAuthz, c challengeState, keyAuth, accountURL string) {
	authzID, typ := a.ID, c.Type
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		slot := time.NewTimer(s.o.ValidationTimeout)
		defer slot.Stop()
		select {
		case s.validate <- struct{}{}:
			defer func() { <-s.validate }()
		case <-slot.C:
			s.recordValidation(authzID, typ, acme.ServerInternal("the CA is too busy to validate now; try again in a minute"))
			return
		case <-s.bg.Done():
			return
		}
		ctx, cancel := context.WithTimeout(s.bg, s.o.ValidationTimeout)
		defer cancel()
		began := time.Now()
		verr := s.runValidation(ctx, a, c, keyAuth, accountURL)
		if s.bg.Err() != nil {
			return // shutting down: leave it processing; the client's retry starts it again
		}
		s.recordValidation(authzID, typ, verr)
		attrs := []slog.Attr{slog.String("authz", authzID), slog.String("identifier", a.IdentValue), slog.String("type", typ),
			slog.String("account", accountURL), slog.Duration("took", time.Since(began))}
		if verr != nil {
			attrs = append(attrs, slog.String("problem", verr.Error()))
			s.log.LogAttrs(ctx, slog.LevelInfo, "acme: validation failed", attrs...)
			return
		}
		s.log.LogAttrs(ctx, slog.LevelInfo, "acme: validation succeeded", attrs...)
	}()
}

// runValidation checks one challenge, then CAA (RFC 8659 §3 asks the CA to check at issuance;
// checking right after validation, with the method and account known, is what RFC 8657 needs
// and what Let's Encrypt does). It returns nil or the problem to record.
func (s *Server) runValidation(ctx context.Context, a store.ACMEAuthz, c challengeState, keyAuth, accountURL string) *acme.Problem {
	typ, token := c.Type, c.Token
	var err error
	switch typ {
	case acme.ChallengeHTTP01:
		err = s.o.Validator.HTTP01(ctx, a.IdentValue, token, keyAuth)
	case acme.ChallengeDNS01:
		err = s.o.Validator.DNS01(ctx, a.IdentValue, keyAuth)
	case acme.ChallengeTLSALPN01:
		err = s.o.Validator.TLSALPN01(ctx, a.IdentValue, keyAuth)
	default:
		return acme.ServerInternal("unknown challenge type")
	}
	if err == nil && a.IdentType == acme.IdentifierDNS {
		err = s.o.Validator.CAA(ctx, a.IdentValue, a.Wildcard, accountURL, typ)
	}
	if err == nil {
		return nil
	}
	p := validationProblem(err)
	if p.Type == acme.ProblemServerInternal {
		s.log.LogAttrs(ctx, slog.LevelError, "acme: validation error", slog.String("authz", a.ID), slog.Any("error", err))
	}
	p.Identifier = &acme.Identifier{Type: a.IdentType, Value: a.IdentValue}
	return p
}

// validationProblem maps a validator error to its RFC 8555 §6.7 type.
func validationProblem(err error) *acme.Problem {
	ce, ok := errors.AsType[*challenge.Error](err)
	if !ok {
		if errors.Is(err, context.DeadlineExceeded) {
			return acme.Connection("the validation timed out")
		}
		return acme.ServerInternal("the validation could not be performed")
	}
	switch ce.Kind {
	case challenge.Connection:
		return acme.Connection(ce.Detail)
	case challenge.DNS:
		return acme.DNS(ce.Detail)
	case challenge.IncorrectResponse:
		return acme.IncorrectResponse(ce.Detail)
	case challenge.TLS:
		return acme.TLS(ce.Detail)
	case challenge.CAA:
		return acme.CAA(ce.Detail)
	case challenge.Unauthorized:
		return acme.Unauthorized(ce.Detail)
	}
	return acme.ServerInternal("the validation could not be performed")
}

// recordValidation stores the outcome: the challenge and its authorization become valid
// together, or invalid together (RFC 8555 §7.1.6). It retries a lost compare-and-set, which
// only a concurrent deactivation or read-modify-write causes.
func (s *Server) recordValidation(authzID, typ string, p *acme.Problem) {
	ctx, cancel := context.WithTimeout(s.bg, 30*time.Second)
	defer cancel()
	for range 5 {
		a, err := s.o.Store.ACMEAuthz(ctx, authzID)
		if err != nil {
			s.log.LogAttrs(ctx, slog.LevelError, "acme: recording a validation", slog.String("authz", authzID), slog.Any("error", err))
			return
		}
		if a.Status != string(acme.StatusPending) {
			return // deactivated meanwhile: the outcome no longer matters
		}
		var b authzBody
		if err := json.Unmarshal(a.Body, &b); err != nil {
			return
		}
		now := s.o.Now()
		for i := range b.Challenges {
			c := &b.Challenges[i]
			if c.Type != typ {
				continue
			}
			if p == nil {
				c.Status, c.Validated = acme.StatusValid, now
				a.Status = string(acme.StatusValid)
				a.Expires = now.Add(s.o.AuthzLifetime)
			} else {
				c.Status, c.Error = acme.StatusInvalid, p
				a.Status = string(acme.StatusInvalid)
			}
		}
		raw, err := json.Marshal(b)
		if err != nil {
			return
		}
		a.Body, a.UpdatedAt = raw, now
		_, err = s.o.Store.UpdateACMEAuthz(ctx, a)
		if err == nil || !errors.Is(err, store.ErrConflict) {
			if err != nil {
				s.log.LogAttrs(ctx, slog.LevelError, "acme: recording a validation", slog.String("authz", authzID), slog.Any("error", err))
			}
			return
		}
	}
}

// resumeStale starts again every challenge of a that a stopped process left processing. The key
// authorization comes from the account's current key, as the client computed it.
func (s *Server) resumeStale(q *request, a store.ACMEAuthz) (store.ACMEAuthz, error) {
	now := s.o.Now()
	var b authzBody
	if err := json.Unmarshal(a.Body, &b); err != nil {
		return a, err
	}
	var resume []challengeState
	for i := range b.Challenges {
		if s.stale(b.Challenges[i], now) {
			b.Challenges[i].Started = now
			resume = append(resume, b.Challenges[i])
		}
	}
	if len(resume) == 0 || authzStatus(a, now) != acme.StatusPending {
		return a, nil
	}
	raw, err := json.Marshal(b)
	if err != nil {
		return a, err
	}
	a.Body = raw
	updated, err := s.o.Store.UpdateACMEAuthz(q.ctx, a)
	if errors.Is(err, store.ErrConflict) {
		return s.o.Store.ACMEAuthz(q.ctx, a.ID) // another request resumed it
	}
	if err != nil {
		return a, err
	}
	for _, c := range resume {
		keyAuth, err := acme.KeyAuthorization(c.Token, q.jwk)
		if err != nil {
			return updated, err
		}
		s.log.Info("acme: resuming a stranded validation", "authz", a.ID, "type", c.Type)
		s.startValidation(updated, c, keyAuth, q.accountURL)
	}
	return updated, nil
}
