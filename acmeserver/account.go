package acmeserver

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"net/url"
	"strings"

	"github.com/anchorpki/anchor/acme"
	"github.com/anchorpki/anchor/store"
)

const maxContacts = 10

// newAccount creates an account for the JWS key, or returns the one it has (RFC 8555 §7.3).
func (s *Server) newAccount(q *request) (*response, error) {
	var req acme.NewAccountRequest
	if err := decodePayload(q, &req); err != nil {
		return nil, err
	}
	tp, err := acme.Thumbprint(q.jwk)
	if err != nil {
		return nil, acme.BadPublicKey(err.Error())
	}
	existing, err := s.o.Store.ACMEAccountByThumbprint(q.ctx, tp)
	switch {
	case err == nil && existing.Status != string(acme.StatusValid):
		// RFC 8555 §7.3.6: nothing signed by a deactivated account's key is accepted.
		return nil, unauthorized("the account of this key is %s", existing.Status)
	case err == nil:
		return s.accountResponse(q, existing, http.StatusOK), nil
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	case req.OnlyReturnExisting:
		return nil, acme.AccountDoesNotExist("no account has this key, and onlyReturnExisting was set")
	case s.o.TermsOfService != "" && !req.TermsOfServiceAgreed:
		return nil, malformed("this server's terms of service (%s) must be agreed to: send termsOfServiceAgreed true", s.o.TermsOfService)
	}
	if err := checkContacts(req.Contact); err != nil {
		return nil, err
	}
	eabKID := ""
	if len(req.ExternalAccountBinding) > 0 && string(req.ExternalAccountBinding) != "null" {
		if eabKID, err = s.verifyEAB(q, req.ExternalAccountBinding); err != nil {
			return nil, err
		}
	} else if s.o.EABRequired {
		return nil, acme.ExternalAccountRequired("this server requires an external account binding (RFC 8555 §7.3.4); ask the CA's operator for a key ID and MAC key")
	}
	jwk, err := q.jwk.MarshalJSON()
	if err != nil {
		return nil, err
	}
	acct, err := s.o.Store.CreateACMEAccount(q.ctx, store.ACMEAccount{ID: randomID(), Thumbprint: tp, JWK: jwk,
		Status: string(acme.StatusValid), Contact: req.Contact, TermsAgreed: req.TermsOfServiceAgreed, EABKeyID: eabKID})
	switch {
	case errors.Is(err, store.ErrKeyInUse): // created by a concurrent request with the same key
		return s.accountResponse(q, acct, http.StatusOK), nil
	case errors.Is(err, store.ErrEABUnusable):
		return nil, unauthorized("external account key %q is unknown, revoked or bound to another account", eabKID)
	case err != nil:
		return nil, err
	}
	s.log.Info("acme: account created", "account", q.base+pathAccount+acct.ID, "eab_kid", eabKID)
	return s.accountResponse(q, acct, http.StatusCreated), nil
}

func (s *Server) accountResponse(q *request, a store.ACMEAccount, status int) *response {
	u := q.base + pathAccount + a.ID
	return &response{status: status, location: u, body: acme.Account{
		Status:               acme.Status(a.Status),
		Contact:              a.Contact,
		TermsOfServiceAgreed: a.TermsAgreed,
		Orders:               u + "/orders",
	}}
}

// account reads, updates or deactivates the signer's own account (RFC 8555 §7.3.2, §7.3.6).
func (s *Server) account(q *request) (*response, error) {
	if err := ownAccount(q); err != nil {
		return nil, err
	}
	if q.postAsGet() {
		return s.accountResponse(q, *q.account, http.StatusOK), nil
	}
	var upd struct {
		Status  acme.Status `json:"status"`
		Contact *[]string   `json:"contact"`
	}
	if err := acme.DecodeStrict(q.payload, &upd); err != nil {
		return nil, err
	}
	a := *q.account
	switch upd.Status {
	case "", acme.StatusValid:
	case acme.StatusDeactivated:
		a.Status = string(acme.StatusDeactivated)
	default:
		return nil, malformed(`an account's status can only be set to "deactivated", not %q`, upd.Status)
	}
	if upd.Contact != nil {
		if err := checkContacts(*upd.Contact); err != nil {
			return nil, err
		}
		a.Contact = *upd.Contact
	}
	a, err := s.o.Store.UpdateACMEAccount(q.ctx, a)
	if errors.Is(err, store.ErrConflict) {
		return nil, problemStatus(malformed("the account changed during this request; retry"), http.StatusConflict)
	}
	if err != nil {
		return nil, err
	}
	if a.Status == string(acme.StatusDeactivated) {
		s.log.Info("acme: account deactivated", "account", q.accountURL)
	}
	return s.accountResponse(q, a, http.StatusOK), nil
}

// ownAccount checks that the account in the URL is the one that signed the request.
func ownAccount(q *request) error {
	if q.account.ID != q.r.PathValue("id") {
		return unauthorized("the request is signed by account %s, not the one in the URL", q.accountURL)
	}
	return nil
}

// accountOrders lists the account's orders, 100 per page with Link rel="next" (RFC 8555 §7.1.2.1).
func (s *Server) accountOrders(q *request) (*response, error) {
	if err := ownAccount(q); err != nil {
		return nil, err
	}
	ids, next, err := s.o.Store.ACMEOrderIDs(q.ctx, q.account.ID, q.r.URL.Query().Get("cursor"), 100)
	if errors.Is(err, store.ErrBadCursor) {
		return nil, malformed("bad cursor")
	}
	if err != nil {
		return nil, err
	}
	list := struct {
		Orders []string `json:"orders"`
	}{Orders: make([]string, len(ids))}
	for i, id := range ids {
		list.Orders[i] = q.base + pathOrder + id
	}
	resp := &response{body: list}
	if next != "" {
		resp.links = append(resp.links, `<`+q.base+pathAccount+q.account.ID+"/orders?cursor="+url.QueryEscape(next)+`>;rel="next"`)
	}
	return resp, nil
}

// keyChange replaces the account key (RFC 8555 §7.3.5): the outer JWS is signed by the old
// key, the inner one by the new key, and both name the same URL.
func (s *Server) keyChange(q *request) (*response, error) {
	if q.postAsGet() {
		return nil, malformed("keyChange needs an inner JWS as its payload")
	}
	inner, hdr, err := parseFlattened(q.payload)
	if err != nil {
		return nil, err
	}
	switch {
	case len(hdr.JWK) == 0 || hdr.KID != "":
		return nil, malformed(`the inner JWS of keyChange must carry the new key as "jwk" and no "kid"`)
	case hdr.Nonce != "":
		return nil, malformed(`the inner JWS of keyChange must not carry a "nonce" (RFC 8555 §7.3.5)`)
	case hdr.URL == nil || *hdr.URL != q.url:
		return nil, malformed(`the inner JWS "url" must equal the outer one, %q`, q.url)
	}
	newKey, err := parseAccountKey(hdr.JWK, hdr.Alg)
	if err != nil {
		return nil, err
	}
	payload, err := inner.Verify(newKey.Key)
	if err != nil {
		return nil, malformed("the inner JWS signature does not verify with the new key")
	}
	var kc acme.KeyChangeRequest
	if err := acme.DecodeStrict(payload, &kc); err != nil {
		return nil, err
	}
	if kc.Account != q.accountURL {
		return nil, unauthorized("the inner JWS names account %q, but the request is signed by %s", kc.Account, q.accountURL)
	}
	oldKey, _, err := accountKey(kc.OldKey)
	if err != nil {
		return nil, malformed("oldKey: %v", err)
	}
	oldTP, _ := acme.Thumbprint(oldKey)
	if oldTP != q.account.Thumbprint {
		return nil, unauthorized("oldKey is not the account's current key")
	}
	newTP, err := acme.Thumbprint(newKey)
	if err != nil {
		return nil, acme.BadPublicKey(err.Error())
	}
	if newTP == oldTP {
		return nil, malformed("the new key is the account's current key")
	}
	jwk, err := newKey.MarshalJSON()
	if err != nil {
		return nil, err
	}
	a := *q.account
	a.Thumbprint, a.JWK = newTP, jwk
	a, err = s.o.Store.UpdateACMEAccount(q.ctx, a)
	if errors.Is(err, store.ErrKeyInUse) {
		other, _ := s.o.Store.ACMEAccountByThumbprint(q.ctx, newTP)
		p := problemStatus(malformed("the new key belongs to another account"), http.StatusConflict)
		if other.ID != "" {
			return &response{status: http.StatusConflict, location: q.base + pathAccount + other.ID, body: p}, nil
		}
		return nil, p
	}
	if errors.Is(err, store.ErrConflict) {
		return nil, problemStatus(malformed("the account changed during this request; retry"), http.StatusConflict)
	}
	if err != nil {
		return nil, err
	}
	s.log.Info("acme: account key changed", "account", q.accountURL)
	return s.accountResponse(q, a, http.StatusOK), nil
}

// checkContacts accepts mailto: addresses only, as Let's Encrypt does; RFC 8555 §7.3 lets the
// server choose and name what it refused.
func checkContacts(contacts []string) error {
	if len(contacts) > maxContacts {
		return acme.InvalidContact(fmt.Sprintf("at most %d contacts", maxContacts))
	}
	for _, c := range contacts {
		addr, ok := strings.CutPrefix(c, "mailto:")
		if !ok {
			return acme.UnsupportedContact(fmt.Sprintf("contact %q: only mailto: URLs are supported", c))
		}
		if strings.ContainsAny(addr, "?,") {
			return acme.InvalidContact(fmt.Sprintf("contact %q: one address, without hfields", c))
		}
		a, err := mail.ParseAddress(addr)
		if err != nil || a.Address != addr || !strings.Contains(addr[strings.IndexByte(addr, '@')+1:], ".") {
			return acme.InvalidContact(fmt.Sprintf("contact %q is not a valid email address", c))
		}
	}
	return nil
}

// randomID is a new object identifier: 128 random bits, base64url, safe in a URL path.
func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
