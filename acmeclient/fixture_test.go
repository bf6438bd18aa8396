package acmeclient_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anchorpki/anchor/acmeclient"
	"github.com/anchorpki/anchor/acmeserver"
	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/challenge"
	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/internal/testkit/catest"
	"github.com/anchorpki/anchor/internal/testkit/dnsserver"
	"github.com/anchorpki/anchor/pemfile"
	"github.com/anchorpki/anchor/store"
)

// fixture is a real ACME server (hierarchy, SQLite store, validator) on an httptest TLS
// server, with an authoritative DNS server on 127.0.0.1 where every test name resolves to
// 127.0.0.1. The validator connects to http01Port and alpnPort, where the client under test
// runs its standalone servers (or the test its webroot server).
type fixture struct {
	t         *testing.T
	db        *store.DB
	auth      *ca.Authority
	srv       *httptest.Server
	dns       *dnsserver.Server
	dir       string // directory URL
	roots     string // PEM file of the server's certificate, for Options.RootsFile
	http01    int
	alpn      int
	noARI     bool // hide renewalInfo from the directory
	logs      testkit.Buffer
	hookCalls testkit.Buffer // the dns hook's calls, one per line
}

type fixtureOptions struct {
	eabRequired bool
	noARI       bool
}

var testNames = []string{"a.test", "b.test", "c.test", "w.test", "web.test", "alpn.test", "dns.test"}

func newFixture(t *testing.T, fo fixtureOptions) *fixture {
	t.Helper()
	f := &fixture{t: t, noARI: fo.noARI}
	c := catest.New(t, catest.Options{Name: "ACME Client Test"})
	f.db, f.auth = c.DB, c.Authority
	pol := c.Policy
	f.dns = dnsserver.Start(t)
	for _, n := range testNames {
		f.dns.Add(t, n+". 60 IN A 127.0.0.1")
	}
	f.http01, f.alpn = testkit.FreePort(t), testkit.FreePort(t)
	v, err := challenge.New(challenge.Options{HTTP01Port: f.http01, TLSALPN01Port: f.alpn, Resolver: f.dns.Addr, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s, err := acmeserver.New(acmeserver.Options{Store: f.db, Authority: f.auth, Validator: v, Policy: pol, EABRequired: fo.eabRequired,
		TermsOfService: "https://anchor.test/tos", Logger: slog.New(slog.NewTextHandler(&f.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f.srv = httptest.NewTLSServer(f.hideARI(s))
	t.Cleanup(f.srv.Close)
	f.dir = f.srv.URL + "/acme/directory"
	f.roots = filepath.Join(t.TempDir(), "roots.pem")
	if err := os.WriteFile(f.roots, pemfile.Encode("CERTIFICATE", f.srv.Certificate().Raw), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("ACME server log:\n%s", f.logs.String())
		}
	})
	return f
}

// hideARI removes renewalInfo from the directory when f.noARI, as a server without RFC 9773.
func (f *fixture) hideARI(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !f.noARI || r.URL.Path != "/acme/directory" {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		var d map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
			f.t.Errorf("directory: %v", err)
		}
		delete(d, "renewalInfo")
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(d)
	})
}

// client is an acmeclient over dir, trusting the fixture's TLS certificate.
func (f *fixture) client(dir string, mod ...func(*acmeclient.Options)) *acmeclient.Client {
	f.t.Helper()
	o := acmeclient.Options{Dir: dir, RootsFile: f.roots, Logger: slog.New(slog.NewTextHandler(&f.logs, nil))}
	for _, m := range mod {
		m(&o)
	}
	c, err := acmeclient.New(o)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *fixture) request(ch acmeclient.Challenge, domains ...string) acmeclient.ObtainRequest {
	return acmeclient.ObtainRequest{Directory: f.dir, Domains: domains, Challenge: ch, Email: "ops@example.com"}
}

func (f *fixture) standaloneHTTP01() acmeclient.Challenge {
	return acmeclient.Challenge{Type: "http-01", Port: f.http01, Address: "127.0.0.1"}
}

// serveDir serves dir over plain HTTP on the validator's http-01 port: a web server whose
// document root the webroot solver writes into.
func (f *fixture) serveDir(dir string) {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", itoa(f.http01)))
	if err != nil {
		f.t.Fatal(err)
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(dir)), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	f.t.Cleanup(func() { srv.Close() })
}

// dnsHook is a command line that runs this test binary as the dns-01 hook (see TestMain): it
// reports each call to a loopback endpoint, which records it and, for "present", publishes
// the TXT record before answering, so the record exists when the hook returns.
func (f *fixture) dnsHook() string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		args := strings.Fields(string(b))
		if len(args) != 3 {
			http.Error(w, "want action fqdn value", http.StatusBadRequest)
			return
		}
		f.hookCalls.Write([]byte(strings.Join(args, " ") + "\n"))
		if args[0] == "present" {
			f.dns.Add(f.t, args[1]+" 60 IN TXT \""+args[2]+"\"")
		}
	}))
	f.t.Cleanup(srv.Close)
	exe, err := os.Executable()
	if err != nil {
		f.t.Fatal(err)
	}
	return "'" + exe + "' " + hookArg + " " + srv.URL
}

// hookArg as the first argument makes the test binary act as a dns-01 hook.
const hookArg = "acmeclient-test-dns-hook"

func TestMain(m *testing.M) {
	if len(os.Args) == 5+1 && os.Args[1] == hookArg { // URL action fqdn value
		resp, err := http.Post(os.Args[2], "text/plain", strings.NewReader(strings.Join(os.Args[3:], " ")))
		if err != nil || resp.StatusCode != http.StatusOK {
			os.Stderr.WriteString("dns hook: publishing failed\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}
