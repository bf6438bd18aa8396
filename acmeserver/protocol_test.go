package acmeserver_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anchorpki/anchor/acme"
	"github.com/anchorpki/anchor/acmeserver"
	"github.com/anchorpki/anchor/keys"
	"github.com/anchorpki/anchor/policy"
	"github.com/anchorpki/anchor/store"
	"github.com/go-jose/go-jose/v4"
	xacme "golang.org/x/crypto/acme"
)

func TestKeyRollover(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := context.Background()
	c := f.client()
	acct := f.register(c)
	oldKey := c.Key
	newKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err := c.AccountKeyRollover(ctx, newKey); err != nil {
		t.Fatalf("AccountKeyRollover: %v", err)
	}
	// The new key speaks for the account and can obtain certificates.
	if got, err := c.GetReg(ctx, ""); err != nil || got.URI != acct.URI {
		t.Fatalf("GetReg with the new key: %+v, %v", got, err)
	}
	chain, _, _ := f.obtain(c, "http-01", "a.test")
	f.verifyChain(chain, "a.test")
	// The old key no longer does: a request signed with it for the account fails.
	resp, body := raw{f: f, key: oldKey, kid: acct.URI}.post(acct.URI, nil, f.nonce())
	problem(t, resp, body, "malformed", 400)
	// Looking the old key up finds no account.
	resp, body = raw{f: f, key: oldKey}.post(f.srv.URL+"/acme/new-account", map[string]any{"onlyReturnExisting": true}, f.nonce())
	problem(t, resp, body, "accountDoesNotExist", 400)

	// Rolling over to a key that another account holds is a conflict naming that account.
	other := f.client()
	otherAcct := f.register(other)
	err := c.AccountKeyRollover(ctx, other.Key)
	ae := acmeError(t, err, "malformed")
	if ae.StatusCode != http.StatusConflict {
		t.Fatalf("rollover to a taken key: status %d, want 409", ae.StatusCode)
	}
	if loc := ae.Header.Get("Location"); loc != otherAcct.URI {
		t.Fatalf("rollover conflict names %q, want %q", loc, otherAcct.URI)
	}
}

func TestAccountDeactivation(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := context.Background()
	c := f.client()
	f.register(c)
	if _, err := c.UpdateReg(ctx, &xacme.Account{Contact: []string{"mailto:new@example.com"}}); err != nil {
		t.Fatalf("UpdateReg: %v", err)
	}
	if a, _ := c.GetReg(ctx, ""); len(a.Contact) != 1 || a.Contact[0] != "mailto:new@example.com" {
		t.Fatalf("contact after update: %v", a.Contact)
	}
	acmeError(t, func() error {
		_, err := c.UpdateReg(ctx, &xacme.Account{Contact: []string{"tel:+15551234"}})
		return err
	}(), "unsupportedContact")
	acmeError(t, func() error {
		_, err := c.UpdateReg(ctx, &xacme.Account{Contact: []string{"mailto:not an address"}})
		return err
	}(), "invalidContact")
	if err := c.DeactivateReg(ctx); err != nil {
		t.Fatalf("DeactivateReg: %v", err)
	}
	_, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("a.test"))
	acmeError(t, err, "unauthorized")
	// Nor does newAccount hand the deactivated account back (RFC 8555 §7.3.6).
	_, err = c.Register(ctx, &xacme.Account{}, xacme.AcceptTOS)
	acmeError(t, err, "unauthorized")
}

func TestExternalAccountBinding(t *testing.T) {
	f := newFixture(t, fixtureOptions{server: func(o *acmeserver.Options) { o.EABRequired = true }})
	ctx := context.Background()
	var d acme.Directory
	getJSON(t, f, f.dir, &d)
	if !d.Meta.ExternalAccountRequired {
		t.Fatal("the directory does not say externalAccountRequired")
	}
	_, err := f.client().Register(ctx, &xacme.Account{}, xacme.AcceptTOS)
	acmeError(t, err, "externalAccountRequired")

	hmacKey := make([]byte, 32)
	rand.Read(hmacKey)
	if err := f.db.CreateEABKey(ctx, store.EABKey{KeyID: "kid-1", Name: "team", HMACKey: hmacKey}); err != nil {
		t.Fatal(err)
	}
	// A wrong MAC key is refused.
	_, err = f.client().Register(ctx, &xacme.Account{ExternalAccountBinding: &xacme.ExternalAccountBinding{KID: "kid-1", Key: make([]byte, 32)}}, xacme.AcceptTOS)
	acmeError(t, err, "unauthorized")
	// An unknown key ID is refused.
	_, err = f.client().Register(ctx, &xacme.Account{ExternalAccountBinding: &xacme.ExternalAccountBinding{KID: "nope", Key: hmacKey}}, xacme.AcceptTOS)
	acmeError(t, err, "unauthorized")
	// The right one binds, once.
	c := f.client()
	if _, err := c.Register(ctx, &xacme.Account{ExternalAccountBinding: &xacme.ExternalAccountBinding{KID: "kid-1", Key: hmacKey}}, xacme.AcceptTOS); err != nil {
		t.Fatalf("Register with EAB: %v", err)
	}
	k, _ := f.db.EABKey(ctx, "kid-1")
	if k.AccountID == "" {
		t.Fatal("the key was not bound")
	}
	_, err = f.client().Register(ctx, &xacme.Account{ExternalAccountBinding: &xacme.ExternalAccountBinding{KID: "kid-1", Key: hmacKey}}, xacme.AcceptTOS)
	acmeError(t, err, "unauthorized")
	chain, _, _ := f.obtain(c, "http-01", "a.test")
	f.verifyChain(chain, "a.test")

	// A binding over another key than the account's is malformed.
	if err := f.db.CreateEABKey(ctx, store.EABKey{KeyID: "kid-2", Name: "team2", HMACKey: hmacKey}); err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	eab := eabJWS(t, f.srv.URL+"/acme/new-account", "kid-2", hmacKey, &otherKey.PublicKey)
	resp, body := raw{f: f, key: key}.post(f.srv.URL+"/acme/new-account",
		map[string]any{"termsOfServiceAgreed": true, "externalAccountBinding": eab}, f.nonce())
	problem(t, resp, body, "malformed", 400)
}

func eabJWS(t *testing.T, url, kid string, key []byte, pub any) json.RawMessage {
	jwk, _ := json.Marshal(jose.JSONWebKey{Key: pub})
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: key},
		(&jose.SignerOptions{}).WithHeader("kid", kid).WithHeader("url", url))
	if err != nil {
		t.Fatal(err)
	}
	j, err := s.Sign(jwk)
	if err != nil {
		t.Fatal(err)
	}
	return json.RawMessage(j.FullSerialize())
}

func getJSON(t *testing.T, f *fixture, url string, v any) *http.Response {
	t.Helper()
	resp, err := f.srv.Client().Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %d %q", url, resp.StatusCode, b)
	}
	return resp
}

// renewable is a certificate obtained by a new account, ready for ARI and "replaces".
type renewable struct {
	c      *xacme.Client
	acct   *xacme.Account
	chain  [][]byte
	leaf   *x509.Certificate
	certID string
	dir    acme.Directory
}

func (f *fixture) renewable(name string) renewable {
	f.t.Helper()
	r := renewable{c: f.client()}
	r.acct = f.register(r.c)
	r.chain, _, _ = f.obtain(r.c, "http-01", name)
	var err error
	if r.leaf, err = x509.ParseCertificate(r.chain[0]); err != nil {
		f.t.Fatal(err)
	}
	if r.certID, err = acme.CertID(r.leaf); err != nil {
		f.t.Fatal(err)
	}
	getJSON(f.t, f, f.dir, &r.dir)
	return r
}

func TestRenewalInfoAndReplaces(t *testing.T) {
	now := time.Now()
	f := newFixture(t, fixtureOptions{})
	ctx := context.Background()
	r := f.renewable("ari.test")
	c, acct, chain, leaf, certID, d := r.c, r.acct, r.chain, r.leaf, r.certID, r.dir
	var info acme.RenewalInfo
	resp := getJSON(t, f, d.RenewalInfo+"/"+certID, &info)
	w := info.SuggestedWindow
	if resp.StatusCode != 200 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("renewalInfo: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if !w.Start.After(now) || !w.End.After(w.Start) || !w.End.Before(leaf.NotAfter) || w.Start.Before(leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore)/2)) {
		t.Fatalf("window %v–%v for a certificate valid %v–%v", w.Start, w.End, leaf.NotBefore, leaf.NotAfter)
	}
	// An unknown serial, another issuer's identifier and garbage are not found or malformed.
	other := *leaf
	other.SerialNumber = leaf.SerialNumber.Add(leaf.SerialNumber, leaf.SerialNumber)
	otherID, _ := acme.CertID(&other)
	for id, status := range map[string]int{otherID: 404, "x": 400, "AAAA.AAAA": 400} {
		r, err := f.srv.Client().Get(d.RenewalInfo + "/" + id)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != status {
			t.Errorf("renewalInfo %q: %d, want %d", id, r.StatusCode, status)
		}
	}

	// An order that replaces the certificate records it; a second one is alreadyReplaced.
	rq := raw{f: f, key: c.Key, kid: acct.URI}
	order := map[string]any{"identifiers": []acme.Identifier{{Type: "dns", Value: "ari.test"}}, "replaces": certID}
	resp2, body := rq.post(d.NewOrder, order, f.nonce())
	if resp2.StatusCode != http.StatusCreated {
		t.Fatalf("newOrder with replaces: %d %s", resp2.StatusCode, body)
	}
	var o acme.Order
	json.Unmarshal(body, &o)
	if o.Replaces != certID {
		t.Fatalf("order replaces %q, want %q", o.Replaces, certID)
	}
	resp2, body = rq.post(d.NewOrder, order, f.nonce())
	problem(t, resp2, body, "alreadyReplaced", 409)
	// Another account cannot claim to replace it.
	c2 := f.client()
	a2 := f.register(c2)
	resp2, body = raw{f: f, key: c2.Key, kid: a2.URI}.post(d.NewOrder, order, f.nonce())
	problem(t, resp2, body, "unauthorized", 403)

	// Once revoked, the suggested window lies in the past: renew now.
	if err := c.RevokeCert(ctx, nil, chain[0], xacme.CRLReasonKeyCompromise); err != nil {
		t.Fatal(err)
	}
	getJSON(t, f, d.RenewalInfo+"/"+certID, &info)
	if !info.SuggestedWindow.End.Before(time.Now()) {
		t.Fatalf("a revoked certificate's window ends %v, not in the past", info.SuggestedWindow.End)
	}
}

// racingStore is the real store with another newOrder slipped in between the server's check
// of "replaces" and its creation of the order: the race a busy CA meets.
type racingStore struct {
	acmeserver.Store
	raced atomic.Bool
}

func (r *racingStore) CreateACMEOrder(ctx context.Context, o store.ACMEOrder, authzs []store.ACMEAuthz) (store.ACMEOrder, error) {
	if o.Replaces != "" && r.raced.CompareAndSwap(false, true) {
		rival := o
		rival.ID = "rival"
		if _, err := r.Store.CreateACMEOrder(ctx, rival, nil); err != nil {
			return store.ACMEOrder{}, err
		}
	}
	return r.Store.CreateACMEOrder(ctx, o, authzs)
}

// TestReplacesRaceLost: a newOrder whose "replaces" passed the checks but lost the certificate
// to a concurrent order is alreadyReplaced, not a second replacement; once that order is
// invalid, the certificate may be replaced again.
func TestReplacesRaceLost(t *testing.T) {
	rs := &racingStore{}
	f := newFixture(t, fixtureOptions{server: func(o *acmeserver.Options) { rs.Store = o.Store; o.Store = rs }})
	r := f.renewable("race.test")
	certID, d := r.certID, r.dir
	rq := raw{f: f, key: r.c.Key, kid: r.acct.URI}
	order := map[string]any{"identifiers": []acme.Identifier{{Type: "dns", Value: "race.test"}}, "replaces": certID}
	resp, body := rq.post(d.NewOrder, order, f.nonce())
	problem(t, resp, body, "alreadyReplaced", 409)
	if _, err := f.db.ACMEOrder(context.Background(), "rival"); err != nil {
		t.Fatalf("the rival order: %v", err)
	}
	// The rival fails (it has no authorizations to complete; expire it by hand): the next order
	// names it as the holder it found invalid, and takes the claim.
	rival, _ := f.db.ACMEOrder(context.Background(), "rival")
	rival.Status = string(acme.StatusInvalid)
	if _, err := f.db.UpdateACMEOrder(context.Background(), rival); err != nil {
		t.Fatal(err)
	}
	if resp, body = rq.post(d.NewOrder, order, f.nonce()); resp.StatusCode != http.StatusCreated {
		t.Fatalf("newOrder replacing after the rival failed: %d %s", resp.StatusCode, body)
	}
}

func TestFinalizeChecksTheCSR(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := context.Background()
	c := f.client()
	f.register(c)
	o, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("a.test", "b.test"))
	if err != nil {
		t.Fatal(err)
	}
	// Before validation the order is not ready.
	_, csr := newCSR(t, "a.test", "b.test")
	_, _, err = c.CreateOrderCert(ctx, o.FinalizeURL, csr, true)
	acmeError(t, err, "orderNotReady")
	if err := f.solve(c, o, "http-01"); err != nil {
		t.Fatal(err)
	}
	for name, names := range map[string][]string{
		"an extra name":  {"a.test", "b.test", "other.test"},
		"a missing name": {"a.test"},
	} {
		_, csr := newCSR(t, names...)
		_, _, err := c.CreateOrderCert(ctx, o.FinalizeURL, csr, true)
		if ae := acmeError(t, err, "badCSR"); !strings.Contains(ae.Detail, "order is for") {
			t.Errorf("%s: detail %q", name, ae.Detail)
		}
	}
	// The account key may not be the certificate key.
	tmpl := &x509.CertificateRequest{DNSNames: []string{"a.test", "b.test"}}
	der, _ := x509.CreateCertificateRequest(rand.Reader, tmpl, c.Key)
	_, _, err = c.CreateOrderCert(ctx, o.FinalizeURL, der, true)
	acmeError(t, err, "badCSR")
	// Garbage is badCSR, not a crash.
	_, _, err = c.CreateOrderCert(ctx, o.FinalizeURL, []byte("not a CSR"), true)
	acmeError(t, err, "badCSR")
	// The matching CSR still works after all those refusals.
	_, csr = newCSR(t, "b.test", "a.test")
	chain, _, err := c.CreateOrderCert(ctx, o.FinalizeURL, csr, true)
	if err != nil {
		t.Fatal(err)
	}
	f.verifyChain(chain, "a.test", "b.test")
	// Finalizing a valid order again is orderNotReady.
	_, _, err = c.CreateOrderCert(ctx, o.FinalizeURL, csr, true)
	acmeError(t, err, "orderNotReady")
}

func TestNonces(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	newAccount := f.srv.URL + "/acme/new-account"
	reg := map[string]any{"termsOfServiceAgreed": true}
	n := f.nonce()
	if resp, body := (raw{f: f, key: key}).post(newAccount, reg, n); resp.StatusCode != http.StatusCreated {
		t.Fatalf("newAccount: %d %s", resp.StatusCode, body)
	}
	// Replaying the nonce is badNonce, with a fresh nonce to retry with.
	resp, body := raw{f: f, key: key}.post(newAccount, reg, n)
	problem(t, resp, body, "badNonce", 400)
	fresh := resp.Header.Get("Replay-Nonce")
	if fresh == "" || fresh == n {
		t.Fatalf("badNonce answer carries nonce %q", fresh)
	}
	if resp, body := (raw{f: f, key: key}).post(newAccount, reg, fresh); resp.StatusCode != http.StatusOK {
		t.Fatalf("retry with the fresh nonce: %d %s", resp.StatusCode, body)
	}
	// A nonce this server never issued, and none at all.
	for _, bad := range []string{"bm90LWEtbm9uY2U", strings.Repeat("A", 48), ""} {
		resp, body := raw{f: f, key: key}.post(newAccount, reg, bad)
		problem(t, resp, body, "badNonce", 400)
	}

	// A second server process sharing the database accepts this one's nonces, once.
	second, err := store.Open(context.Background(), f.dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	s2, err := acmeserver.New(acmeserver.Options{Store: second, Authority: f.auth, Validator: noValidator{}, BaseURL: f.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	n = f.nonce()
	rec := serveRaw(t, s2, raw{f: f, key: key}, newAccount, reg, n)
	if rec.Code != http.StatusOK {
		t.Fatalf("second process refused the first one's nonce: %d %s", rec.Code, rec.Body)
	}
	resp, body = raw{f: f, key: key}.post(newAccount, reg, n)
	problem(t, resp, body, "badNonce", 400)
}

type noValidator struct{}

func (noValidator) HTTP01(context.Context, string, string, string) error { return errors.New("unused") }
func (noValidator) DNS01(context.Context, string, string) error          { return errors.New("unused") }
func (noValidator) TLSALPN01(context.Context, string, string) error      { return errors.New("unused") }
func (noValidator) CAA(context.Context, string, bool, string, string) error {
	return errors.New("unused")
}

func TestJWSChecks(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	newAccount := f.srv.URL + "/acme/new-account"
	reg := map[string]any{"termsOfServiceAgreed": true}

	// A header beside the signed one, spelt differently, must not be read: it would carry a
	// nonce and url nobody signed (encoding/json matches member names case-insensitively).
	signed := raw{f: f, key: key}.sign(newAccount, reg, f.nonce())
	var members map[string]any
	json.Unmarshal([]byte(signed), &members)
	fake, _ := json.Marshal(map[string]any{"alg": "ES256", "nonce": f.nonce(), "url": f.srv.URL + "/acme/new-order", "jwk": members["protected"]})
	members["Protected"] = b64(fake)
	smuggled, _ := json.Marshal(members)
	resp0, err := f.srv.Client().Post(newAccount, "application/jose+json", strings.NewReader(string(smuggled)))
	if err != nil {
		t.Fatal(err)
	}
	b0, _ := io.ReadAll(resp0.Body)
	resp0.Body.Close()
	problem(t, resp0, b0, "malformed", 400)
	// Replaying the signed request is refused however it is dressed.
	resp0, err = f.srv.Client().Post(newAccount, "application/jose+json", strings.NewReader(signed))
	if err != nil {
		t.Fatal(err)
	}
	resp0.Body.Close()
	if resp0.StatusCode != http.StatusCreated {
		t.Fatalf("the genuine request: %d", resp0.StatusCode)
	}
	members["Protected"] = b64(fake)
	smuggled, _ = json.Marshal(members)
	resp0, _ = f.srv.Client().Post(newAccount, "application/jose+json", strings.NewReader(string(smuggled)))
	b0, _ = io.ReadAll(resp0.Body)
	resp0.Body.Close()
	problem(t, resp0, b0, "malformed", 400)

	// The url header must be the URL the request went to.
	resp, body := raw{f: f, key: key}.post(f.srv.URL+"/acme/new-order", reg, f.nonce(), newAccount)
	problem(t, resp, body, "unauthorized", 403)

	// Algorithms outside the list are badSignatureAlgorithm, with the list.
	resp, body = postMAC(f, newAccount, reg, f.nonce())
	p := problem(t, resp, body, "badSignatureAlgorithm", 400)
	if algs, _ := p["algorithms"].([]any); len(algs) == 0 {
		t.Fatalf("badSignatureAlgorithm without the accepted algorithms: %s", body)
	}
	// A weak RSA key is badPublicKey.
	weak, _ := rsa.GenerateKey(rand.Reader, 1024)
	resp, body = raw{f: f, key: weak, alg: jose.RS256}.post(newAccount, reg, f.nonce())
	problem(t, resp, body, "badPublicKey", 400)
	// RSA-2048, P-384, P-521 and Ed25519 keys are fine.
	strong, _ := rsa.GenerateKey(rand.Reader, 2048)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	for alg, k := range map[jose.SignatureAlgorithm]crypto.Signer{jose.RS256: strong, jose.ES384: p384, jose.ES512: p521, jose.EdDSA: ed} {
		if resp, body := (raw{f: f, key: k, alg: alg}).post(newAccount, reg, f.nonce()); resp.StatusCode != 201 {
			t.Fatalf("%s account: %d %s", alg, resp.StatusCode, body)
		}
	}
	// A kid on newAccount, a jwk elsewhere.
	resp, body = raw{f: f, key: key, kid: f.srv.URL + "/acme/acct/x"}.post(newAccount, reg, f.nonce())
	problem(t, resp, body, "malformed", 400)
	resp, body = raw{f: f, key: key}.post(f.srv.URL+"/acme/new-order", map[string]any{}, f.nonce())
	problem(t, resp, body, "malformed", 400)
	// An account URL that does not exist.
	resp, body = raw{f: f, key: key, kid: f.srv.URL + "/acme/acct/nope"}.post(f.srv.URL+"/acme/new-order", map[string]any{}, f.nonce())
	problem(t, resp, body, "accountDoesNotExist", 400)

	// Not JOSE at all, the wrong content type, a GET of a POST resource, an unknown path.
	for _, tc := range []struct {
		method, url, ctype, body string
		status                   int
	}{
		{"POST", newAccount, "application/jose+json", "{not json", 400},
		{"POST", newAccount, "application/jose+json", `{"protected":"e30","payload":"","signature":"AA","header":{}}`, 400},
		{"POST", newAccount, "application/json", "{}", 415},
		{"GET", f.srv.URL + "/acme/new-order", "", "", 405},
		{"GET", f.srv.URL + "/acme/nothing", "", "", 404},
		{"POST", newAccount, "application/jose+json", strings.Repeat("x", 70<<10), 413},
	} {
		req, _ := http.NewRequest(tc.method, tc.url, strings.NewReader(tc.body))
		if tc.ctype != "" {
			req.Header.Set("Content-Type", tc.ctype)
		}
		resp, err := f.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		problem(t, resp, b, "malformed", tc.status)
	}
}

// postMAC sends a JWS MACed with a shared key, which no ACME account key can be.
func postMAC(f *fixture, url string, payload any, nonce string) (*http.Response, []byte) {
	body, _ := json.Marshal(payload)
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("0123456789abcdef0123456789abcdef")},
		(&jose.SignerOptions{}).WithHeader("url", url).WithHeader("nonce", nonce))
	if err != nil {
		f.t.Fatal(err)
	}
	j, _ := s.Sign(body)
	resp, err := f.srv.Client().Post(url, "application/jose+json", strings.NewReader(j.FullSerialize()))
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestOrdersListAndDeactivateAuthorization(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := context.Background()
	c := f.client()
	acct := f.register(c)
	var urls []string
	for range 3 {
		o, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("a.test"))
		if err != nil {
			t.Fatal(err)
		}
		urls = append(urls, o.URI)
	}
	resp, body := raw{f: f, key: c.Key, kid: acct.URI}.post(acct.URI+"/orders", nil, f.nonce())
	var list struct{ Orders []string }
	if json.Unmarshal(body, &list); resp.StatusCode != 200 || strings.Join(list.Orders, " ") != strings.Join(urls, " ") {
		t.Fatalf("orders list: %d %s, want %v", resp.StatusCode, body, urls)
	}
	o, _ := c.GetOrder(ctx, urls[0])
	if err := c.RevokeAuthorization(ctx, o.AuthzURLs[0]); err != nil {
		t.Fatalf("deactivate authorization: %v", err)
	}
	z, _ := c.GetAuthorization(ctx, o.AuthzURLs[0])
	if z.Status != xacme.StatusDeactivated {
		t.Fatalf("authorization is %s after deactivation", z.Status)
	}
	if o, _ := c.GetOrder(ctx, urls[0]); o.Status != xacme.StatusInvalid {
		t.Fatalf("order with a deactivated authorization is %s", o.Status)
	}
	// Another account cannot read the order.
	c2 := f.client()
	a2 := f.register(c2)
	resp, body = raw{f: f, key: c2.Key, kid: a2.URI}.post(urls[1], nil, f.nonce())
	problem(t, resp, body, "unauthorized", 403)
}

func TestRateLimits(t *testing.T) {
	f := newFixture(t, fixtureOptions{server: func(o *acmeserver.Options) {
		o.RateLimits = acmeserver.RateLimits{OrdersPerAccount: 2, OrdersWindow: time.Hour, FailedValidations: 1, FailedWindow: time.Hour}
	}})
	ctx := context.Background()
	c := f.client()
	// x/crypto/acme retries 429 until its context ends; report it instead.
	c.RetryBackoff = func(int, *http.Request, *http.Response) time.Duration { return -1 }
	f.register(c)
	for range 2 {
		if _, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("a.test")); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("a.test"))
	ae := acmeError(t, err, "rateLimited")
	if ae.StatusCode != 429 || ae.Header.Get("Retry-After") == "" {
		t.Fatalf("rate limited: status %d, Retry-After %q", ae.StatusCode, ae.Header.Get("Retry-After"))
	}
	// One failed validation for fail.test, then new orders for it are refused.
	c2 := f.client()
	c2.RetryBackoff = c.RetryBackoff
	f.register(c2)
	o, err := c2.AuthorizeOrder(ctx, xacme.DomainIDs("fail.test"))
	if err != nil {
		t.Fatal(err)
	}
	z, _ := c2.GetAuthorization(ctx, o.AuthzURLs[0])
	for _, ch := range z.Challenges {
		if ch.Type == "http-01" {
			c2.Accept(ctx, ch) // nothing is published: the validation fails
		}
	}
	c2.WaitAuthorization(ctx, z.URI)
	_, err = c2.AuthorizeOrder(ctx, xacme.DomainIDs("fail.test"))
	acmeError(t, err, "rateLimited")
	// Another account's failures do not use up this one's: no account can lock a name.
	c3 := f.client()
	f.register(c3)
	if _, err := c3.AuthorizeOrder(ctx, xacme.DomainIDs("fail.test")); err != nil {
		t.Fatalf("another account's failures blocked this one: %v", err)
	}
}

func TestPolicyRejectsIdentifiers(t *testing.T) {
	f := newFixture(t, fixtureOptions{policy: &policy.Policy{AllowedDNS: []string{"test"}, DeniedDNS: []string{"other.test"},
		AllowedIPs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}})
	ctx := context.Background()
	c := f.client()
	f.register(c)
	_, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("other.test"))
	if ae := acmeError(t, err, "rejectedIdentifier"); !strings.Contains(ae.Detail, "other.test") {
		t.Fatalf("detail %q does not name the identifier", ae.Detail)
	}
	// Several refusals come back together, one subproblem each.
	_, err = c.AuthorizeOrder(ctx, []xacme.AuthzID{{Type: "dns", Value: "www.example.com"}, {Type: "ip", Value: "10.1.2.3"}, {Type: "dns", Value: "a.test"}})
	if ae := acmeError(t, err, "compound"); len(ae.Subproblems) != 2 {
		t.Fatalf("compound problem with %d subproblems, want 2: %v", len(ae.Subproblems), ae)
	}
	if _, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("a.test")); err != nil {
		t.Fatalf("an allowed name was refused: %v", err)
	}
}

func TestStoreDownIsServerInternalWithoutDetails(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	c := f.client()
	acct := f.register(c)
	n := f.nonce()
	f.db.Close()
	resp, body := raw{f: f, key: c.Key, kid: acct.URI}.post(f.srv.URL+"/acme/new-order",
		map[string]any{"identifiers": []acme.Identifier{{Type: "dns", Value: "a.test"}}}, n)
	p := problem(t, resp, body, "serverInternal", 500)
	if d, _ := p["detail"].(string); strings.Contains(d, "sql") || strings.Contains(d, "store") || strings.Contains(d, f.dbPath) {
		t.Fatalf("serverInternal leaks internals: %q", d)
	}
	if !strings.Contains(f.logs.String(), "acme: internal error") {
		t.Fatal("the cause was not logged")
	}
}

func TestNewNonceHeadAndGet(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	for method, status := range map[string]int{http.MethodHead: http.StatusOK, http.MethodGet: http.StatusNoContent} {
		req, _ := http.NewRequest(method, f.srv.URL+"/acme/new-nonce", nil)
		resp, err := f.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != status || resp.Header.Get("Replay-Nonce") == "" || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s new-nonce: %d, nonce %q, Cache-Control %q", method, resp.StatusCode, resp.Header.Get("Replay-Nonce"), resp.Header.Get("Cache-Control"))
		}
	}
	var d acme.Directory
	getJSON(t, f, f.dir, &d)
	if d.Meta == nil || d.Meta.TermsOfService == "" || len(d.Meta.Profiles) == 0 || len(d.Meta.CAAIdentities) == 0 || d.RenewalInfo == "" || d.KeyChange == "" {
		t.Fatalf("directory lacks fields: %+v %+v", d, d.Meta)
	}
}

// A CSR key the policy refuses is badPublicKey, and the order stays ready for a better one.
func TestFinalizeRefusedKeyLeavesOrderReady(t *testing.T) {
	f := newFixture(t, fixtureOptions{policy: &policy.Policy{KeyTypes: []keys.Type{keys.ECP256}}})
	ctx := context.Background()
	c := f.client()
	f.register(c)
	o := f.authorized(c, "http-01", "a.test")
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{DNSNames: []string{"a.test"}}, rsaKey)
	_, _, err := c.CreateOrderCert(ctx, o.FinalizeURL, der, true)
	acmeError(t, err, "badPublicKey")
	if got, _ := c.GetOrder(ctx, o.URI); got.Status != xacme.StatusReady {
		t.Fatalf("after a refused key the order is %v, want ready", got.Status)
	}
	_, csr := newCSR(t, "a.test")
	if _, _, err := c.CreateOrderCert(ctx, o.FinalizeURL, csr, true); err != nil {
		t.Fatalf("a P-256 key after the refusal: %v", err)
	}
}
