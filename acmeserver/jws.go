package acmeserver

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/anchorpki/anchor/acme"
	"github.com/anchorpki/anchor/store"
	"github.com/go-jose/go-jose/v4"
)

// The JWS algorithms accepted for account keys (RFC 8555 §6.2 requires ES256 and EdDSA to be
// supported; RS256 is what most deployed clients use by default; ES384 and ES512 are what
// clients sign with for P-384 and P-521 keys, and Boulder accepts both). "none" and MAC
// algorithms are refused by construction: they are not in this list.
var algorithms = []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.ES512, jose.RS256, jose.EdDSA}

func algorithmNames() []string {
	names := make([]string, len(algorithms))
	for i, a := range algorithms {
		names[i] = string(a)
	}
	return names
}

// keyMode says how a resource's JWS must identify its signer (RFC 8555 §6.2).
type keyMode int

const (
	byKID keyMode = iota // an existing account, by URL
	byJWK                // a key the server may not know: newAccount
	byAny                // revokeCert: the account, or the certificate's own key
)

// request is an authenticated POST: the verified payload and who signed it.
type request struct {
	r       *http.Request
	ctx     context.Context
	base    string // scheme, authority and prefix of the server's URLs
	url     string // the request URL the JWS was signed for
	payload []byte // empty for POST-as-GET (RFC 8555 §6.3)
	jwk     *jose.JSONWebKey
	// account is set when the JWS named one by kid.
	account    *store.ACMEAccount
	accountURL string
}

func (q *request) postAsGet() bool { return len(q.payload) == 0 }

// protectedHeader is what the server uses of a JWS protected header, taken from the header
// go-jose verifies.
type protectedHeader struct {
	Alg   string
	Nonce string
	URL   *string
	JWK   []byte
	KID   string
}

type handler func(*request) (*response, error)

// jwsHandler authenticates a POST (RFC 8555 §6.2–§6.5) and hands the verified request to h.
func (s *Server) jwsHandler(mode keyMode, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, err := s.authenticate(w, r, mode)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		resp, err := h(q)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		s.writeResponse(w, r, q, resp)
	})
}

func (s *Server) writeResponse(w http.ResponseWriter, r *http.Request, q *request, resp *response) {
	s.addNonce(w, r)
	h := w.Header()
	h.Add("Link", linkIndex(q.base))
	for _, l := range resp.links {
		h.Add("Link", l)
	}
	if resp.location != "" {
		h.Set("Location", resp.location)
	}
	if resp.retryAfter > 0 {
		h.Set("Retry-After", retryAfterSeconds(resp.retryAfter))
	}
	status := resp.status
	if status == 0 {
		status = http.StatusOK
	}
	if resp.raw != nil {
		h.Set("Content-Type", resp.rawType)
		h.Set("Content-Length", strconv.Itoa(len(resp.raw)))
		w.WriteHeader(status)
		w.Write(resp.raw)
		return
	}
	if resp.body == nil {
		h.Set("Content-Length", "0")
		w.WriteHeader(status)
		return
	}
	if _, ok := resp.body.(*acme.Problem); ok { // a problem sent with headers of its own (keyChange's 409)
		b, _ := json.Marshal(resp.body)
		h.Set("Content-Type", "application/problem+json")
		h.Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(status)
		w.Write(b)
		return
	}
	s.writeJSON(w, status, resp.body)
}

func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, mode keyMode) (*request, error) {
	if ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || ct != "application/jose+json" {
		return nil, problemStatus(malformed("the Content-Type must be application/jose+json (RFC 8555 §6.2), not %q",
			r.Header.Get("Content-Type")), http.StatusUnsupportedMediaType)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.o.MaxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, problemStatus(malformed("the request body exceeds %d bytes", s.o.MaxBodyBytes), http.StatusRequestEntityTooLarge)
		}
		return nil, malformed("reading the request body: %v", err)
	}
	jws, hdr, err := parseFlattened(body)
	if err != nil {
		return nil, err
	}
	q := &request{r: r, ctx: r.Context(), base: s.base(r)}
	q.url = q.base + strings.TrimPrefix(r.URL.EscapedPath(), s.o.Prefix)
	if r.URL.RawQuery != "" {
		q.url += "?" + r.URL.RawQuery
	}
	if err := s.nonces.spend(q.ctx, hdr.Nonce); err != nil {
		return nil, err
	}
	if hdr.URL == nil {
		return nil, malformed(`the JWS protected header has no "url" (RFC 8555 §6.4)`)
	}
	if *hdr.URL != q.url {
		return nil, unauthorized(`the JWS "url" header %q is not the request URL %q (RFC 8555 §6.4)`, *hdr.URL, q.url)
	}
	var key any
	switch {
	case len(hdr.JWK) > 0 && hdr.KID != "":
		return nil, malformed(`the JWS protected header has both "jwk" and "kid"; send exactly one (RFC 8555 §6.2)`)
	case len(hdr.JWK) > 0:
		if mode == byKID {
			return nil, malformed(`this resource needs the account URL as "kid", not a "jwk" (RFC 8555 §6.2)`)
		}
		jwk, err := parseAccountKey(hdr.JWK, hdr.Alg)
		if err != nil {
			return nil, err
		}
		q.jwk, key = jwk, jwk.Key
	case hdr.KID != "":
		if mode == byJWK {
			return nil, malformed(`newAccount needs the new key as "jwk", not a "kid" (RFC 8555 §6.2)`)
		}
		acct, err := s.accountByURL(q, hdr.KID)
		if err != nil {
			return nil, err
		}
		jwk, want, err := accountKey(acct.JWK)
		if err != nil {
			return nil, err
		}
		if hdr.Alg != want {
			// The account's key cannot have made this signature: another key did.
			return nil, malformed("the JWS is signed with %s, but the key of account %s signs with %s", hdr.Alg, hdr.KID, want)
		}
		q.account, q.accountURL, q.jwk, key = &acct, hdr.KID, jwk, jwk.Key
	default:
		return nil, malformed(`the JWS protected header has neither "jwk" nor "kid" (RFC 8555 §6.2)`)
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return nil, malformed("the JWS signature does not verify with the %s key", keyName(key))
	}
	q.payload = payload
	s.log.LogAttrs(q.ctx, slog.LevelDebug, "acme: request", slog.String("url", q.url), slog.String("account", q.accountURL))
	return q, nil
}

// parseFlattened reads a flattened JWS (RFC 7515 §7.2.2), the only serialization RFC 8555
// §6.2 allows, and returns its protected header as go-jose parsed and will verify it. The
// members are matched exactly, and the header is never read from anything but go-jose's own
// result: encoding/json matches names case-insensitively, so a "Protected" member beside the
// signed "protected" would otherwise supply a nonce and url nobody signed.
func parseFlattened(body []byte) (*jose.JSONWebSignature, *protectedHeader, error) {
	if err := exactMembers(body); err != nil {
		return nil, nil, err
	}
	alg, err := protectedAlg(body)
	if err != nil {
		return nil, nil, err
	}
	if !validAlgorithm(alg) {
		return nil, nil, acme.BadSignatureAlgorithm(fmt.Sprintf("JWS algorithm %q is not accepted; use one of %s",
			alg, strings.Join(algorithmNames(), ", ")))
	}
	jws, err := jose.ParseSignedJSON(string(body), algorithms)
	if err != nil {
		return nil, nil, malformed("the JWS does not parse: %v", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, nil, malformed("the JWS must have exactly one signature")
	}
	h := jws.Signatures[0].Protected
	hdr := &protectedHeader{Alg: h.Algorithm, Nonce: h.Nonce, KID: h.KeyID}
	if u, ok := h.ExtraHeaders["url"]; ok {
		s, isString := u.(string)
		if !isString {
			return nil, nil, malformed(`the JWS "url" header must be a string`)
		}
		hdr.URL = &s
	}
	if h.JSONWebKey != nil {
		if hdr.JWK, err = h.JSONWebKey.MarshalJSON(); err != nil {
			return nil, nil, acme.BadPublicKey(fmt.Sprintf("the JWK does not encode: %v", err))
		}
	}
	if hdr.Alg != alg {
		return nil, nil, malformed("the JWS protected header is ambiguous")
	}
	return jws, hdr, nil
}

// exactMembers accepts a JSON object with exactly the members "protected", "payload" and
// "signature", each once, spelt exactly so: what go-jose verifies is then all there is.
func exactMembers(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return malformed("the body is not a JWS in flattened JSON serialization (a JSON object)")
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return malformed("the body is not valid JSON: %v", err)
		}
		name, _ := t.(string)
		switch name {
		case "protected", "payload", "signature":
		case "signatures":
			return malformed("the JWS has several signatures; RFC 8555 §6.2 allows exactly one, in the flattened serialization")
		case "header":
			return malformed("the JWS has an unprotected header; RFC 8555 §6.2 forbids one")
		default:
			return malformed("the JWS has an unexpected member %q; send only protected, payload and signature", name)
		}
		if seen[name] {
			return malformed("the JWS has the member %q twice", name)
		}
		seen[name] = true
		var v string
		if err := dec.Decode(&v); err != nil {
			return malformed("the JWS member %q must be a string", name)
		}
		if name != "payload" && v == "" {
			return malformed("the JWS member %q is empty", name)
		}
	}
	if _, err := dec.Token(); err != nil {
		return malformed("the body is not valid JSON: %v", err)
	}
	if dec.More() {
		return malformed("the body has data after the JWS object")
	}
	if len(seen) != 3 {
		return malformed(`the JWS needs "protected", "payload" and "signature" (POST-as-GET sends "payload": "")`)
	}
	return nil
}

// protectedAlg reads "alg" from the protected header, exactly spelt, so that an algorithm the
// server refuses is reported as badSignatureAlgorithm rather than as a parse error.
func protectedAlg(body []byte) (string, error) {
	var outer struct {
		Protected string `json:"protected"`
	}
	json.Unmarshal(body, &outer) // exactMembers checked the shape
	raw, err := base64.RawURLEncoding.DecodeString(outer.Protected)
	if err != nil {
		return "", malformed("the JWS protected header is not base64url: %v", err)
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return "", malformed("the JWS protected header is not a JSON object: %v", err)
	}
	var alg string
	if m, ok := members["alg"]; !ok || json.Unmarshal(m, &alg) != nil {
		return "", malformed(`the JWS protected header needs "alg" as a string`)
	}
	return alg, nil
}

func validAlgorithm(alg string) bool {
	for _, a := range algorithms {
		if string(a) == alg {
			return true
		}
	}
	return false
}

// parseAccountKey decodes an account key and checks that it is a public key of a type and size
// the server accepts, usable with alg.
func parseAccountKey(raw []byte, alg string) (*jose.JSONWebKey, error) {
	jwk, want, err := accountKey(raw)
	if err != nil {
		return nil, err
	}
	if alg != want {
		return nil, acme.BadSignatureAlgorithm(fmt.Sprintf("a %s key signs with %s, not %s", keyName(jwk.Key), want, alg))
	}
	return jwk, nil
}

// accountKey decodes an account key, checks its type and size, and returns the one algorithm
// it signs with.
func accountKey(raw []byte) (*jose.JSONWebKey, string, error) {
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(raw); err != nil {
		return nil, "", acme.BadPublicKey(fmt.Sprintf("the JWK does not parse: %v", err))
	}
	if !jwk.Valid() || !jwk.IsPublic() {
		return nil, "", acme.BadPublicKey("the JWK must be a valid public key (no private parameters)")
	}
	want := ""
	switch k := jwk.Key.(type) {
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < 2048 || n > 8192 {
			return nil, "", acme.BadPublicKey(fmt.Sprintf("RSA account keys must have 2048 to 8192 bits, not %d", n))
		}
		want = string(jose.RS256)
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			want = string(jose.ES256)
		case elliptic.P384():
			want = string(jose.ES384)
		case elliptic.P521():
			want = string(jose.ES512)
		default:
			return nil, "", acme.BadPublicKey(fmt.Sprintf("ECDSA account keys must use P-256, P-384 or P-521, not %s", k.Curve.Params().Name))
		}
	case ed25519.PublicKey:
		want = string(jose.EdDSA)
	default:
		return nil, "", acme.BadPublicKey(fmt.Sprintf("account keys of type %T are not supported; use ECDSA, RSA or Ed25519", jwk.Key))
	}
	return &jwk, want, nil
}

func keyName(key any) string {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA-%d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", key)
}

// accountByURL resolves a kid, which is an account URL this server handed out.
func (s *Server) accountByURL(q *request, kid string) (store.ACMEAccount, error) {
	id, ok := strings.CutPrefix(kid, q.base+pathAccount)
	if !ok || id == "" || strings.Contains(id, "/") {
		return store.ACMEAccount{}, acme.AccountDoesNotExist(fmt.Sprintf("%q is not an account URL of this server", kid))
	}
	acct, err := s.o.Store.ACMEAccount(q.ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.ACMEAccount{}, acme.AccountDoesNotExist(fmt.Sprintf("no account %s", kid))
	}
	if err != nil {
		return store.ACMEAccount{}, err
	}
	if acct.Status != string(acme.StatusValid) {
		return store.ACMEAccount{}, unauthorized("account %s is %s", kid, acct.Status)
	}
	return acct, nil
}

// decodePayload decodes a request payload into v; a POST-as-GET where a body is required is
// malformed.
func decodePayload(q *request, v any) error {
	if q.postAsGet() {
		return malformed("this request needs a JSON payload, not an empty POST-as-GET")
	}
	return acme.DecodeStrict(q.payload, v)
}
