package restapi

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/anchorpki/anchor/apitoken"
	"github.com/anchorpki/anchor/store"
)

// principal is who made a request and what they may do.
type principal struct {
	requester string // recorded in the inventory and the audit log: token:<name> or cert:<serial>
	what      string // for messages: `token "ci"`, `client certificate 3a7f…`
	isToken   bool
	scopes    []apitoken.Scope
	// restricted principals may obtain only names that allow admits (a token with AllowNames,
	// every client certificate); an unrestricted token may obtain any name the CA's policy allows.
	restricted bool
	allow      []string
}

// touchTimeout bounds the last-used update. It is best effort: a request never fails or waits
// long because the bookkeeping write is slow.
const touchTimeout = 2 * time.Second

// touchEvery is how stale a token's recorded last use may get.
const touchEvery = time.Minute

// authorize authenticates r and checks that the principal has scope. The token wins when a
// request carries both a token and a client certificate: an explicit header is the caller's
// choice, a certificate may be one the TLS stack sends for every request.
func (a *API) authorize(w http.ResponseWriter, r *http.Request, ev *event, scope apitoken.Scope) (*principal, error) {
	var (
		p   *principal
		err error
	)
	switch {
	case r.Header.Get("Authorization") != "":
		p, err = a.tokenPrincipal(w, r)
	case r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.VerifiedChains[0]) > 0:
		// Only a chain the TLS stack verified against the CA's root counts; PeerCertificates
		// alone are whatever the client chose to send.
		p, err = a.certPrincipal(r.Context(), r.TLS.VerifiedChains[0][0])
	default:
		w.Header().Set("WWW-Authenticate", `Bearer realm="anchor"`)
		return nil, newProblem(TypeUnauthorized, "no credential: send Authorization: Bearer <token>, or a client certificate issued by this CA")
	}
	if err != nil {
		return nil, err
	}
	ev.requester = p.requester
	if !slices.Contains(p.scopes, scope) {
		if p.isToken {
			// RFC 6750 §3.1: insufficient_scope names the scope the request needs.
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="anchor", error="insufficient_scope", scope=%q`, scope))
		}
		return nil, problemf(TypeForbidden, "%s lacks the %q scope this request needs (it has: %s)", p.what, scope, scopeList(p.scopes))
	}
	return p, nil
}

func scopeList(ss []apitoken.Scope) string {
	if len(ss) == 0 {
		return "none"
	}
	return strings.Join(apitoken.Strings(ss), ", ")
}

// invalidToken is a 401 for a token that was presented but is not good, with the RFC 6750 §3.1
// challenge that says so.
func invalidToken(w http.ResponseWriter, detail string) error {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="anchor", error="invalid_token", error_description=%q`, detail))
	return newProblem(TypeUnauthorized, detail)
}

func (a *API) tokenPrincipal(w http.ResponseWriter, r *http.Request) (*principal, error) {
	scheme, cred, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return nil, invalidToken(w, "malformed token: the Authorization header must be \"Bearer <token>\"")
	}
	id, secret, err := apitoken.Parse(strings.TrimSpace(cred))
	if err != nil {
		return nil, invalidToken(w, "malformed token: "+strings.TrimPrefix(err.Error(), apitoken.ErrMalformed.Error()+": "))
	}
	t, err := a.o.Tokens.Token(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, invalidToken(w, "unknown token")
	}
	if err != nil {
		return nil, err
	}
	// A wrong secret for a known id is "unknown" too: only the holder of the secret learns
	// anything about the token, including whether it was revoked.
	if !apitoken.Verify(t.Hash, secret) {
		return nil, invalidToken(w, "unknown token")
	}
	now := a.o.Now()
	switch {
	case t.RevokedAt != nil:
		return nil, invalidToken(w, "token revoked")
	case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
		return nil, invalidToken(w, "token expired")
	}
	// Synchronously, so no goroutine outlives the request or races the store's Close; but at
	// most once per touchEvery, because a durable write per request would cost a busy client
	// more than its issuance does, and "last used" needs no better precision.
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= touchEvery {
		ctx, cancel := context.WithTimeout(r.Context(), touchTimeout)
		if err := a.o.Tokens.TouchToken(ctx, t.ID, now); err != nil {
			a.log.LogAttrs(r.Context(), slog.LevelWarn, "restapi: recording token use", slog.String("token", t.Name), slog.Any("error", err))
		}
		cancel()
	}
	var scopes []apitoken.Scope
	for _, s := range apitoken.Scopes() {
		if apitoken.Has(t.Scopes, s) {
			scopes = append(scopes, s)
		}
	}
	return &principal{requester: "token:" + t.Name, what: fmt.Sprintf("token %q", t.Name), isToken: true,
		scopes: scopes, restricted: len(t.AllowNames) > 0, allow: t.AllowNames}, nil
}

// certPrincipal accepts a verified client certificate only if this CA's intermediate issued it
// and the inventory says it is still good: the TLS stack checked the signature chain and the
// dates, but it knows nothing of revocation.
func (a *API) certPrincipal(ctx context.Context, leaf *x509.Certificate) (*principal, error) {
	keyID := a.o.Authority.Issuer().KeyID()
	serial := hex.EncodeToString(leaf.SerialNumber.Bytes())
	if !bytes.Equal(leaf.AuthorityKeyId, keyID) {
		return nil, newProblem(TypeUnauthorized, "client certificate not issued by this CA's intermediate")
	}
	rec, err := a.o.Inventory.Get(ctx, keyID, leaf.SerialNumber)
	if errors.Is(err, store.ErrNotFound) {
		return nil, problemf(TypeUnauthorized, "client certificate %s is not in this CA's inventory", serial)
	}
	if err != nil {
		return nil, err
	}
	switch {
	case rec.Status == store.StatusRevoked:
		return nil, problemf(TypeUnauthorized, "client certificate %s revoked", serial)
	case rec.Status != store.StatusValid || !bytes.Equal(rec.DER, leaf.Raw):
		return nil, problemf(TypeUnauthorized, "client certificate %s does not match the inventory", serial)
	case a.o.Now().After(leaf.NotAfter):
		return nil, problemf(TypeUnauthorized, "client certificate %s expired", serial)
	}
	// A machine may obtain certificates for its own names, and only those: its DNS names and
	// addresses. Email and URI SANs identify people and workloads, not hosts, so they grant
	// nothing.
	allow := slices.Clone(leaf.DNSNames)
	for _, ip := range leaf.IPAddresses {
		allow = append(allow, ip.String())
	}
	return &principal{requester: "cert:" + serial, what: "client certificate " + serial,
		scopes: a.o.ClientCertScopes, restricted: true, allow: allow}, nil
}

// refusal checks every name a certificate carries or would carry against the principal's
// restriction, and says why one is refused, or returns "" when all are allowed.
func (p *principal) refusal(names []string) string {
	if !p.restricted {
		return ""
	}
	if len(p.allow) == 0 {
		// An empty list would mean "anything" to apitoken.NameAllowed; here it means nothing.
		return "has no DNS name or IP address of its own, so it may not obtain any certificate"
	}
	if len(names) == 0 {
		return "is limited to " + strings.Join(p.allow, ", ") + ", and a certificate without a name is not among them"
	}
	for _, n := range names {
		if !apitoken.NameAllowed(p.allow, n) {
			return fmt.Sprintf("may not obtain %q (it is limited to %s)", n, strings.Join(p.allow, ", "))
		}
	}
	return ""
}
