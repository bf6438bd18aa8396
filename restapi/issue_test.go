package restapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/keys"
	"github.com/anchorpki/anchor/policy"
	"github.com/anchorpki/anchor/restapi"
	"github.com/anchorpki/anchor/store"
)

func TestIssueWithToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	tok := f.token(t, "ci", "issue,read", nil, nil)
	before := time.Now().Add(-time.Second)
	c := f.do(t, nil, "POST", "/api/v1/certificates", tok, map[string]any{
		"csr": csrPEM(t, "CN=api.svc.internal", "api.svc.internal", "10.0.0.7"), "profile": "server", "days": 30})
	var got issued
	c.decode(t, 201, &got)
	if loc := c.header.Get("Location"); loc != "/api/v1/certificates/"+got.Serial {
		t.Errorf("Location %q; serial %s", loc, got.Serial)
	}
	block, _ := pem.Decode([]byte(got.Certificate))
	if block == nil {
		t.Fatalf("certificate is not PEM: %q", got.Certificate)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	// The chain holds the intermediate, not the root, and the certificate verifies with it.
	inter := x509.NewCertPool()
	if !inter.AppendCertsFromPEM([]byte(got.Chain)) || strings.Count(got.Chain, "BEGIN CERTIFICATE") != 1 {
		t.Fatalf("chain %q", got.Chain)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: f.roots, Intermediates: inter, DNSName: "api.svc.internal"}); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if got.Serial != hexSerial(cert) || got.Profile != "server" || got.Subject != "CN=api.svc.internal" ||
		!slices.Equal(got.SANs, []string{"api.svc.internal", "10.0.0.7"}) || len(got.SHA256) != 64 {
		t.Errorf("response %+v", got)
	}
	if d := got.NotAfter.Sub(got.NotBefore) + time.Second; d != 30*24*time.Hour { // both ends count
		t.Errorf("validity period %v; want exactly 30 days", d)
	}
	// The inventory has it, with the token as requester, and the token was marked used.
	rec, err := f.db.Get(context.Background(), f.auth.Issuer().KeyID(), cert.SerialNumber)
	if err != nil {
		t.Fatalf("not in the inventory: %v", err)
	}
	if rec.Requester != "token:ci" || rec.Status != "valid" {
		t.Errorf("inventory record requester %q status %s", rec.Requester, rec.Status)
	}
	list, _, err := f.db.List(context.Background(), store.Filter{SAN: "api.svc.internal"})
	if err != nil || len(list) != 1 {
		t.Fatalf("List by SAN: %v, %v", list, err)
	}
	tk, err := f.db.Tokens(context.Background())
	if err != nil || len(tk) != 1 || tk[0].LastUsedAt == nil || tk[0].LastUsedAt.Before(before) {
		t.Fatalf("token last used: %+v, %v", tk, err)
	}
	// GET Location returns the record with the PEM.
	var rec2 record
	f.do(t, nil, "GET", c.header.Get("Location"), tok, nil).decode(t, 200, &rec2)
	if rec2.Certificate != got.Certificate || rec2.Requester != "token:ci" || rec2.Status != "valid" || rec2.SHA256 != got.SHA256 {
		t.Errorf("GET %s = %+v", c.header.Get("Location"), rec2)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !slices.Equal(f.observed, []string{"POST /api/v1/certificates 201", "GET /api/v1/certificates/{serial} 200"}) {
		t.Errorf("Observe saw %q", f.observed)
	}
}

func TestIssueDefaultsAndEncodings(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	tok := f.token(t, "ci", "issue", nil, nil)
	// Base64 DER instead of PEM, no profile: a server certificate with the profile's lifetime.
	block, _ := pem.Decode([]byte(csrPEM(t, "", "b64.example")))
	var got issued
	f.do(t, nil, "POST", "/api/v1/certificates", tok, map[string]any{"csr": base64.StdEncoding.EncodeToString(block.Bytes)}).decode(t, 201, &got)
	if got.Profile != "server" || got.NotAfter.Sub(got.NotBefore) < 89*24*time.Hour {
		t.Errorf("defaults: %+v", got)
	}
	// A client certificate for a person.
	f.do(t, nil, "POST", "/api/v1/certificates", tok, map[string]any{"csr": csrPEM(t, "CN=Alice", "alice@example.com"), "profile": "client"}).decode(t, 201, &got)
	if got.Profile != "client" || !slices.Equal(got.SANs, []string{"alice@example.com"}) || got.Subject != "CN=Alice" {
		t.Errorf("client: %+v", got)
	}
}

func TestIssueErrors(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 70) + ".example"
	f := newFixture(t, fixtureOptions{ca: ca.Options{Policy: &policy.Policy{DeniedDNS: []string{"forbidden.example"}}}})
	tok := f.token(t, "ci", "issue", nil, nil)
	good := csrPEM(t, "", "ok.example")
	block, _ := pem.Decode([]byte(good))
	badSig := slices.Clone(block.Bytes)
	badSig[len(badSig)-3] ^= 0xff
	tests := []struct {
		name   string
		body   any
		status int
		typ    string
		detail string
	}{
		{"empty body", "", 400, restapi.TypeMalformed, "body is empty"},
		{"malformed JSON", `{"csr": `, 400, restapi.TypeMalformed, "invalid JSON"},
		{"syntax error", `{"csr" "x"}`, 400, restapi.TypeMalformed, "invalid JSON at byte"},
		{"not an object", `["csr"]`, 400, restapi.TypeMalformed, "expected an object"},
		{"wrong type", `{"csr": 5}`, 400, restapi.TypeMalformed, `field "csr" must not be number`},
		{"unknown field", map[string]any{"csr": good, "profil": "client"}, 400, restapi.TypeMalformed, `unknown field "profil"`},
		{"trailing data", `{"csr": "x"} {}`, 400, restapi.TypeMalformed, "data after the JSON object"},
		{"no csr", `{"profile": "server"}`, 400, restapi.TypeMalformed, `"csr" is required`},
		{"negative days", map[string]any{"csr": good, "days": -1}, 400, restapi.TypeMalformed, "days must be"},
		{"not base64", map[string]any{"csr": "%%%"}, 400, restapi.TypeBadCSR, "neither PEM nor base64"},
		{"base64 of junk", map[string]any{"csr": base64.StdEncoding.EncodeToString([]byte("junk"))}, 400, restapi.TypeBadCSR, "csr: malformed"},
		{"broken PEM", map[string]any{"csr": "-----BEGIN CERTIFICATE REQUEST-----\n!!!\n-----END CERTIFICATE REQUEST-----\n"}, 400, restapi.TypeBadCSR, "csr: malformed"},
		{"a certificate", map[string]any{"csr": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.h.Root.Raw}))}, 400, restapi.TypeBadCSR, "CERTIFICATE block"},
		{"bad signature", map[string]any{"csr": base64.StdEncoding.EncodeToString(badSig)}, 400, restapi.TypeBadCSR, "signature does not verify"},
		{"server without SAN", map[string]any{"csr": csrPEM(t, "CN=nosan")}, 400, restapi.TypeBadCSR, "subjectAltName is required"},
		{"unknown profile", map[string]any{"csr": good, "profile": "gold"}, 400, restapi.TypeBadProfile, `unknown profile "gold"`},
		{"root profile", map[string]any{"csr": good, "profile": "root"}, 400, restapi.TypeBadProfile, `profile "root" cannot be requested`},
		{"intermediate profile", map[string]any{"csr": good, "profile": "intermediate"}, 400, restapi.TypeBadProfile, "cannot be requested"},
		{"too many days", map[string]any{"csr": good, "days": 1000}, 422, restapi.TypeRejected, "maximum of 200 days"},
		{"one day too many", map[string]any{"csr": good, "days": 201}, 422, restapi.TypeRejected, "201 days exceeds the server profile's maximum of 200 days"},
		{"policy", map[string]any{"csr": csrPEM(t, "", "a.forbidden.example")}, 422, restapi.TypeRejected, `identifier rule): "a.forbidden.example" is not allowed`},
		{"lint", map[string]any{"csr": rawCSR(t, long)}, 422, restapi.TypeRejected, "refused by a certificate lint"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.do(t, nil, "POST", "/api/v1/certificates", tok, tc.body).problem(t, tc.status, tc.typ, tc.detail)
		})
	}
	// Nothing was signed or reserved for any of them: only the root, the intermediate and
	// the fixture's server certificate are in the inventory.
	all, _, err := f.db.List(context.Background(), store.Filter{})
	if err != nil || len(all) != 3 {
		t.Fatalf("inventory has %d records: %v", len(all), err)
	}
	// And the server still serves.
	f.create(t, nil, tok, "after.example").decode(t, 201, &issued{})
}

func TestOversizedBody(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{api: func(o *restapi.Options) { o.MaxBodyBytes = 4096 }})
	tok := f.token(t, "ci", "issue,revoke", nil, nil)
	huge := `{"csr": "` + strings.Repeat("A", 8192) + `"}`
	f.do(t, nil, "POST", "/api/v1/certificates", tok, huge).problem(t, 413, restapi.TypeTooLarge, "exceeds 4096 bytes")
	f.do(t, nil, "POST", "/api/v1/certificates/01/revoke", tok, huge).problem(t, 413, restapi.TypeTooLarge, "exceeds 4096 bytes")
	// Without a token the body is not even read: 401, not 413.
	f.do(t, nil, "POST", "/api/v1/certificates", "", huge).problem(t, 401, restapi.TypeUnauthorized, "no credential")
	f.create(t, nil, tok, "after.example").decode(t, 201, &issued{})
}

// A panic in a handler is a 500 problem with nothing of the panic in it, and the next request
// is served.
func TestPanicIsInternalProblem(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	api, err := restapi.New(restapi.Options{Authority: panicky{f.auth}, Inventory: f.db, Tokens: f.db, Logger: f.logger()})
	if err != nil {
		t.Fatal(err)
	}
	tok := f.token(t, "ci", "issue,read", nil, nil)
	body, _ := json.Marshal(map[string]string{"csr": csrPEM(t, "", "boom.example")})
	req := httptest.NewRequest("POST", "/api/v1/certificates", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	rr := httptest.NewRecorder()
	api.ServeHTTP(rr, req)
	p := readCall(t, rr.Result()).problem(t, 500, restapi.TypeInternal, "internal error")
	if strings.Contains(p.Detail, "secret") {
		t.Fatalf("500 leaks the panic: %+v", p)
	}
	if !strings.Contains(f.log(), "secret failure") {
		t.Errorf("the panic is not logged:\n%s", f.log())
	}
	req = httptest.NewRequest("GET", "/api/v1/certificates", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	rr = httptest.NewRecorder()
	api.ServeHTTP(rr, req)
	readCall(t, rr.Result()).decode(t, 200, &page{})
}

type panicky struct{ *ca.Authority }

func (panicky) Issue(context.Context, ca.Request) (*ca.Issued, error) { panic("secret failure") }

// A closed store (a server shutting down) is a 503 or 500 whose detail says nothing of the store.
func TestStoreFailureDoesNotLeak(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	tok := f.token(t, "ci", "read", nil, nil)
	f.db.Close()
	// Writes to a closed store fail with store.ErrClosed (503); reads, for now, with
	// database/sql's own error, which is no sentinel and so a 500.
	c := f.do(t, nil, "GET", "/api/v1/certificates", tok, nil)
	typ := restapi.TypeInternal
	if c.status == 503 {
		typ = restapi.TypeUnavailable
	}
	p := c.problem(t, c.status, typ, "")
	if strings.Contains(p.Detail, "store") || strings.Contains(p.Detail, "sql") {
		t.Fatalf("detail leaks internals: %q", p.Detail)
	}
	if !strings.Contains(f.log(), "request failed") {
		t.Errorf("the cause is not logged:\n%s", f.log())
	}
}

// rawCSR makes a CSR with crypto/x509, which checks no name syntax, so it can carry what
// package names would refuse.
func rawCSR(t testing.TB, dns ...string) string {
	t.Helper()
	k, err := keys.Generate(keys.ECP256, nil)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{DNSNames: dns}, k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}
