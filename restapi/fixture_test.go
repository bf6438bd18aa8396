package restapi_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anchorpki/anchor/apitoken"
	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/csr"
	"github.com/anchorpki/anchor/keys"
	"github.com/anchorpki/anchor/lint"
	"github.com/anchorpki/anchor/names"
	"github.com/anchorpki/anchor/restapi"
	"github.com/anchorpki/anchor/store"
)

// fixture is the API over a real hierarchy and a real SQLite inventory, served by an
// httptest TLS server that asks for (but does not require) client certificates, as
// `anchor serve` will.
type fixture struct {
	db    *store.DB
	h     *ca.Hierarchy
	auth  *ca.Authority
	api   *restapi.API
	srv   *httptest.Server
	roots *x509.CertPool

	mu       sync.Mutex
	now      time.Time // the API's clock; zero: time.Now
	revoked  []*big.Int
	observed []string // "route code"
	logs     bytes.Buffer
}

type fixtureOptions struct {
	ca  ca.Options
	api func(*restapi.Options)
}

func newFixture(t testing.TB, fo fixtureOptions) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "anchor.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l, err := lint.New(lint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h, err := ca.NewHierarchy(ctx, ca.HierarchyOptions{Name: "Test", Linter: l, Inventory: db})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := (ca.Layout{Dir: dir}).Save(h, nil); err != nil {
		t.Fatal(err)
	}
	loaded, err := ca.Layout{Dir: dir}.Load(ca.LoadOptions{Linter: l})
	if err != nil {
		t.Fatal(err)
	}
	fo.ca.Inventory, fo.ca.Issuer = db, loaded.Issuer
	auth, err := ca.New(fo.ca)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, h: h, auth: auth, roots: x509.NewCertPool()}
	f.roots.AddCert(h.Root)
	o := restapi.Options{
		Authority: auth, Inventory: db, Tokens: db,
		Now:      f.clock,
		Logger:   f.logger(),
		OnRevoke: func(s *big.Int) { f.mu.Lock(); f.revoked = append(f.revoked, s); f.mu.Unlock() },
		Observe: func(route string, code int, _ time.Duration) {
			f.mu.Lock()
			f.observed = append(f.observed, route+" "+strconv.Itoa(code))
			f.mu.Unlock()
		},
	}
	if fo.api != nil {
		fo.api(&o)
	}
	if f.api, err = restapi.New(o); err != nil {
		t.Fatal(err)
	}
	serverKey, serverCert := f.issue(t, "server", "localhost", "127.0.0.1")
	f.srv = httptest.NewUnstartedServer(f.api)
	f.srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{serverCert.Raw, h.Intermediate.Raw}, PrivateKey: serverKey}},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    f.roots,
	}
	f.srv.StartTLS()
	t.Cleanup(f.srv.Close)
	return f
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (f *fixture) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(lockedWriter{&f.mu, &f.logs}, nil))
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.now.IsZero() {
		return time.Now()
	}
	return f.now
}

func (f *fixture) setClock(t time.Time) {
	f.mu.Lock()
	f.now = t
	f.mu.Unlock()
}

func (f *fixture) log() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logs.String()
}

// issue has the authority sign a certificate directly (not through the API).
func (f *fixture) issue(t testing.TB, profile string, sans ...string) (crypto.Signer, *x509.Certificate) {
	t.Helper()
	k, err := keys.Generate(keys.ECP256, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := names.ParseSANs(sans)
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.auth.Issue(context.Background(), ca.Request{PublicKey: k.Public(), SANs: s, Profile: profile, Requester: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return k, got.Certificate
}

// token creates an API token in the store, as `anchor token create` does.
func (f *fixture) token(t testing.TB, name, scopes string, allow []string, expires *time.Time) string {
	t.Helper()
	sc, err := apitoken.ParseScopes(scopes)
	if err != nil {
		t.Fatal(err)
	}
	c, err := apitoken.Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	err = f.db.CreateToken(context.Background(), store.Token{ID: c.ID, Name: name, Hash: c.Hash(),
		Scopes: apitoken.Strings(sc), AllowNames: allow, ExpiresAt: expires})
	if err != nil {
		t.Fatal(err)
	}
	return c.String()
}

// client returns an HTTP client that trusts the root and, if given, presents a client
// certificate with its chain.
func (f *fixture) client(key crypto.Signer, cert *x509.Certificate) *http.Client {
	cfg := &tls.Config{RootCAs: f.roots}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{{Certificate: [][]byte{cert.Raw, f.h.Intermediate.Raw}, PrivateKey: key, Leaf: cert}}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 30 * time.Second}
}

// call is one API request and its response, read in full.
type call struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request. body is sent as is when it is a string or []byte, as JSON otherwise.
func (f *fixture) do(t testing.TB, c *http.Client, method, path, token string, body any) call {
	t.Helper()
	if c == nil {
		c = f.client(nil, nil)
	}
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return call{status: resp.StatusCode, header: resp.Header, body: b}
}

// decode reads a JSON success response strictly into v.
func (c call) decode(t testing.TB, status int, v any) {
	t.Helper()
	if c.status != status {
		t.Fatalf("status %d; want %d: %s", c.status, status, c.body)
	}
	if ct := c.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q; want application/json", ct)
	}
	dec := json.NewDecoder(bytes.NewReader(c.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decoding %s: %v", c.body, err)
	}
}

// problem checks that c is the documented problem document and returns it.
func (c call) problem(t testing.TB, status int, typ, detail string) restapi.Problem {
	t.Helper()
	if c.status != status {
		t.Fatalf("status %d; want %d: %s", c.status, status, c.body)
	}
	if ct := c.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q; want application/problem+json: %s", ct, c.body)
	}
	var p restapi.Problem
	dec := json.NewDecoder(bytes.NewReader(c.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("problem document %s: %v", c.body, err)
	}
	if p.Type != typ || p.Status != status || p.Title == "" || !strings.Contains(p.Detail, detail) {
		t.Fatalf("problem %+v; want type %s, status %d, detail containing %q", p, typ, status, detail)
	}
	return p
}

// csrPEM makes a CSR for sans with an optional subject ("CN=x").
func csrPEM(t testing.TB, subject string, sans ...string) string {
	t.Helper()
	k, err := keys.Generate(keys.ECP256, nil)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER(t, k, subject, sans...)}))
}

func csrDER(t testing.TB, k crypto.Signer, subject string, sans ...string) []byte {
	t.Helper()
	r := csr.Request{Key: k}
	var err error
	if subject != "" {
		if r.Subject, err = names.ParseSubject(subject); err != nil {
			t.Fatal(err)
		}
	}
	if r.SANs, err = names.ParseSANs(sans); err != nil {
		t.Fatal(err)
	}
	der, err := csr.Create(r)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

type issued struct {
	Serial      string    `json:"serial"`
	Certificate string    `json:"certificate"`
	Chain       string    `json:"chain"`
	Subject     string    `json:"subject"`
	SANs        []string  `json:"sans"`
	NotBefore   time.Time `json:"not_before"`
	NotAfter    time.Time `json:"not_after"`
	Profile     string    `json:"profile"`
	SHA256      string    `json:"sha256"`
}

type record struct {
	Serial      string     `json:"serial"`
	Status      string     `json:"status"`
	Profile     string     `json:"profile"`
	Subject     string     `json:"subject"`
	SANs        []string   `json:"sans"`
	NotBefore   time.Time  `json:"not_before"`
	NotAfter    time.Time  `json:"not_after"`
	IssuerKeyID string     `json:"issuer_key_id"`
	Requester   string     `json:"requester"`
	CreatedAt   time.Time  `json:"created_at"`
	RevokedAt   *time.Time `json:"revoked_at"`
	Reason      string     `json:"reason"`
	SHA256      string     `json:"sha256"`
	Certificate string     `json:"certificate"`
}

type page struct {
	Certificates []record `json:"certificates"`
	NextCursor   string   `json:"next_cursor"`
}

type revokedBody struct {
	Serial           string     `json:"serial"`
	Reason           string     `json:"reason"`
	RevokedAt        *time.Time `json:"revoked_at"`
	AlreadyRevoked   bool       `json:"already_revoked"`
	ReleasedFromHold bool       `json:"released_from_hold"`
}

// create is POST /api/v1/certificates with a CSR for sans.
func (f *fixture) create(t testing.TB, c *http.Client, token string, sans ...string) call {
	t.Helper()
	return f.do(t, c, "POST", "/api/v1/certificates", token, map[string]any{"csr": csrPEM(t, "", sans...)})
}

func readCall(t testing.TB, resp *http.Response) call {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return call{status: resp.StatusCode, header: resp.Header, body: b}
}

func mustSerial(t testing.TB, hex string) *big.Int {
	t.Helper()
	n, ok := new(big.Int).SetString(hex, 16)
	if !ok {
		t.Fatalf("serial %q is not hexadecimal", hex)
	}
	return n
}

// hexSerial writes a serial as the API does: the hex of its bytes, so always of even length.
func hexSerial(c *x509.Certificate) string { return hex.EncodeToString(c.SerialNumber.Bytes()) }
