package cli_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/anchorpki/anchor/internal/cli"
	"github.com/anchorpki/anchor/keys"
	"github.com/anchorpki/anchor/pemfile"
)

var update = flag.Bool("update", false, "regenerate testdata/verify: the fixtures and the golden outputs")

// verifyAt is the fixed clock of every verify test: the fixtures are valid (or not) around it.
const verifyAt = "2026-01-15T12:00:00Z"

var verifyT0 = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

const verifyFixtures = "testdata/verify"

// verifyCase is one golden run of `anchor verify`; fail names the check that must fail, or ""
// when the certificate must be trusted.
type verifyCase struct {
	name string
	args []string
	fail string
}

func verifyCases() []verifyCase {
	std := func(cert string, extra ...string) []string {
		return append([]string{cert, "--at", verifyAt, "--roots", "root.pem", "--intermediates", "inter.pem"}, extra...)
	}
	host := []string{"--host", "www.example.com"}
	return []verifyCase{
		{"valid", std("leaf.pem", host...), ""},
		{"expired-leaf", std("expired.pem", host...), "validity"},
		{"future-intermediate", []string{"future-leaf.pem", "--at", verifyAt, "--roots", "root.pem", "--intermediates", "future-inter.pem", "--host", "www.example.com"}, "validity"},
		{"wrong-host", std("leaf.pem", "--host", "other.example.org"), "hostname"},
		{"wrong-purpose", std("client.pem", "--purpose", "server"), "extended_key_usage"},
		{"untrusted-root", []string{"leaf.pem", "--at", verifyAt, "--roots", "other-root.pem", "--intermediates", "inter.pem"}, "chain"},
		{"missing-intermediate", []string{"leaf.pem", "--at", verifyAt, "--roots", "root.pem", "--intermediates", "empty.pem"}, "chain"},
		{"empty-roots", []string{"leaf.pem", "--at", verifyAt, "--roots", "empty.pem", "--intermediates", "inter.pem"}, "chain"},
		{"path-length", []string{"deep-leaf.pem", "--at", verifyAt, "--roots", "root.pem", "--intermediates", "deep-inters.pem"}, "path_length"},
		{"name-constraints", []string{"nc-leaf.pem", "--at", verifyAt, "--roots", "root.pem", "--intermediates", "nc-inter.pem", "--host", "www.example.com"}, "name_constraints"},
		{"revoked-crl", std("revoked-crl.pem", "--crl", "crls.pem"), "revocation_crl"},
		{"revoked-ocsp", std("revoked-ocsp.pem", "--ocsp"), "revocation_ocsp"},
		{"max-depth-0", std("leaf.pem", "--max-depth", "0"), "max_depth"},
		{"webpki", std("long.pem", append(host, "--profile", "webpki")...), "webpki:validity_period"},
	}
}

// TestVerifyGolden runs each case as text and as --json and compares the transcripts with
// testdata/verify/golden. With -update it first regenerates the fixtures, then the goldens.
// The failing check is asserted on the live output, so a regenerated golden cannot hide a
// regression.
func TestVerifyGolden(t *testing.T) {
	if *update {
		writeVerifyFixtures(t)
	}
	a := verifyAnchor(t)
	for _, tc := range verifyCases() {
		for _, asJSON := range []bool{false, true} {
			name, args := tc.name+".text", tc.args
			if asJSON {
				name, args = tc.name+".json", append(append([]string(nil), args...), "--json")
			}
			t.Run(name, func(t *testing.T) {
				r := a.run(append([]string{"verify"}, args...)...)
				wantCode := 0
				if tc.fail != "" {
					wantCode = 1
				}
				if r.code != wantCode {
					t.Fatalf("exit %d, want %d\n%s%s", r.code, wantCode, r.stdout, r.stderr)
				}
				if asJSON {
					checkVerifyJSON(t, r.stdout, tc.fail)
				} else {
					checkVerifyText(t, r.stdout, tc.fail)
				}
				checkVerifyStderr(t, r.stderr, tc.fail)
				transcript := fmt.Sprintf("$ anchor verify %s\nexit %d\n-- stdout --\n%s-- stderr --\n%s",
					strings.Join(args, " "), r.code, r.stdout, r.stderr)
				matchVerifyGolden(t, filepath.Join(verifyFixtures, "golden", name+".golden"), transcript)
			})
		}
	}
}

func checkVerifyText(t *testing.T, out, fail string) {
	t.Helper()
	if fail == "" {
		if !strings.Contains(out, ": trusted\n") || strings.Contains(out, "  FAIL  ") {
			t.Errorf("valid chain not reported trusted:\n%s", out)
		}
		return
	}
	if !strings.Contains(out, "NOT TRUSTED") {
		t.Errorf("no NOT TRUSTED verdict:\n%s", out)
	}
	if !strings.Contains(out, "\n  FAIL  "+fail+" ") && !strings.Contains(out, "\n  FAIL  "+fail+":") {
		t.Errorf("check %q not reported failing:\n%s", fail, out)
	}
}

// verdict is the part of the --json output the tests read.
type verdict struct {
	Valid  bool `json:"valid"`
	Checks []struct {
		Name   string `json:"check"`
		Status string `json:"status"`
	} `json:"checks"`
	Roots string `json:"roots"`
}

// lastVerdict decodes the JSON document that ends stdout: scripts read the verdict there.
func lastVerdict(t *testing.T, out string) verdict {
	t.Helper()
	start := strings.LastIndex(out, "\n{") // -1 when the JSON is all there is
	var v verdict
	dec := json.NewDecoder(strings.NewReader(out[start+1:]))
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("stdout does not end with JSON: %v\n%s", err, out)
	}
	if rest, _ := io.ReadAll(dec.Buffered()); strings.TrimSpace(string(rest)) != "" {
		t.Fatalf("output after the JSON verdict: %q", rest)
	}
	return v
}

func checkVerifyJSON(t *testing.T, out, fail string) {
	t.Helper()
	v := lastVerdict(t, out)
	if v.Valid != (fail == "") {
		t.Errorf("valid = %v, want %v", v.Valid, fail == "")
	}
	failed := false
	for _, c := range v.Checks {
		failed = failed || c.Name == fail && c.Status == "fail"
		if fail == "" && c.Status == "fail" {
			t.Errorf("valid chain has failing check %q", c.Name)
		}
	}
	if fail != "" && !failed {
		t.Errorf("check %q not failing in JSON:\n%s", fail, out)
	}
}

func checkVerifyStderr(t *testing.T, stderr, fail string) {
	t.Helper()
	if fail == "" {
		if stderr != "" {
			t.Errorf("stderr for a trusted certificate: %q", stderr)
		}
		return
	}
	if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "anchor: certificate not trusted: ") || !strings.Contains(stderr, fail) {
		t.Errorf("stderr %q: want one line naming %q", stderr, fail)
	}
}

func matchVerifyGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cli -run TestVerifyGolden -update)", err)
	}
	if string(want) != got {
		t.Errorf("output differs from %s (-update regenerates it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// verifyAnchor is an anchor runner whose directory holds a copy of the fixtures and whose
// --fetch-crl and --ocsp requests, whatever URL they name, reach a loopback server that serves
// the fixture CRLs and answers OCSP for the fixture intermediate.
func verifyAnchor(t *testing.T) *anchor {
	t.Helper()
	a := newAnchor(t)
	entries, err := os.ReadDir(verifyFixtures)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(verifyFixtures, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		a.write(e.Name(), string(b))
	}
	srv := httptest.NewServer(verifyServer(t, a))
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	var d net.Dialer
	cli.SetVerifyHTTPClient(t, &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
	}})
	return a
}

// crlFetches counts the CRL downloads of the loopback server.
var crlFetches atomic.Int64

func verifyServer(t *testing.T, a *anchor) http.Handler {
	t.Helper()
	inter := verifyCert(t, a.path("inter.pem"))
	revoked := verifyCert(t, a.path("revoked-ocsp.pem"))
	keyPEM, err := os.ReadFile(a.path("inter-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := keys.ParsePrivateKey(keyPEM, nil)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	serveFile := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			crlFetches.Add(1)
			b, _ := os.ReadFile(a.path(name))
			w.Write(b)
		}
	}
	mux.HandleFunc("GET /crl/root.crl", serveFile("root-crl.pem"))
	mux.HandleFunc("GET /crl/inter.crl", serveFile("inter-crl.der"))
	mux.HandleFunc("POST /ocsp", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, err := ocsp.ParseRequest(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		tmpl := ocsp.Response{Status: ocsp.Good, SerialNumber: req.SerialNumber,
			ThisUpdate: verifyT0.Add(-time.Hour), NextUpdate: verifyT0.AddDate(0, 0, 7)}
		if req.SerialNumber.Cmp(revoked.SerialNumber) == 0 {
			tmpl.Status, tmpl.RevokedAt, tmpl.RevocationReason = ocsp.Revoked, verifyT0.AddDate(0, 0, -3), ocsp.KeyCompromise
		}
		resp, err := ocsp.CreateResponse(inter, inter, tmpl, key)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/ocsp-response")
		w.Write(resp)
	})
	return mux
}

func verifyCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	c, err := pemfile.ReadCertificate(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestVerifyBehaviour covers the flags the goldens do not: inputs, defaults and usage errors.
func TestVerifyBehaviour(t *testing.T) {
	a := verifyAnchor(t)
	a.write("malformed.pem", "-----BEGIN CERTIFICATE-----\nnot base64 at all!!\n-----END CERTIFICATE-----\n")
	a.write("key-only.pem", string(verifyFile(t, a.path("inter-key.pem"))))
	roots := []string{"--at", verifyAt, "--roots", "root.pem"}
	with := func(cert string, extra ...string) []string {
		return append(append([]string{"verify", cert}, roots...), extra...)
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		substr []string // in stdout for exit 0 and 1 (the failing check), in stderr for exit 2
	}{
		{"bundle as CERT, empty --intermediates", with("chain.pem", "--intermediates", "empty.pem", "--host", "www.example.com"), 0, []string{"chain.pem: trusted"}},
		{"empty --crl", with("leaf.pem", "--intermediates", "inter.pem", "--crl", "empty.pem"), 0, []string{": trusted"}},
		{"repeated --crl, PEM and DER", with("revoked-crl.pem", "--intermediates", "inter.pem", "--crl", "root-crl.pem", "--crl", "inter-crl.der"), 1, []string{"FAIL  revocation_crl", "keyCompromise"}},
		{"--crl not revoked", with("leaf.pem", "--intermediates", "inter.pem", "--crl", "crls.pem"), 0, []string{"PASS  revocation_crl"}},
		{"--ocsp good", with("leaf.pem", "--intermediates", "inter.pem", "--ocsp"), 0, []string{"PASS  revocation_ocsp"}},
		{"--at with fractional seconds", []string{"verify", "leaf.pem", "--roots", "root.pem", "--intermediates", "inter.pem", "--at", "2026-01-15T12:00:00.123456789Z"}, 0, []string{"at:    2026-01-15T12:00:00.123456789Z"}},
		// RFC 5280 times have one-second resolution: within notAfter's second is still valid.
		{"--at fractional, within notAfter's second", []string{"verify", "expired.pem", "--roots", "root.pem", "--intermediates", "inter.pem", "--at", "2025-12-16T12:00:00.999Z"}, 0, []string{"PASS  validity"}},
		{"--at fractional, after notAfter's second", []string{"verify", "expired.pem", "--roots", "root.pem", "--intermediates", "inter.pem", "--at", "2025-12-16T12:00:01.5Z"}, 1, []string{"FAIL  validity"}},
		{"--at with an offset", []string{"verify", "leaf.pem", "--roots", "root.pem", "--intermediates", "inter.pem", "--at", "2026-01-15T13:00:00+01:00"}, 0, []string{"at:    2026-01-15T12:00:00Z"}},
		{"--eku dotted OID allowed", with("client.pem", "--intermediates", "inter.pem", "--eku", "1.3.6.1.5.5.7.3.2"), 0, []string{"PASS  extended_key_usage"}},
		{"--eku dotted OID missing", with("leaf.pem", "--intermediates", "inter.pem", "--eku", "1.3.6.1.5.5.7.3.2"), 1, []string{"FAIL  extended_key_usage"}},
		{"--eku overrides the host's serverAuth", with("client.pem", "--intermediates", "inter.pem", "--host", "www.example.com", "--eku", "clientAuth"), 0, []string{"PASS  hostname"}},
		{"--purpose and --eku: both required", with("leaf.pem", "--intermediates", "inter.pem", "--purpose", "server", "--eku", "clientAuth"), 1, []string{"FAIL  extended_key_usage", "clientAuth"}},
		{"--purpose client", with("client.pem", "--intermediates", "inter.pem", "--purpose", "client"), 0, []string{": trusted"}},
		{"--purpose any", with("client.pem", "--intermediates", "inter.pem", "--purpose", "any"), 0, []string{": trusted"}},
		{"--max-depth 1", with("leaf.pem", "--intermediates", "inter.pem", "--max-depth", "1"), 0, []string{"PASS  max_depth"}},
		{"--max-depth 0 without intermediates", with("leaf.pem", "--intermediates", "inter.pem", "--max-depth", "0"), 1, []string{"FAIL  max_depth"}},
		{"--email", with("client.pem", "--intermediates", "inter.pem", "--email", "bob@example.com", "--purpose", "client"), 1, []string{"FAIL  email"}},
		{"bad --at", with("leaf.pem", "--at", "yesterday"), 2, []string{"--at", "yesterday"}},
		{"--at without a zone", with("leaf.pem", "--at", "2026-01-15T12:00:00"), 2, []string{"--at"}},
		{"bad --purpose", with("leaf.pem", "--purpose", "web"), 2, []string{"--purpose", "web"}},
		{"bad --eku", with("leaf.pem", "--eku", "serverAuth,nonsense"), 2, []string{"--eku", "nonsense"}},
		{"bad --profile", with("leaf.pem", "--profile", "browser"), 2, []string{"--profile", "browser"}},
		{"negative --max-depth", with("leaf.pem", "--max-depth", "-1"), 2, []string{"--max-depth"}},
		{"bad --max-depth", with("leaf.pem", "--max-depth", "two"), 2, []string{"max-depth"}},
		{"--purpose any with --eku", with("leaf.pem", "--purpose", "any", "--eku", "serverAuth"), 2, []string{"--purpose any"}},
		{"--purpose any with --host accepts a client certificate", with("client.pem", "--intermediates", "inter.pem", "--purpose", "any", "--host", "www.example.com"), 0, []string{"PASS  hostname"}},
		{"no CERT", []string{"verify", "--roots", "root.pem"}, 2, []string{"arg"}},
		{"malformed CERT", with("malformed.pem"), 1, []string{"malformed.pem"}},
		{"empty CERT", with("empty.pem"), 1, []string{"empty.pem", "no certificate"}},
		{"missing CERT", with("no-such.pem"), 1, []string{"no-such.pem"}},
		{"a key as CERT", with("key-only.pem"), 1, []string{"key-only.pem", "PRIVATE KEY"}},
		{"malformed --roots", []string{"verify", "leaf.pem", "--roots", "malformed.pem"}, 1, []string{"malformed.pem"}},
		{"malformed --intermediates", with("leaf.pem", "--intermediates", "malformed.pem"), 1, []string{"malformed.pem"}},
		{"certificates as --crl", with("leaf.pem", "--crl", "root.pem"), 1, []string{"root.pem", "CRL"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := a.run(tc.args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, tc.code, r.stdout, r.stderr)
			}
			where := r.stdout
			if tc.code == 2 || r.stdout == "" {
				where = r.stderr
			}
			for _, s := range tc.substr {
				if !strings.Contains(where, s) {
					t.Errorf("output lacks %q:\n%s%s", s, r.stdout, r.stderr)
				}
			}
			if tc.code != 0 && strings.Count(r.stderr, "anchor: ") != 1 {
				t.Errorf("want one error line on stderr, got %q", r.stderr)
			}
		})
	}
}

func verifyFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerifyStdin(t *testing.T) {
	a := verifyAnchor(t)
	r := a.runStdin(verifyFile(t, a.path("chain.pem")), "verify", "-", "--at", verifyAt, "--roots", "root.pem", "--json")
	if r.code != 0 || !lastVerdict(t, r.stdout).Valid {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = a.runStdin([]byte("garbage"), "verify", "-", "--roots", "root.pem")
	if r.code != 1 || !strings.Contains(r.stderr, "standard input") {
		t.Fatalf("garbage on stdin: exit %d: %s", r.code, r.stderr)
	}
}

// --fetch-crl downloads both CRLs of the chain (the leaf's from the intermediate, the
// intermediate's from the root) from the distribution points in the fixtures.
func TestVerifyFetchCRL(t *testing.T) {
	a := verifyAnchor(t)
	before := crlFetches.Load()
	r := a.run("verify", "leaf.pem", "--at", verifyAt, "--roots", "root.pem", "--intermediates", "inter.pem", "--fetch-crl", "--json")
	if r.code != 0 || !lastVerdict(t, r.stdout).Valid {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n := crlFetches.Load() - before; n != 2 {
		t.Errorf("%d CRL downloads, want 2", n)
	}
	r = a.run("verify", "revoked-crl.pem", "--at", verifyAt, "--roots", "root.pem", "--intermediates", "inter.pem", "--fetch-crl")
	if r.code != 1 || !strings.Contains(r.stdout, "FAIL  revocation_crl") || !strings.Contains(r.stderr, "revocation_crl") {
		t.Fatalf("revoked leaf: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// Without --roots: the local CA's root when there is one, else the system roots; with
// --roots, never the system roots.
func TestVerifyDefaultRoots(t *testing.T) {
	t.Run("local CA", func(t *testing.T) {
		a := newAnchor(t)
		a.ok("ca", "init")
		a.ok("issue", "svc.test", "--out-cert", "svc.pem", "--out-key", "svc.key", "--out-chain", "svc-chain.pem")
		out := a.ok("verify", "svc-chain.pem", "--host", "svc.test")
		if !strings.Contains(out, "roots: "+filepath.Join(a.dir, "anchor-data", "ca", "root.pem")+" (1 certificate)") {
			t.Errorf("roots not reported as the local CA's:\n%s", out)
		}
	})
	t.Run("system", func(t *testing.T) {
		a := verifyAnchor(t)
		t.Setenv("SSL_CERT_FILE", a.path("root.pem"))
		t.Setenv("SSL_CERT_DIR", t.TempDir())
		out := a.ok("verify", "chain.pem", "--at", verifyAt)
		if !strings.Contains(out, "roots: system (1 certificate)") {
			t.Errorf("roots not reported as system:\n%s", out)
		}
		r := a.run("verify", "chain.pem", "--at", verifyAt, "--roots", "other-root.pem")
		if r.code != 1 || !strings.Contains(r.stderr, "chain") {
			t.Errorf("--roots fell back to the system roots: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}

// openssl agrees with the verdicts on the valid and the expired leaf.
func TestVerifyAgreesWithOpenSSL(t *testing.T) {
	a := verifyAnchor(t)
	for _, tc := range []struct {
		cert  string
		valid bool
	}{{"leaf.pem", true}, {"expired.pem", false}} {
		r := a.openssl("verify", "-attime", fmt.Sprint(verifyT0.Unix()), "-CAfile", "root.pem", "-untrusted", "inter.pem", tc.cert)
		ours := a.run("verify", tc.cert, "--at", verifyAt, "--roots", "root.pem", "--intermediates", "inter.pem")
		if (r.ExitCode == 0) != tc.valid || (ours.code == 0) != tc.valid {
			t.Errorf("%s: openssl exit %d, anchor exit %d, want valid=%v\n%s%s", tc.cert, r.ExitCode, ours.code, tc.valid, r.Combined(), ours.stdout)
		}
	}
}

func TestVerifyHelp(t *testing.T) {
	out := newAnchor(t).ok("verify", "--help")
	for _, want := range []string{"Examples:", "--purpose any", "--roots", "--max-depth", "--fetch-crl"} {
		if !strings.Contains(out, want) {
			t.Errorf("verify --help lacks %q", want)
		}
	}
}

// --- fixture generator: runs only with -update ---

// verifyFixture is a certificate with its key.
type verifyFixture struct {
	cert *x509.Certificate
	key  crypto.Signer
}

const (
	crlURLRoot  = "http://127.0.0.1:1/crl/root.crl"
	crlURLInter = "http://127.0.0.1:1/crl/inter.crl"
	ocspURL     = "http://127.0.0.1:1/ocsp"
)

// writeVerifyFixtures builds every certificate and CRL the verify tests use, valid or broken
// relative to verifyAt, and writes them as PEM into testdata/verify. The URLs in them are fixed
// and unreachable on purpose; the tests route them to a loopback server.
func writeVerifyFixtures(t *testing.T) {
	t.Helper()
	serial := int64(0x1000)
	issue := func(tmpl *x509.Certificate, parent *verifyFixture) *verifyFixture {
		t.Helper()
		k, err := keys.Generate(keys.ECP256, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		serial++
		tmpl.SerialNumber = big.NewInt(serial)
		tmpl.BasicConstraintsValid = true
		if tmpl.IsCA {
			tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
			if tmpl.NotBefore.IsZero() {
				tmpl.NotBefore, tmpl.NotAfter = verifyT0.AddDate(-1, 0, 0), verifyT0.AddDate(10, 0, 0)
			}
		} else {
			tmpl.KeyUsage = x509.KeyUsageDigitalSignature
			if tmpl.ExtKeyUsage == nil {
				tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
			}
			if tmpl.DNSNames == nil && tmpl.EmailAddresses == nil {
				tmpl.DNSNames = []string{"www.example.com"}
			}
			if tmpl.Subject.CommonName == "" {
				tmpl.Subject.CommonName = tmpl.DNSNames[0]
			}
			if tmpl.NotBefore.IsZero() {
				tmpl.NotBefore, tmpl.NotAfter = verifyT0.AddDate(0, 0, -30), verifyT0.AddDate(0, 0, 60)
			}
		}
		parentCert, parentKey := tmpl, k
		if parent != nil {
			parentCert, parentKey = parent.cert, parent.key
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, k.Public(), parentKey)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return &verifyFixture{c, k}
	}
	ca := func(cn string, pathLen int) *x509.Certificate {
		return &x509.Certificate{Subject: pkix.Name{CommonName: cn, Organization: []string{"Anchor Tests"}},
			IsCA: true, MaxPathLen: pathLen, MaxPathLenZero: pathLen == 0}
	}
	// Leaves of the main intermediate name its CRL and OCSP responder, as a real CA's would.
	leaf := func() *x509.Certificate {
		return &x509.Certificate{CRLDistributionPoints: []string{crlURLInter}, OCSPServer: []string{ocspURL}}
	}

	root := issue(ca("Anchor Test Root", -1), nil)
	otherRoot := issue(ca("Other Test Root", -1), nil)
	interT := ca("Anchor Test Intermediate", 0)
	interT.NotBefore, interT.NotAfter = verifyT0.AddDate(-1, 0, 0), verifyT0.AddDate(5, 0, 0)
	interT.CRLDistributionPoints = []string{crlURLRoot}
	inter := issue(interT, root)

	good := issue(leaf(), inter)
	expiredT := leaf()
	expiredT.NotBefore, expiredT.NotAfter = verifyT0.AddDate(0, 0, -120), verifyT0.AddDate(0, 0, -30)
	expired := issue(expiredT, inter)
	clientT := leaf()
	clientT.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	client := issue(clientT, inter)
	revokedCRL := issue(leaf(), inter)
	revokedOCSP := issue(leaf(), inter)
	longT := leaf()
	longT.NotBefore, longT.NotAfter = verifyT0.AddDate(0, 0, -30), verifyT0.AddDate(2, 0, 0)
	long := issue(longT, inter)

	futureT := ca("Anchor Future Intermediate", 0)
	futureT.NotBefore, futureT.NotAfter = verifyT0.AddDate(0, 0, 1), verifyT0.AddDate(5, 0, 0)
	future := issue(futureT, root)
	futureLeaf := issue(&x509.Certificate{}, future)

	sub := issue(ca("Anchor Test Sub-Intermediate", -1), inter) // inter allows no CA below it
	deepLeaf := issue(&x509.Certificate{}, sub)

	ncT := ca("Anchor Constrained Intermediate", 0)
	ncT.PermittedDNSDomains, ncT.PermittedDNSDomainsCritical = []string{"internal.example"}, true
	nc := issue(ncT, root)
	ncLeaf := issue(&x509.Certificate{}, nc)

	crl := func(issuer *verifyFixture, revoked ...*verifyFixture) []byte {
		t.Helper()
		var entries []x509.RevocationListEntry
		for _, r := range revoked {
			entries = append(entries, x509.RevocationListEntry{SerialNumber: r.cert.SerialNumber,
				RevocationTime: verifyT0.AddDate(0, 0, -2), ReasonCode: 1}) // keyCompromise
		}
		der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(1),
			ThisUpdate: verifyT0.AddDate(0, 0, -1), NextUpdate: verifyT0.AddDate(0, 0, 30),
			RevokedCertificateEntries: entries}, issuer.cert, issuer.key)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	rootCRL, interCRL := crl(root), crl(inter, revokedCRL)

	pemOf := func(fs ...*verifyFixture) []byte {
		var b []byte
		for _, f := range fs {
			b = append(b, pemfile.Encode("CERTIFICATE", f.cert.Raw)...)
		}
		return b
	}
	interKey, err := keys.MarshalPEM(inter.key)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"root.pem": pemOf(root), "other-root.pem": pemOf(otherRoot), "inter.pem": pemOf(inter),
		"inter-key.pem": interKey, // signs the test's OCSP responses
		"leaf.pem":      pemOf(good), "chain.pem": pemOf(good, inter), "expired.pem": pemOf(expired),
		"client.pem": pemOf(client), "revoked-crl.pem": pemOf(revokedCRL), "revoked-ocsp.pem": pemOf(revokedOCSP),
		"long.pem": pemOf(long), "future-inter.pem": pemOf(future), "future-leaf.pem": pemOf(futureLeaf),
		"deep-inters.pem": pemOf(inter, sub), "deep-leaf.pem": pemOf(deepLeaf),
		"nc-inter.pem": pemOf(nc), "nc-leaf.pem": pemOf(ncLeaf),
		"root-crl.pem":  pemfile.Encode("X509 CRL", rootCRL),
		"inter-crl.der": interCRL,
		"crls.pem":      append(pemfile.Encode("X509 CRL", rootCRL), pemfile.Encode("X509 CRL", interCRL)...),
		"empty.pem":     nil,
	}
	if err := os.MkdirAll(verifyFixtures, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(verifyFixtures, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	readme := "Fixtures of internal/cli/verify_test.go, valid or broken relative to " + verifyAt + ".\n" +
		"Generated by writeVerifyFixtures: go test ./internal/cli -run TestVerifyGolden -update\n" +
		"(which also rewrites golden/). inter-key.pem is a throwaway test key; it signs OCSP answers.\n"
	if err := os.WriteFile(filepath.Join(verifyFixtures, "README"), []byte(readme), 0o644); err != nil {
		t.Fatal(err)
	}
}
