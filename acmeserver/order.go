package acmeserver

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/anchorpki/anchor/acme"
	"github.com/anchorpki/anchor/policy"
	"github.com/anchorpki/anchor/store"
)

const maxIdentifiers = 100

// orderBody is what an order keeps beyond the store's columns.
type orderBody struct {
	Identifiers []acme.Identifier `json:"identifiers"`
	Authzs      []string          `json:"authzs"` // IDs, in identifier order
	NotBefore   time.Time         `json:"notBefore,omitzero"`
	NotAfter    time.Time         `json:"notAfter,omitzero"`
	Profile     string            `json:"profile"`
	Error       *acme.Problem     `json:"error,omitempty"`
	// Finalizing is when the order last moved to processing. A process that died while
	// issuing leaves it there; after staleFinalize the order counts as ready again.
	Finalizing time.Time `json:"finalizing,omitzero"`
}

// staleFinalize is how long an order may stay processing before it is offered for finalize
// again: far longer than an issuance takes, short enough for a client that is still polling.
const staleFinalize = time.Minute

// authzBody is what an authorization keeps beyond the store's columns.
type authzBody struct {
	Challenges []challengeState `json:"challenges"`
}

type challengeState struct {
	Type      string        `json:"type"`
	Token     string        `json:"token"`
	Status    acme.Status   `json:"status"`
	Validated time.Time     `json:"validated,omitzero"`
	Started   time.Time     `json:"started,omitzero"` // when the current validation attempt began
	Error     *acme.Problem `json:"error,omitempty"`
}

// newOrder creates an order and the authorizations it still needs (RFC 8555 §7.4).
func (s *Server) newOrder(q *request) (*response, error) {
	var req acme.NewOrderRequest
	if err := decodePayload(q, &req); err != nil {
		return nil, err
	}
	if err := acme.ValidateIdentifiers(req.Identifiers); err != nil {
		return nil, err
	}
	if len(req.Identifiers) > maxIdentifiers {
		return nil, acme.RejectedIdentifier(fmt.Sprintf("an order may name at most %d identifiers", maxIdentifiers))
	}
	if err := s.checkNames(req.Identifiers); err != nil {
		return nil, err
	}
	profile := req.Profile
	if profile == "" {
		profile = s.o.DefaultProfile
	}
	if _, ok := s.o.Profiles[profile]; !ok {
		return nil, malformed("profile %q is not offered; the directory's meta.profiles lists those that are", profile)
	}
	now := s.o.Now()
	if !req.NotAfter.IsZero() && (req.NotAfter.Before(now) || (!req.NotBefore.IsZero() && !req.NotAfter.After(req.NotBefore))) {
		return nil, malformed("notAfter must be in the future and after notBefore")
	}
	if s.o.Policy != nil && !req.NotBefore.IsZero() && !req.NotAfter.IsZero() {
		if err := s.o.Policy.CheckValidity(req.NotBefore, req.NotAfter); err != nil {
			return nil, malformed("%v", err)
		}
	}
	if err := s.limitOrders(q, now); err != nil {
		return nil, err
	}
	var replacesAfter string
	if req.Replaces != "" {
		var err error
		if replacesAfter, err = s.checkReplaces(q, req.Replaces, req.Identifiers); err != nil {
			return nil, err
		}
	}

	expires := now.Add(s.o.OrderLifetime)
	body := orderBody{Identifiers: req.Identifiers, NotBefore: req.NotBefore, NotAfter: req.NotAfter, Profile: profile}
	// Reusable authorizations first: an order cannot outlive what it relies on, and the new
	// authorizations expire with the order.
	reused := make([]*store.ACMEAuthz, len(req.Identifiers))
	for i, id := range req.Identifiers {
		if err := s.limitFailures(q, id); err != nil {
			return nil, err
		}
		authzID, wildcard := id.Authorization()
		a, err := s.o.Store.ValidACMEAuthz(q.ctx, q.account.ID, authzID.Type, authzID.Value, wildcard, now)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		reused[i] = &a
		if a.Expires.Before(expires) {
			expires = a.Expires
		}
	}
	var fresh []store.ACMEAuthz
	for i, id := range req.Identifiers {
		if reused[i] != nil {
			body.Authzs = append(body.Authzs, reused[i].ID)
			continue
		}
		authzID, wildcard := id.Authorization()
		a, err := newAuthz(q.account.ID, authzID, wildcard, expires)
		if err != nil {
			return nil, err
		}
		fresh = append(fresh, a)
		body.Authzs = append(body.Authzs, a.ID)
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	o, err := s.o.Store.CreateACMEOrder(q.ctx, store.ACMEOrder{ID: randomID(), AccountID: q.account.ID,
		Status: string(acme.StatusPending), Expires: expires, Replaces: req.Replaces, ReplacesAfter: replacesAfter,
		Body: raw}, fresh)
	if errors.Is(err, store.ErrConflict) && req.Replaces != "" {
		// Another newOrder took the claim between checkReplaces and now: the claim is
		// CreateACMEOrder's only source of ErrConflict.
		return nil, acme.AlreadyReplaced("certificate " + req.Replaces + " is being replaced by another order")
	}
	if err != nil {
		return nil, err
	}
	resp, err := s.orderResponse(q.ctx, q.base, o)
	if err != nil {
		return nil, err
	}
	resp.status = http.StatusCreated
	return resp, nil
}

// checkNames applies the CA's name policy to each identifier, reporting every refusal at once.
func (s *Server) checkNames(ids []acme.Identifier) error {
	if s.o.Policy == nil {
		return nil
	}
	var subs []acme.Subproblem
	for _, id := range ids {
		if err := s.o.Policy.CheckName(id.Value); err != nil {
			detail := err.Error()
			if rej, ok := errors.AsType[*policy.RejectedError](err); ok {
				detail = rej.Reason
			}
			subs = append(subs, acme.Subproblem{Type: acme.ProblemRejectedIdentifier, Detail: id.Value + ": " + detail, Identifier: &id})
		}
	}
	switch len(subs) {
	case 0:
		return nil
	case 1:
		p := acme.RejectedIdentifier("this CA's policy does not allow " + subs[0].Detail)
		p.Identifier = subs[0].Identifier
		return p
	}
	p := acme.Compound("this CA's policy does not allow several identifiers", subs...)
	p.Status = http.StatusBadRequest
	return p
}

// newAuthz builds a pending authorization with the challenges its identifier admits: a
// wildcard only dns-01 (RFC 8555 §7.1.3), an IP address no dns-01 (RFC 8738 §7).
func newAuthz(accountID string, id acme.Identifier, wildcard bool, expires time.Time) (store.ACMEAuthz, error) {
	var types []string
	switch {
	case wildcard:
		types = []string{acme.ChallengeDNS01}
	case id.Type == acme.IdentifierIP:
		types = []string{acme.ChallengeHTTP01, acme.ChallengeTLSALPN01}
	default:
		types = []string{acme.ChallengeHTTP01, acme.ChallengeDNS01, acme.ChallengeTLSALPN01}
	}
	var body authzBody
	for _, t := range types {
		// One token per challenge: a token seen on port 80 says nothing about a DNS record.
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return store.ACMEAuthz{}, err
		}
		body.Challenges = append(body.Challenges, challengeState{Type: t, Token: base64.RawURLEncoding.EncodeToString(b), Status: acme.StatusPending})
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return store.ACMEAuthz{}, err
	}
	return store.ACMEAuthz{ID: randomID(), AccountID: accountID, IdentType: id.Type, IdentValue: id.Value, Wildcard: wildcard,
		Status: string(acme.StatusPending), Expires: expires, Body: raw}, nil
}

// order answers a POST-as-GET of an order of the signer's account.
func (s *Server) order(q *request) (*response, error) {
	if !q.postAsGet() {
		return nil, malformed("an order is read with POST-as-GET (an empty payload)")
	}
	o, err := s.ownOrder(q)
	if err != nil {
		return nil, err
	}
	return s.orderResponse(q.ctx, q.base, o)
}

func (s *Server) ownOrder(q *request) (store.ACMEOrder, error) {
	o, err := s.o.Store.ACMEOrder(q.ctx, q.r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		return store.ACMEOrder{}, notFound("no order %s", q.url)
	}
	if err != nil {
		return store.ACMEOrder{}, err
	}
	if o.AccountID != q.account.ID {
		return store.ACMEOrder{}, unauthorized("order %s belongs to another account", q.url)
	}
	return o, nil
}

// orderState is an order with its current status, which for a pending order follows from its
// authorizations and expiry rather than from what was last stored (RFC 8555 §7.1.6).
type orderState struct {
	o      store.ACMEOrder
	body   orderBody
	status acme.Status
	err    *acme.Problem
	// authzs are the authorizations as read to derive status; all of them when it is ready.
	authzs []store.ACMEAuthz
}

func (s *Server) orderState(ctx context.Context, o store.ACMEOrder) (*orderState, error) {
	st := &orderState{o: o, status: acme.Status(o.Status)}
	if err := json.Unmarshal(o.Body, &st.body); err != nil {
		return nil, fmt.Errorf("acmeserver: order %s: %w", o.ID, err)
	}
	st.err = st.body.Error
	now := s.o.Now()
	if st.status == acme.StatusProcessing && now.Sub(st.body.Finalizing) > staleFinalize {
		st.status = acme.StatusPending // its issuance died with a process; look at it afresh
	}
	if st.status != acme.StatusPending {
		return st, nil
	}
	if now.After(o.Expires) {
		st.status, st.err = acme.StatusInvalid, malformed("the order expired at %s", o.Expires.Format(time.RFC3339))
		return st, nil
	}
	ready := true
	for _, id := range st.body.Authzs {
		a, err := s.o.Store.ACMEAuthz(ctx, id)
		if err != nil {
			return nil, err
		}
		st.authzs = append(st.authzs, a)
		switch authzStatus(a, now) {
		case acme.StatusValid:
		case acme.StatusPending:
			ready = false
		default: // invalid, deactivated, expired, revoked: this order can never be ready
			st.status = acme.StatusInvalid
			var b authzBody
			if json.Unmarshal(a.Body, &b) == nil {
				for _, c := range b.Challenges {
					if c.Error != nil {
						st.err = c.Error
					}
				}
			}
			if st.err == nil {
				st.err = unauthorized("the authorization for %s is %s", a.IdentValue, authzStatus(a, now))
			}
			return st, nil
		}
	}
	if ready {
		st.status = acme.StatusReady
	}
	return st, nil
}

func (s *Server) orderResponse(ctx context.Context, base string, o store.ACMEOrder) (*response, error) {
	st, err := s.orderState(ctx, o)
	if err != nil {
		return nil, err
	}
	u := base + pathOrder + o.ID
	wire := acme.Order{
		Status:      st.status,
		Expires:     o.Expires,
		Identifiers: st.body.Identifiers,
		NotBefore:   st.body.NotBefore,
		NotAfter:    st.body.NotAfter,
		Error:       st.err,
		Finalize:    u + "/finalize",
		Replaces:    o.Replaces,
		Profile:     st.body.Profile,
	}
	for _, id := range st.body.Authzs {
		wire.Authorizations = append(wire.Authorizations, base+pathAuthz+id)
	}
	if st.status == acme.StatusValid {
		wire.Certificate = base + pathCert + o.ID
	}
	resp := &response{body: wire, location: u}
	if st.status == acme.StatusProcessing {
		resp.retryAfter = pollAfter
	}
	return resp, nil
}

// authzStatus is an authorization's status now: one past its expiry is expired (RFC 8555
// §7.1.6), whatever was stored.
func authzStatus(a store.ACMEAuthz, now time.Time) acme.Status {
	st := acme.Status(a.Status)
	if (st == acme.StatusPending || st == acme.StatusValid) && now.After(a.Expires) {
		return acme.StatusExpired
	}
	return st
}
