package acmeserver_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	xacme "golang.org/x/crypto/acme"

	"github.com/anchorpki/anchor/acmeserver"
	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/challenge"
	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/internal/testkit/catest"
	"github.com/anchorpki/anchor/internal/testkit/dnsserver"
	"github.com/anchorpki/anchor/policy"
	"github.com/anchorpki/anchor/store"
)

// fixture is an ACME server over a real hierarchy, a real SQLite store and a real validator,
// with the validation targets a client would run: an http-01 responder, a tls-alpn-01
// responder and an authoritative DNS server, all on 127.0.0.1.
type fixture struct {
	t      *testing.T
	db     *store.DB
	dbPath string
	h      *ca.Hierarchy
	auth   *ca.Authority
	acme   *acmeserver.Server
	srv    *httptest.Server
	dns    *dnsserver.Server
	dir    string // directory URL

	mu      sync.Mutex
	http01  map[string]string          // token → key authorization
	alpn    map[string]tls.Certificate // SNI → challenge certificate
	logs    bytes.Buffer
	revoked []string
}

type fixtureOptions struct {
	server func(*acmeserver.Options)
	policy *policy.Policy
}

// testNames all resolve to 127.0.0.1 through the fixture's DNS server.
var testNames = []string{"a.test", "b.test", "w.test", "caa.test", "fail.test", "alpn.test", "ari.test", "other.test", "race.test"}

func newFixture(t *testing.T, fo fixtureOptions) *fixture {
	t.Helper()
	f := &fixture{t: t, http01: map[string]string{}, alpn: map[string]tls.Certificate{}}
	c := catest.New(t, catest.Options{Name: "ACME Test", Policy: fo.policy,
		OnRevoked: func(r *ca.Revoked) { f.mu.Lock(); f.revoked = append(f.revoked, r.Serial); f.mu.Unlock() }})
	f.db, f.dbPath, f.h, f.auth = c.DB, c.DBPath, c.Hierarchy, c.Authority
	fo.policy = c.Policy

	f.dns = dnsserver.Start(t)
	for _, n := range testNames {
		f.dns.Add(t, n+". 60 IN A 127.0.0.1")
	}
	http01 := f.startHTTP01()
	alpn := f.startTLSALPN01()
	v, err := challenge.New(challenge.Options{HTTP01Port: http01, TLSALPN01Port: alpn, Resolver: f.dns.Addr,
		Timeout: 5 * time.Second, CAAIdentities: []string{"anchor.test"}})
	if err != nil {
		t.Fatal(err)
	}
	o := acmeserver.Options{Store: f.db, Authority: f.auth, Validator: v, Policy: fo.policy,
		TermsOfService: "https://anchor.test/tos", CAAIdentities: []string{"anchor.test"},
		IssuerURL: "http://127.0.0.1:1/ca/intermediate.pem", Logger: f.logger()}
	if fo.server != nil {
		fo.server(&o)
	}
	f.acme, err = acmeserver.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.acme.Close() })
	f.srv = httptest.NewTLSServer(f.acme)
	t.Cleanup(f.srv.Close)
	f.dir = f.srv.URL + "/acme/directory"
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
	return slog.New(slog.NewTextHandler(lockedWriter{&f.mu, &f.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// startHTTP01 serves /.well-known/acme-challenge/TOKEN from f.http01 and returns its port.
func (f *fixture) startHTTP01() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := strings.TrimPrefix(r.URL.Path, "/.well-known/acme-challenge/")
		f.mu.Lock()
		ka, ok := f.http01[token]
		f.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, ka)
	}), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	f.t.Cleanup(func() { srv.Close() })
	return ln.Addr().(*net.TCPAddr).Port
}

// startTLSALPN01 answers acme-tls/1 handshakes with the certificate registered for the SNI.
func (f *fixture) startTLSALPN01() int {
	cfg := &tls.Config{
		NextProtos: []string{"acme-tls/1"},
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			c, ok := f.alpn[hello.ServerName]
			if !ok {
				return nil, io.EOF
			}
			return &c, nil
		},
	}
	addr := testkit.ServeTCP(f.t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(10 * time.Second)) // the test's cleanup waits for this handler
		tc := tls.Server(c, cfg)
		tc.Handshake()
		tc.Close()
	})
	_, port, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(port)
	return n
}

// client is a golang.org/x/crypto/acme client with a fresh P-256 account key.
func (f *fixture) client() *xacme.Client {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.t.Fatal(err)
	}
	return &xacme.Client{Key: key, DirectoryURL: f.dir, HTTPClient: f.srv.Client(), UserAgent: "anchor-test"}
}

func (f *fixture) register(c *xacme.Client) *xacme.Account {
	f.t.Helper()
	a, err := c.Register(context.Background(), &xacme.Account{Contact: []string{"mailto:ops@example.com"}}, xacme.AcceptTOS)
	if err != nil {
		f.t.Fatalf("Register: %v", err)
	}
	return a
}

// solve answers every authorization of the order with the given challenge type and waits
// for them to validate.
func (f *fixture) solve(c *xacme.Client, o *xacme.Order, typ string) error {
	ctx := context.Background()
	for _, u := range o.AuthzURLs {
		z, err := c.GetAuthorization(ctx, u)
		if err != nil {
			return err
		}
		if z.Status == xacme.StatusValid {
			continue
		}
		var ch *xacme.Challenge
		for _, x := range z.Challenges {
			if x.Type == typ {
				ch = x
			}
		}
		if ch == nil {
			return &noChallenge{typ, z.Identifier.Value}
		}
		if err := f.publish(c, ch, z.Identifier.Value); err != nil {
			return err
		}
		if _, err := c.Accept(ctx, ch); err != nil {
			return err
		}
		if _, err := c.WaitAuthorization(ctx, z.URI); err != nil {
			return err
		}
	}
	return nil
}

type noChallenge struct{ typ, name string }

func (e *noChallenge) Error() string { return "no " + e.typ + " challenge for " + e.name }

func (f *fixture) publish(c *xacme.Client, ch *xacme.Challenge, name string) error {
	switch ch.Type {
	case "http-01":
		ka, err := c.HTTP01ChallengeResponse(ch.Token)
		if err != nil {
			return err
		}
		f.mu.Lock()
		f.http01[ch.Token] = ka
		f.mu.Unlock()
	case "dns-01":
		v, err := c.DNS01ChallengeRecord(ch.Token)
		if err != nil {
			return err
		}
		f.dns.Add(f.t, "_acme-challenge."+name+". 60 IN TXT \""+v+"\"")
	case "tls-alpn-01":
		cert, err := c.TLSALPN01ChallengeCert(ch.Token, name)
		if err != nil {
			return err
		}
		sni := name
		if ip := net.ParseIP(name); ip != nil {
			sni = reverseName(ip)
		}
		f.mu.Lock()
		f.alpn[sni] = cert
		f.mu.Unlock()
	}
	return nil
}

func reverseName(ip net.IP) string {
	v4 := ip.To4()
	return strconv.Itoa(int(v4[3])) + "." + strconv.Itoa(int(v4[2])) + "." + strconv.Itoa(int(v4[1])) + "." + strconv.Itoa(int(v4[0])) + ".in-addr.arpa"
}

// obtain runs a whole issuance for names with one challenge type and returns the chain.
func (f *fixture) obtain(c *xacme.Client, typ string, names ...string) ([][]byte, *xacme.Order, crypto.Signer) {
	f.t.Helper()
	ctx := context.Background()
	o, err := c.WaitOrder(ctx, f.authorized(c, typ, names...).URI)
	if err != nil {
		f.t.Fatalf("WaitOrder: %v", err)
	}
	key, csr := newCSR(f.t, names...)
	chain, _, err := c.CreateOrderCert(ctx, o.FinalizeURL, csr, true)
	if err != nil {
		f.t.Fatalf("CreateOrderCert: %v", err)
	}
	return chain, o, key
}

// authorized creates an order for names and proves them with a challenge of type typ.
func (f *fixture) authorized(c *xacme.Client, typ string, names ...string) *xacme.Order {
	f.t.Helper()
	o, err := c.AuthorizeOrder(context.Background(), xacme.DomainIDs(names...))
	if err != nil {
		f.t.Fatalf("AuthorizeOrder: %v", err)
	}
	if err := f.solve(c, o, typ); err != nil {
		f.t.Fatalf("solving %s: %v", typ, err)
	}
	return o
}

func newCSR(t *testing.T, names ...string) (crypto.Signer, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.CertificateRequest{}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	if len(names) > 0 && net.ParseIP(names[0]) == nil {
		tmpl.Subject = pkix.Name{CommonName: names[0]}
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		t.Fatal(err)
	}
	return key, der
}

// raw is a hand-made ACME request, for what x/crypto/acme will not send: replayed nonces,
// wrong URLs, foreign algorithms, ARI's replaces.
type raw struct {
	f   *fixture
	key crypto.Signer
	alg jose.SignatureAlgorithm
	kid string // "" embeds the JWK
}

func (f *fixture) nonce() string {
	f.t.Helper()
	resp, err := f.srv.Client().Head(f.srv.URL + "/acme/new-nonce")
	if err != nil {
		f.t.Fatal(err)
	}
	resp.Body.Close()
	n := resp.Header.Get("Replay-Nonce")
	if n == "" {
		f.t.Fatal("newNonce sent no Replay-Nonce")
	}
	return n
}

// sign returns the flattened JWS of payload (nil: POST-as-GET) for url with nonce.
func (r raw) sign(url string, payload any, nonce string) string {
	r.f.t.Helper()
	var body []byte
	if payload != nil {
		var err error
		if body, err = json.Marshal(payload); err != nil {
			r.f.t.Fatal(err)
		}
	}
	opts := (&jose.SignerOptions{}).WithHeader("url", url).WithHeader("nonce", nonce)
	if r.kid != "" {
		opts = opts.WithHeader("kid", r.kid)
	} else {
		opts.EmbedJWK = true
	}
	alg := r.alg
	if alg == "" {
		alg = jose.ES256
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: r.key}, opts)
	if err != nil {
		r.f.t.Fatal(err)
	}
	jws, err := signer.Sign(body)
	if err != nil {
		r.f.t.Fatal(err)
	}
	out := jws.FullSerialize()
	if len(body) == 0 { // go-jose omits an empty payload; POST-as-GET needs "payload": ""
		var m map[string]any
		json.Unmarshal([]byte(out), &m)
		m["payload"] = ""
		b, _ := json.Marshal(m)
		out = string(b)
	}
	return out
}

// post signs payload for url with nonce and sends it to target (default url).
func (r raw) post(url string, payload any, nonce string, target ...string) (*http.Response, []byte) {
	r.f.t.Helper()
	to := url
	if len(target) > 0 {
		to = target[0]
	}
	resp, err := r.f.srv.Client().Post(to, "application/jose+json", strings.NewReader(r.sign(url, payload, nonce)))
	if err != nil {
		r.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// serveRaw sends a signed request straight to handler h, as if it arrived over TLS.
func serveRaw(t *testing.T, h http.Handler, r raw, url string, payload any, nonce string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, url, strings.NewReader(r.sign(url, payload, nonce)))
	req.Header.Set("Content-Type", "application/jose+json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// problem decodes a problem document and checks its type and status.
func problem(t *testing.T, resp *http.Response, body []byte, wantType string, wantStatus int) map[string]any {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("status %d, body is not JSON: %q", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json (body %s)", ct, body)
	}
	if p["type"] != "urn:ietf:params:acme:error:"+wantType || resp.StatusCode != wantStatus {
		t.Fatalf("got %d %v, want %d %s: %s", resp.StatusCode, p["type"], wantStatus, wantType, body)
	}
	return p
}

// acmeError asserts that err is an ACME problem of the given type.
func acmeError(t *testing.T, err error, wantType string) *xacme.Error {
	t.Helper()
	ae, ok := err.(*xacme.Error)
	if !ok {
		if oe, ok2 := err.(*xacme.OrderError); ok2 {
			t.Fatalf("got an order error %v, want problem %s", oe, wantType)
		}
		t.Fatalf("got %T %v, want an ACME problem %s", err, err, wantType)
	}
	if ae.ProblemType != "urn:ietf:params:acme:error:"+wantType {
		t.Fatalf("got problem %s (%s), want %s", ae.ProblemType, ae.Detail, wantType)
	}
	return ae
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
