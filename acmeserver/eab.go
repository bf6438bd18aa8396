package acmeserver

import (
	"encoding/json"
	"errors"

	"github.com/anchorpki/anchor/acme"
	"github.com/anchorpki/anchor/store"
	"github.com/go-jose/go-jose/v4"
)

var eabAlgorithms = []jose.SignatureAlgorithm{jose.HS256, jose.HS384, jose.HS512}

// verifyEAB checks an external account binding (RFC 8555 §7.3.4): a JWS MACed with a key the
// CA issued out of band, whose payload is the new account's key and whose url is the
// newAccount URL. It returns the key ID; binding it is left to the account's creation, which
// does both in one transaction.
func (s *Server) verifyEAB(q *request, raw json.RawMessage) (string, error) {
	if err := exactMembers(raw); err != nil {
		return "", malformed("externalAccountBinding: %s", acme.ProblemFrom(err).Detail)
	}
	jws, err := jose.ParseSignedJSON(string(raw), eabAlgorithms)
	if err != nil || len(jws.Signatures) != 1 {
		return "", malformed("externalAccountBinding is not a JWS MACed with HS256, HS384 or HS512")
	}
	h := jws.Signatures[0].Protected
	url, _ := h.ExtraHeaders["url"].(string)
	switch {
	case h.KeyID == "":
		return "", malformed(`externalAccountBinding has no "kid"`)
	case h.Nonce != "":
		return "", malformed(`externalAccountBinding must not carry a "nonce" (RFC 8555 §7.3.4)`)
	case url != q.url:
		return "", malformed(`externalAccountBinding "url" must be the newAccount URL %q`, q.url)
	}
	key, err := s.o.Store.EABKey(q.ctx, h.KeyID)
	if errors.Is(err, store.ErrNotFound) {
		return "", unauthorized("external account key %q is unknown", h.KeyID)
	}
	if err != nil {
		return "", err
	}
	if key.RevokedAt != nil {
		return "", unauthorized("external account key %q was revoked", h.KeyID)
	}
	if key.AccountID != "" {
		return "", unauthorized("external account key %q is bound to another account already", h.KeyID)
	}
	payload, err := jws.Verify(key.HMACKey)
	if err != nil {
		return "", unauthorized("the externalAccountBinding MAC does not verify with key %q", h.KeyID)
	}
	var bound jose.JSONWebKey
	if err := bound.UnmarshalJSON(payload); err != nil {
		return "", malformed("the externalAccountBinding payload is not a JWK")
	}
	want, _ := acme.Thumbprint(q.jwk)
	if got, err := acme.Thumbprint(&bound); err != nil || got != want {
		return "", malformed("the externalAccountBinding payload is not the account key of this request")
	}
	return h.KeyID, nil
}
