package tlsproxy_test

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/crl"
	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/keys"
	"github.com/anchorpki/anchor/lint"
	"github.com/anchorpki/anchor/names"
	"github.com/anchorpki/anchor/ocspresponder"
	"github.com/anchorpki/anchor/pemfile"
	"github.com/anchorpki/anchor/revocation"
	"github.com/anchorpki/anchor/store"
	"github.com/anchorpki/anchor/tlsproxy"
)

// pki is a real CA (root → intermediate, SQLite inventory) whose leaves point at a loopback
// HTTP server publishing its OCSP responder at /ocsp and fresh CRLs at /crl/*.crl, as
// `anchor serve` does.
type pki struct {
	t        testing.TB
	dir      string
	db       *store.DB
	h        *ca.Hierarchy
	auth     *ca.Authority
	roots    *x509.CertPool
	rootFile string
	base     string

	ocspDown, crlDown atomic.Bool
	ocspHits, crlHits atomic.Int64
	crlNumber         atomic.Int64
}

func newPKI(t testing.TB) *pki {
	t.Helper()
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pki{t: t, dir: t.TempDir(), base: "http://" + ln.Addr().String()}
	if p.db, err = store.Open(ctx, filepath.Join(p.dir, "anchor.db"), store.Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.db.Close() })
	l, err := lint.New(lint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.h, err = ca.NewHierarchy(ctx, ca.HierarchyOptions{Name: "Proxy Test", Linter: l, Inventory: p.db, BaseURL: p.base}); err != nil {
		t.Fatal(err)
	}
	layout := ca.Layout{Dir: filepath.Join(p.dir, "ca")}
	if err := layout.Save(p.h, nil); err != nil {
		t.Fatal(err)
	}
	loaded, err := layout.Load(ca.LoadOptions{Linter: l, BaseURL: p.base})
	if err != nil {
		t.Fatal(err)
	}
	if p.auth, err = ca.New(ca.Options{Inventory: p.db, Issuer: loaded.Issuer, Chain: []*x509.Certificate{loaded.Intermediate}}); err != nil {
		t.Fatal(err)
	}
	p.roots = x509.NewCertPool()
	p.roots.AddCert(p.h.Root)
	p.rootFile = layout.RootCert()

	signer, err := p.auth.NewOCSPSigner(ctx, ca.OCSPSignerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	responder, err := ocspresponder.New(ocspresponder.Options{Source: p.db, Issuers: []*x509.Certificate{loaded.Intermediate}, Signer: signer.ForIssuer})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/ocsp/", http.StripPrefix("/ocsp", p.down(&p.ocspDown, &p.ocspHits, responder)))
	mux.Handle("/ocsp", http.StripPrefix("/ocsp", p.down(&p.ocspDown, &p.ocspHits, responder)))
	mux.Handle("/crl/intermediate.crl", p.down(&p.crlDown, &p.crlHits, p.crlHandler(p.h.Intermediate, p.h.IntermediateKey)))
	mux.Handle("/crl/root.crl", p.down(&p.crlDown, &p.crlHits, p.crlHandler(p.h.Root, p.h.RootKey)))
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return p
}

// down answers 503 while the flag is set, as an unreachable publication point would fail.
func (p *pki) down(flag *atomic.Bool, hits *atomic.Int64, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if flag.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (p *pki) crlHandler(issuer *x509.Certificate, key crypto.Signer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		der, err := crl.Create(r.Context(), p.db, crl.Options{Issuer: issuer, Signer: key,
			Number: big.NewInt(p.crlNumber.Add(1)), ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(time.Hour)})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Write(der)
	})
}

type leaf struct {
	cert      *x509.Certificate
	chainFile string // leaf + intermediate, PEM
	keyFile   string
	tls       tls.Certificate
}

// issue has the authority issue a certificate of the profile for the names, and writes it.
func (p *pki) issue(profile string, sans ...string) *leaf {
	p.t.Helper()
	t := p.t
	k, err := keys.Generate(keys.ECP256, nil)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := names.ParseSANs(sans)
	if err != nil {
		t.Fatal(err)
	}
	subj, _ := asn1.Marshal(pkix.RDNSequence{{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: sans[0]}}})
	iss, err := p.auth.Issue(context.Background(), ca.Request{PublicKey: k.Public(), Subject: subj, SANs: parsed, Profile: profile, Requester: "test"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	l := &leaf{cert: iss.Certificate, chainFile: filepath.Join(dir, "chain.pem"), keyFile: filepath.Join(dir, "key.pem")}
	chain := append(pemfile.Encode("CERTIFICATE", iss.DER), pemfile.Encode("CERTIFICATE", p.h.Intermediate.Raw)...)
	keyPEM, err := keys.MarshalPEM(k)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, l.chainFile, chain)
	writeFile(t, l.keyFile, keyPEM)
	l.tls = tls.Certificate{Certificate: [][]byte{iss.DER, p.h.Intermediate.Raw}, PrivateKey: k, Leaf: iss.Certificate}
	return l
}

func (p *pki) revoke(l *leaf, reason revocation.Reason) {
	p.t.Helper()
	if _, err := p.auth.Revoke(context.Background(), l.cert.SerialNumber, reason, "test"); err != nil {
		p.t.Fatal(err)
	}
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// upstream is the plain-HTTP application: it answers with what it received, as JSON.
type seen struct {
	Host   string
	Path   string
	Proto  string
	Header http.Header
}

func startUpstream(t testing.TB) *url.URL {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(seen{Host: r.Host, Path: r.URL.Path, Proto: r.Proto, Header: r.Header})
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &url.URL{Scheme: "http", Host: ln.Addr().String()}
}

// waitFor polls cond for up to 10 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type running struct {
	p    *tlsproxy.Proxy
	addr string // 127.0.0.1:port
	port string
	logs *testkit.Buffer
	stop func() error // cancels Serve and returns its error
}

// startProxy serves o on a loopback port until the test ends.
func startProxy(t testing.TB, o tlsproxy.Options) *running {
	t.Helper()
	logs := &testkit.Buffer{}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	p, err := tlsproxy.New(o)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx, ln) }()
	var once sync.Once
	var serveErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case serveErr = <-done:
			case <-time.After(20 * time.Second):
				serveErr = errors.New("Serve did not return after cancel")
			}
		})
		return serveErr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	waitFor(t, "Addr", func() bool { return p.Addr() != nil })
	addr := p.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	return &running{p: p, addr: addr, port: port, logs: logs, stop: stop}
}

// client is a Go HTTPS client trusting roots, presenting certs, with h2 enabled.
func client(roots *x509.CertPool, certs ...tls.Certificate) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: roots, Certificates: certs},
		ForceAttemptHTTP2: true,
	}}
}

func getSeen(t testing.TB, c *http.Client, u string, header ...string) (*http.Response, seen, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, seen{}, err
	}
	defer resp.Body.Close()
	var s seen
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
			t.Fatalf("upstream answer: %v", err)
		}
	}
	return resp, s, nil
}

func logHas(logs *testkit.Buffer, parts ...string) bool {
	for _, line := range strings.Split(logs.String(), "\n") {
		ok := line != ""
		for _, p := range parts {
			ok = ok && strings.Contains(line, p)
		}
		if ok {
			return true
		}
	}
	return false
}

func jsonLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
