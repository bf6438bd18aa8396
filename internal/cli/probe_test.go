package cli_test

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/pemfile"
)

// probeAnchor is a data directory with a CA, a server certificate for localhost and 127.0.0.1
// (chain.pem, localhost.key) and a client certificate with an encrypted key (client-chain.pem,
// client.key, pass.txt).
func probeAnchor(t *testing.T) *anchor {
	t.Helper()
	a := newAnchor(t)
	a.ok("ca", "init", "--name", "Probe Corp")
	a.ok("issue", "localhost", "127.0.0.1", "--out-cert", "localhost.pem", "--out-key", "localhost.key", "--out-chain", "chain.pem")
	a.write("pass.txt", "probe pass\n")
	a.ok("issue", "alice@example.com", "--profile", "client", "--out-cert", "client.pem", "--out-chain", "client-chain.pem", "--out-key", "client.key",
		"--key-passphrase-file", "pass.txt")
	return a
}

// probeServe runs a TLS server on 127.0.0.1 with the chain of probeAnchor until the test ends,
// and returns its address. edit adjusts the configuration.
func probeServe(t *testing.T, a *anchor, edit func(*tls.Config)) string {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(a.path("chain.pem"), a.path("localhost.key"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}}
	if edit != nil {
		edit(cfg)
	}
	return testkit.ServeTCP(t, func(c net.Conn) {
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		tc := tls.Server(c, cfg)
		if tc.Handshake() == nil {
			io.Copy(io.Discard, tc)
		}
	})
}

// probeFingerprint is the SHA-256 of the first certificate in a PEM file, as openssl prints it.
func probeFingerprint(t *testing.T, path string) string {
	t.Helper()
	c, err := pemfile.ReadCertificate(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(c.Raw)
	var parts []string
	for _, b := range sum {
		parts = append(parts, strings.ToUpper(string("0123456789abcdef"[b>>4])+string("0123456789abcdef"[b&15])))
	}
	return strings.Join(parts, ":")
}

// probeJSON is the part of the --json output the tests read; decodeStrict-free on purpose, so
// that added fields do not break it.
type probeJSON struct {
	Address     string `json:"address"`
	ServerName  string `json:"server_name"`
	SNI         string `json:"sni"`
	Version     string `json:"version"`
	CipherSuite string `json:"cipher_suite"`
	ALPN        string `json:"alpn"`
	KeyExchange string `json:"key_exchange"`
	ClientAuth  struct {
		Requested     bool     `json:"requested"`
		AcceptableCAs []string `json:"acceptable_cas"`
		Sent          string   `json:"sent"`
	} `json:"client_auth"`
	Chain []struct {
		Subject  string `json:"subject"`
		Serial   string `json:"serial"`
		DaysLeft int    `json:"days_left"`
		SHA256   string `json:"sha256_fingerprint"`
	} `json:"chain"`
	OCSPStaple *struct {
		Status   string `json:"status"`
		Verified bool   `json:"verified"`
	} `json:"ocsp_staple"`
	Verdict struct {
		Valid  bool `json:"valid"`
		Checks []struct {
			Name   string `json:"check"`
			Status string `json:"status"`
		} `json:"checks"`
	} `json:"verdict"`
	Roots     string `json:"roots"`
	RootCount int    `json:"root_count"`
}

func TestProbeTextAndJSON(t *testing.T) {
	a := probeAnchor(t)
	// Staple an OCSP response signed by the intermediate, as a server with stapling does.
	_, loaded, _ := a.authority()
	leaf, err := pemfile.ReadCertificate(a.path("localhost.pem"))
	if err != nil {
		t.Fatal(err)
	}
	staple, err := ocsp.CreateResponse(loaded.Intermediate, loaded.Intermediate, ocsp.Response{Status: ocsp.Good,
		SerialNumber: leaf.SerialNumber, ThisUpdate: time.Now().Add(-time.Hour), NextUpdate: time.Now().Add(24 * time.Hour)},
		loaded.Issuer.Signer())
	if err != nil {
		t.Fatal(err)
	}
	addr := probeServe(t, a, func(c *tls.Config) { c.Certificates[0].OCSPStaple = staple })
	leafFP, interFP := probeFingerprint(t, a.path("localhost.pem")), probeFingerprint(t, a.path("anchor-data/ca/intermediate.pem"))

	out := a.ok("probe", addr, "--servername", "localhost")
	t.Logf("anchor probe output:\n%s", out)
	for _, want := range []string{
		addr + ": TLS 1.3, trusted\n",
		"  ALPN:          h2 (offered: h2, http/1.1)\n",
		"  SNI sent:      localhost\n",
		"  client cert:   not requested\n",
		"chain as sent (2 certificates):\n",
		"      SANs:    DNS:localhost, IP:127.0.0.1\n",
		"      sha256:  " + leafFP + "\n",
		"      sha256:  " + interFP + "\n",
		"      key:     ECDSA P-256\n",
		"OCSP staple: good (verified against the issuer)\n",
		"  roots: " + a.path("anchor-data/ca/root.pem") + " (1 certificate)\n",
		"  PASS  chain",
		"  PASS  hostname",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q", want)
		}
	}
	if !regexp.MustCompile(`\(expires in (89|90) days\)`).MatchString(out) {
		t.Error("text output does not say when the leaf expires")
	}
	if strings.Index(out, leafFP) > strings.Index(out, interFP) {
		t.Error("chain not printed in the order sent")
	}

	// Against roots that do not include this CA, the staple is signed by an issuer nothing vouches for.
	other := newAnchor(t)
	other.ok("ca", "init", "--name", "Other")
	untrusted := a.run("probe", addr, "--servername", "localhost", "--roots", other.path("anchor-data/ca/root.pem"))
	if untrusted.code != 1 || !strings.Contains(untrusted.stdout, "OCSP staple: good (signed by the issuer the server sent, which is not trusted)") {
		t.Errorf("untrusted chain: exit %d, staple line wrong:\n%s", untrusted.code, untrusted.stdout)
	}
	// A wrong host does not make the issuer untrusted.
	if r := a.run("probe", addr, "--servername", "www.example.org"); !strings.Contains(r.stdout, "OCSP staple: good (verified against the issuer)") {
		t.Errorf("wrong host changed the staple line:\n%s", r.stdout)
	}

	var got probeJSON
	if err := json.Unmarshal([]byte(a.ok("probe", addr, "--servername", "localhost", "--json")), &got); err != nil {
		t.Fatal(err)
	}
	if got.Address != addr || got.Version != "TLS 1.3" || got.ALPN != "h2" || got.SNI != "localhost" || got.KeyExchange == "" ||
		!got.Verdict.Valid || len(got.Chain) != 2 || got.Chain[0].SHA256 != leafFP || got.Chain[1].SHA256 != interFP ||
		got.Chain[0].Serial != strings.ToLower(got.Chain[0].Serial) || len(got.Chain[0].Serial)%2 != 0 ||
		got.OCSPStaple == nil || !got.OCSPStaple.Verified || got.OCSPStaple.Status != "good" ||
		got.Roots != a.path("anchor-data/ca/root.pem") || got.RootCount != 1 || len(got.Verdict.Checks) == 0 {
		t.Errorf("JSON report: %+v", got)
	}
}

func TestProbeExitCodes(t *testing.T) {
	a := probeAnchor(t)
	other := newAnchor(t)
	other.ok("ca", "init", "--name", "Other")
	addr := probeServe(t, a, nil)

	// Verdict fails: the report is printed, the failing check named on standard error.
	r := a.run("probe", addr, "--servername", "www.example.org")
	if r.code != 1 || !strings.Contains(r.stdout, "NOT TRUSTED (failed: hostname)") || !strings.Contains(r.stdout, "  FAIL  hostname") ||
		r.stderr != "anchor: certificate not trusted: hostname\n" {
		t.Errorf("wrong host: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = a.run("probe", addr, "--roots", other.path("anchor-data/ca/root.pem"), "--json")
	var got probeJSON
	if r.code != 1 || json.Unmarshal([]byte(r.stdout), &got) != nil || got.Verdict.Valid || !strings.Contains(r.stderr, "chain") {
		t.Errorf("untrusted root: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// An IP address is checked against IP SANs, and sent as no SNI.
	r = a.run("probe", addr)
	if r.code != 0 || !strings.Contains(r.stdout, "SNI sent:      none (127.0.0.1 is an IP address)") {
		t.Errorf("by IP address: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Connection failures: one line on standard error, nothing on standard output.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	r = a.run("probe", closed)
	if r.code != 1 || r.stdout != "" || r.stderr != "anchor: connecting to "+closed+": connection refused (nothing is listening there)\n" {
		t.Errorf("nothing listening: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close() // accepted by the kernel's backlog, never answered
	r = a.run("probe", silent.Addr().String(), "--timeout", "300ms")
	if r.code != 1 || r.stderr != "anchor: TLS handshake with "+silent.Addr().String()+": timed out\n" {
		t.Errorf("silent server: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Usage errors.
	for _, args := range [][]string{
		{"probe"},
		{"probe", "localhost"},
		{"probe", addr, addr},
		{"probe", addr, "--timeout", "0s"},
		{"probe", addr, "--client-cert", "client.pem"},
		{"probe", addr, "--client-key", "client.key"},
		{"probe", addr, "--passphrase-file", "pass.txt"},
		{"probe", addr, "--no-such-flag"},
	} {
		if r := a.run(args...); r.code != 2 {
			t.Errorf("anchor %s: exit %d, want 2\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	if out := a.ok("probe", "--help"); !strings.Contains(out, "anchor probe localhost:8443") {
		t.Errorf("--help lacks examples:\n%s", out)
	}
}

func TestProbeClientCertificate(t *testing.T) {
	a := probeAnchor(t)
	root, err := pemfile.ReadCertificate(a.path("anchor-data/ca/root.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(root)
	addr := probeServe(t, a, func(c *tls.Config) { c.ClientAuth, c.ClientCAs = tls.RequireAndVerifyClientCert, pool })

	r := a.run("probe", addr, "--servername", "localhost")
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "TLS handshake with "+addr+": the server sent alert") ||
		strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("without a client certificate: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = a.run("probe", addr, "--servername", "localhost", "--client-cert", "client.pem", "--client-key", "client.key")
	if r.code != 1 || !strings.Contains(r.stderr, "client.key") {
		t.Errorf("encrypted key without passphrase: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = a.run("probe", addr, "--servername", "localhost", "--client-cert", "localhost.pem", "--client-key", "client.key", "--passphrase-file", "pass.txt")
	if r.code != 1 || !strings.Contains(r.stderr, "is not the key of the certificate") {
		t.Errorf("mismatched key: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	out := a.ok("probe", addr, "--servername", "localhost", "--client-cert", "client-chain.pem", "--client-key", "client.key", "--passphrase-file", "pass.txt")
	for _, want := range []string{"  client cert:   requested; sent ", "    acceptable CA: " + root.Subject.String() + "\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestProbeAgreesWithOpenSSL checks the protocol, cipher suite, ALPN and leaf fingerprint
// against what openssl s_client sees on the same server.
func TestProbeAgreesWithOpenSSL(t *testing.T) {
	openssl := testkit.OpenSSL(t)
	a := probeAnchor(t)
	addr := probeServe(t, a, nil)
	var got probeJSON
	if err := json.Unmarshal([]byte(a.ok("probe", addr, "--servername", "localhost", "--json")), &got); err != nil {
		t.Fatal(err)
	}
	r := testkit.Exec(t, a.dir, nil, openssl, "s_client", "-connect", addr, "-servername", "localhost", "-alpn", "h2,http/1.1")
	if r.ExitCode != 0 {
		t.Fatalf("openssl s_client: %s", r.Combined())
	}
	for _, want := range []string{"ALPN protocol: " + got.ALPN + "\n", "New, TLSv1.3, Cipher is " + got.CipherSuite + "\n"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("openssl s_client output lacks %q:\n%s", want, r.Stdout)
		}
	}
	fp := testkit.Exec(t, a.dir, []byte(r.Stdout), openssl, "x509", "-noout", "-fingerprint", "-sha256")
	if want := "sha256 Fingerprint=" + got.Chain[0].SHA256 + "\n"; !strings.EqualFold(fp.Stdout, want) {
		t.Errorf("openssl sees leaf fingerprint %q, anchor probe %q", fp.Stdout, want)
	}
}
