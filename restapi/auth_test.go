package restapi_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/anchorpki/anchor/apitoken"
	"github.com/anchorpki/anchor/restapi"
	"github.com/anchorpki/anchor/revocation"
)

func TestUnauthorized(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	good := f.token(t, "good", "issue,read", nil, nil)
	past := time.Now().Add(-time.Minute)
	expired := f.token(t, "old", "read", nil, &past)
	revoked := f.token(t, "gone", "read", nil, nil)
	if _, err := f.db.RevokeToken(context.Background(), "gone", time.Time{}); err != nil {
		t.Fatal(err)
	}
	unstored, _ := apitoken.Generate(nil)
	goodID, _, _ := apitoken.Parse(good)
	wrongSecret := apitoken.Credential{ID: goodID, Secret: make([]byte, 32)}.String()
	tests := []struct {
		name, header, detail, challenge string
	}{
		{"no credential", "", "no credential", `Bearer realm="anchor"`},
		{"basic auth", "Basic dXNlcjpwYXNz", "malformed token", `error="invalid_token"`},
		{"bearer without token", "Bearer", "malformed token", `error="invalid_token"`},
		{"not a token", "Bearer hello", `malformed token: does not start with "anc_"`, `error="invalid_token"`},
		{"truncated", "Bearer " + good[:40], "malformed token: 40 characters long", `error="invalid_token"`},
		{"unknown", "Bearer " + unstored.String(), "unknown token", `error_description="unknown token"`},
		{"wrong secret", "Bearer " + wrongSecret, "unknown token", `error_description="unknown token"`},
		{"expired", "Bearer " + expired, "token expired", `error_description="token expired"`},
		{"revoked", "Bearer " + revoked, "token revoked", `error_description="token revoked"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, route := range []struct{ method, path string }{
				{"GET", "/api/v1/certificates"}, {"POST", "/api/v1/certificates"},
				{"GET", "/api/v1/certificates/01"}, {"POST", "/api/v1/certificates/01/revoke"},
			} {
				req, _ := http.NewRequest(route.method, f.srv.URL+route.path, strings.NewReader(`{}`))
				if tc.header != "" {
					req.Header.Set("Authorization", tc.header)
				}
				resp, err := f.client(nil, nil).Do(req)
				if err != nil {
					t.Fatal(err)
				}
				c := readCall(t, resp)
				c.problem(t, 401, restapi.TypeUnauthorized, tc.detail)
				if ch := c.header.Get("WWW-Authenticate"); !strings.HasPrefix(ch, `Bearer realm="anchor"`) || !strings.Contains(ch, tc.challenge) {
					t.Errorf("%s %s: WWW-Authenticate %q; want %q", route.method, route.path, ch, tc.challenge)
				}
			}
		})
	}
	// The secret never reaches the log.
	if _, secret, _ := strings.Cut(good[4:], "_"); strings.Contains(f.log(), secret) {
		t.Fatal("a token secret is in the log")
	}
}

// Tokens are read from the store on every request: one created or revoked by another process
// (here: directly in the store) counts from the next request on.
func TestTokenRevokedWhileServing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	tok := f.token(t, "ci", "read", nil, nil)
	f.do(t, nil, "GET", "/api/v1/certificates", tok, nil).decode(t, 200, &page{})
	if _, err := f.db.RevokeToken(context.Background(), "ci", time.Time{}); err != nil {
		t.Fatal(err)
	}
	f.do(t, nil, "GET", "/api/v1/certificates", tok, nil).problem(t, 401, restapi.TypeUnauthorized, "token revoked")
	// A new token of the same name works at once.
	tok2 := f.token(t, "ci", "read", nil, nil)
	f.do(t, nil, "GET", "/api/v1/certificates", tok2, nil).decode(t, 200, &page{})
}

// The token expires at ExpiresAt by the API's clock.
func TestTokenExpiresOnTheAPIClock(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	exp := time.Now().Add(time.Hour)
	tok := f.token(t, "ci", "read", nil, &exp)
	f.do(t, nil, "GET", "/api/v1/certificates", tok, nil).decode(t, 200, &page{})
	f.setClock(exp)
	f.do(t, nil, "GET", "/api/v1/certificates", tok, nil).problem(t, 401, restapi.TypeUnauthorized, "token expired")
}

func TestForbidden(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	reader := f.token(t, "reader", "read", nil, nil)
	issuer := f.token(t, "issuer", "issue", nil, nil)
	svc := f.token(t, "svc", "issue,revoke,read", []string{"*.svc.internal", "10.0.0.0/8"}, nil)

	c := f.create(t, nil, reader, "a.example")
	c.problem(t, 403, restapi.TypeForbidden, `token "reader" lacks the "issue" scope this request needs (it has: read)`)
	if ch := c.header.Get("WWW-Authenticate"); ch != `Bearer realm="anchor", error="insufficient_scope", scope="issue"` {
		t.Errorf("WWW-Authenticate %q", ch)
	}
	f.do(t, nil, "GET", "/api/v1/certificates", issuer, nil).problem(t, 403, restapi.TypeForbidden, `lacks the "read" scope`)
	f.do(t, nil, "POST", "/api/v1/certificates/01/revoke", reader, nil).problem(t, 403, restapi.TypeForbidden, `lacks the "revoke" scope`)

	// Acceptance: a token scoped to *.svc.internal is refused www.example.com.
	f.create(t, nil, svc, "www.example.com").problem(t, 403, restapi.TypeForbidden,
		`token "svc" may not obtain "www.example.com" (it is limited to *.svc.internal, 10.0.0.0/8)`)
	f.create(t, nil, svc, "api.svc.internal", "www.example.com").problem(t, 403, restapi.TypeForbidden, `"www.example.com"`)
	f.create(t, nil, svc, "svc.internal").problem(t, 403, restapi.TypeForbidden, `"svc.internal"`)
	f.create(t, nil, svc, "api.svc.internal", "192.168.1.1").problem(t, 403, restapi.TypeForbidden, `"192.168.1.1"`)
	f.create(t, nil, svc, "api.svc.internal", "ops@svc.internal").problem(t, 403, restapi.TypeForbidden, `"ops@svc.internal"`)
	f.create(t, nil, svc, "api.svc.internal", "spiffe://svc.internal/api").problem(t, 403, restapi.TypeForbidden, `"spiffe://svc.internal/api"`)
	// The subject's common names are names too, every one of them.
	f.do(t, nil, "POST", "/api/v1/certificates", svc, map[string]any{"csr": csrPEM(t, "CN=www.example.com", "api.svc.internal")}).
		problem(t, 403, restapi.TypeForbidden, `"www.example.com"`)
	f.do(t, nil, "POST", "/api/v1/certificates", svc, map[string]any{"csr": csrPEM(t, "CN=www.example.com+CN=api.svc.internal", "api.svc.internal")}).
		problem(t, 403, restapi.TypeForbidden, `"www.example.com"`)
	// A certificate that names nothing is not among the allowed names either.
	f.do(t, nil, "POST", "/api/v1/certificates", svc, map[string]any{"csr": csrPEM(t, "O=Admins"), "profile": "client"}).
		problem(t, 403, restapi.TypeForbidden, "without a name")

	var got issued
	f.do(t, nil, "POST", "/api/v1/certificates", svc, map[string]any{"csr": csrPEM(t, "CN=api.svc.internal", "api.svc.internal", "a.b.svc.internal", "10.1.2.3")}).decode(t, 201, &got)

	// A restricted token revokes only what it could have obtained.
	_, other := f.issue(t, "server", "www.example.com")
	f.do(t, nil, "POST", "/api/v1/certificates/"+hexSerial(other)+"/revoke", svc, nil).
		problem(t, 403, restapi.TypeForbidden, `may not revoke `+hexSerial(other)+`: it may not obtain "www.example.com"`)
	var rv revokedBody
	f.do(t, nil, "POST", "/api/v1/certificates/"+got.Serial+"/revoke", svc, nil).decode(t, 200, &rv)
	// Reading is not restricted by names.
	var rec record
	f.do(t, nil, "GET", "/api/v1/certificates/"+hexSerial(other), svc, nil).decode(t, 200, &rec)
}

func TestClientCertificate(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	key, cert := f.issue(t, "client", "worker.svc.internal", "10.0.0.5")
	me := f.client(key, cert)
	serial := hexSerial(cert)

	// A machine obtains a certificate for its own names.
	var got issued
	f.create(t, me, "", "worker.svc.internal", "10.0.0.5").decode(t, 201, &got)
	rec, err := f.db.Get(context.Background(), f.auth.Issuer().KeyID(), mustSerial(t, got.Serial))
	if err != nil || rec.Requester != "cert:"+serial {
		t.Fatalf("requester %q, %v; want cert:%s", rec.Requester, err, serial)
	}
	// Not for another name, and it may read but not revoke (default scopes: issue, read).
	f.create(t, me, "", "other.svc.internal").problem(t, 403, restapi.TypeForbidden,
		`client certificate `+serial+` may not obtain "other.svc.internal" (it is limited to worker.svc.internal, 10.0.0.5)`)
	f.do(t, me, "GET", "/api/v1/certificates", "", nil).decode(t, 200, &page{})
	f.do(t, me, "POST", "/api/v1/certificates/"+got.Serial+"/revoke", "", nil).problem(t, 403, restapi.TypeForbidden, `lacks the "revoke" scope`)

	// The token wins over the certificate, even when it is worse.
	reader := f.token(t, "reader", "read", nil, nil)
	f.create(t, me, reader, "worker.svc.internal").problem(t, 403, restapi.TypeForbidden, `token "reader" lacks the "issue" scope`)
	f.create(t, me, "anc_nonsense", "worker.svc.internal").problem(t, 401, restapi.TypeUnauthorized, "malformed token")

	// A revoked client certificate is refused from the next request on.
	if _, err := f.auth.Revoke(context.Background(), cert.SerialNumber, revocation.KeyCompromise, "test"); err != nil {
		t.Fatal(err)
	}
	f.create(t, me, "", "worker.svc.internal").problem(t, 401, restapi.TypeUnauthorized, "client certificate "+serial+" revoked")

	// A client certificate without a DNS name or address may obtain nothing.
	pkey, person := f.issue(t, "client", "alice@example.com")
	f.create(t, f.client(pkey, person), "", "alice.svc.internal").problem(t, 403, restapi.TypeForbidden, "has no DNS name or IP address")
}

func TestClientCertificateScopes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{api: func(o *restapi.Options) { o.ClientCertScopes = []apitoken.Scope{} }})
	key, cert := f.issue(t, "client", "worker.svc.internal")
	f.do(t, f.client(key, cert), "GET", "/api/v1/certificates", "", nil).problem(t, 403, restapi.TypeForbidden, "(it has: none)")
}

// Only a certificate issued by this CA's intermediate and recorded in its inventory counts; the
// server's TLS settings are the first line, this the second.
func TestClientCertificateFromElsewhere(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	other := newFixture(t, fixtureOptions{})
	_, foreign := other.issue(t, "client", "worker.svc.internal")
	inter := f.h.Intermediate
	tests := []struct {
		name   string
		leaf   *x509.Certificate
		detail string
	}{
		{"another CA", foreign, "not issued by this CA's intermediate"},
		{"the intermediate itself", inter, "not issued by this CA's intermediate"},
	}
	for _, tc := range tests {
		req := httptest.NewRequest("GET", "/api/v1/certificates", nil)
		req.TLS = &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{tc.leaf}}}
		rr := httptest.NewRecorder()
		f.api.ServeHTTP(rr, req)
		readCall(t, rr.Result()).problem(t, 401, restapi.TypeUnauthorized, tc.detail)
	}
	// Unverified peer certificates are no credential at all.
	_, mine := f.issue(t, "client", "worker.svc.internal")
	req := httptest.NewRequest("GET", "/api/v1/certificates", nil)
	req.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{mine}}
	rr := httptest.NewRecorder()
	f.api.ServeHTTP(rr, req)
	readCall(t, rr.Result()).problem(t, 401, restapi.TypeUnauthorized, "no credential")
	// An expired one, by the API's clock.
	f.setClock(mine.NotAfter.Add(time.Second))
	req = httptest.NewRequest("GET", "/api/v1/certificates", nil)
	req.TLS = &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{mine}}}
	rr = httptest.NewRecorder()
	f.api.ServeHTTP(rr, req)
	readCall(t, rr.Result()).problem(t, 401, restapi.TypeUnauthorized, "expired")
}
