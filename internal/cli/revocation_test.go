package cli_test

import (
	"context"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/ocspresponder"
	"github.com/anchorpki/anchor/pemfile"
)

// serial reads the hex serial of a certificate file, as `anchor list` prints it.
func serialOf(t *testing.T, path string) string {
	t.Helper()
	c, err := pemfile.ReadCertificate(path)
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(c.SerialNumber.Bytes())
}

// Acceptance 1: openssl verify -crl_check with anchor's CRL rejects the revoked certificate and
// accepts the good one; openssl crl -verify accepts the CRL.
func TestCRLWithOpenSSL(t *testing.T) {
	a := newAnchor(t)
	a.ok("ca", "init", "--url", "http://127.0.0.1:1")
	a.ok("issue", "good.example", "--out-cert", "good.pem", "--out-key", "good.key")
	a.ok("issue", "bad.example", "--out-cert", "bad.pem", "--out-key", "bad.key")
	a.ok("issue", "held.example", "--out-cert", "held.pem", "--out-key", "held.key")
	out := a.ok("revoke", serialOf(t, a.path("bad.pem")), "--reason", "keyCompromise")
	if !strings.Contains(out, "reason keyCompromise") {
		t.Fatalf("revoke output: %s", out)
	}
	a.ok("revoke", "--cert", "held.pem", "--reason", "certificateHold")

	var first struct{ Number string }
	if err := json.Unmarshal([]byte(a.ok("crl", "create", "--out", "crl.pem", "--json")), &first); err != nil {
		t.Fatal(err)
	}
	root, inter := "anchor-data/ca/root.pem", "anchor-data/ca/intermediate.pem"
	chain := a.path("cafile.pem")
	caPEM, _ := os.ReadFile(a.path(root))
	interPEM, _ := os.ReadFile(a.path(inter))
	if err := os.WriteFile(chain, append(caPEM, interPEM...), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := a.openssl("crl", "-in", "crl.pem", "-noout", "-verify", "-CAfile", "cafile.pem"); r.ExitCode != 0 || !strings.Contains(r.Combined(), "verify OK") {
		t.Fatalf("openssl crl -verify: %s", r.Combined())
	}
	text := a.openssl("crl", "-in", "crl.pem", "-noout", "-text").Stdout
	for _, want := range []string{"Key Compromise", "Certificate Hold", "X509v3 Authority Key Identifier", "X509v3 CRL Number", "Next Update",
		strings.ToUpper(serialOf(t, a.path("bad.pem")))} {
		if !strings.Contains(strings.ToUpper(text), strings.ToUpper(want)) {
			t.Errorf("CRL text lacks %q:\n%s", want, text)
		}
	}
	verify := func(cert string) testkit.Result {
		return a.openssl("verify", "-crl_check", "-CAfile", root, "-untrusted", inter, "-CRLfile", "crl.pem", cert)
	}
	if r := verify("good.pem"); r.ExitCode != 0 {
		t.Fatalf("openssl verify -crl_check rejected the good certificate: %s", r.Combined())
	}
	for _, revoked := range []string{"bad.pem", "held.pem"} {
		if r := verify(revoked); r.ExitCode == 0 || !strings.Contains(r.Combined(), "certificate revoked") {
			t.Fatalf("openssl verify -crl_check on %s: exit %d: %s", revoked, r.ExitCode, r.Combined())
		}
	}

	// Releasing the hold takes the certificate off the next CRL, whose number is larger.
	a.ok("revoke", "--cert", "held.pem", "--reason", "removeFromCRL")
	var second struct{ Number string }
	if err := json.Unmarshal([]byte(a.ok("crl", "create", "--json")), &second); err != nil { // default: DER in the data directory
		t.Fatal(err)
	}
	if len(second.Number) < len(first.Number) || (len(second.Number) == len(first.Number) && second.Number <= first.Number) {
		t.Fatalf("CRL number %s does not follow %s", second.Number, first.Number)
	}
	der := "anchor-data/crl/intermediate.crl"
	if r := a.openssl("crl", "-in", der, "-inform", "DER", "-out", "crl2.pem"); r.ExitCode != 0 {
		t.Fatalf("openssl reads the DER CRL: %s", r.Combined())
	}
	if r := a.openssl("verify", "-crl_check", "-CAfile", root, "-untrusted", inter, "-CRLfile", "crl2.pem", "held.pem"); r.ExitCode != 0 {
		t.Fatalf("released certificate still rejected: %s", r.Combined())
	}
	if r := a.openssl("verify", "-crl_check", "-CAfile", root, "-untrusted", inter, "-CRLfile", "crl2.pem", "bad.pem"); r.ExitCode == 0 {
		t.Fatal("keyCompromise revocation vanished from the second CRL")
	}
}

func TestRevokeCommand(t *testing.T) {
	a := newAnchor(t)
	a.ok("ca", "init")
	a.ok("issue", "a.example", "--out-cert", "a.pem", "--out-key", "a.key")
	serial := serialOf(t, a.path("a.pem"))

	var first struct {
		Serial    string `json:"serial"`
		Reason    string `json:"reason"`
		RevokedAt string `json:"revoked_at"`
		Already   bool   `json:"already_revoked"`
	}
	if err := json.Unmarshal([]byte(a.ok("revoke", serial, "--reason", "superseded", "--json")), &first); err != nil {
		t.Fatal(err)
	}
	if first.Reason != "superseded" || first.Already || first.Serial != serial {
		t.Fatalf("first revocation: %+v", first)
	}
	// Twice: reported, exit 0, the first reason and time stand.
	out := a.ok("revoke", "--cert", "a.pem", "--reason", "keyCompromise")
	if !strings.Contains(out, "already revoked") || !strings.Contains(out, "superseded") {
		t.Fatalf("second revocation output: %s", out)
	}
	if list := a.ok("list", "--status", "revoked"); !strings.Contains(list, serial) {
		t.Fatalf("revoked certificate not listed as revoked:\n%s", list)
	}
	// Colons and upper case, as openssl prints serials, are accepted.
	colons := strings.ToUpper(serial)
	if r := a.run("revoke", "0x"+colons); r.code != 0 {
		t.Fatalf("revoke 0x%s: %d %s", colons, r.code, r.stderr)
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"revoke", "abcdef0123"}, 1, "no certificate with serial abcdef0123"},
		{[]string{"revoke", "xyz"}, 2, "invalid serial"},
		{[]string{"revoke", serial, "--reason", "bogus"}, 2, "bogus"},
		{[]string{"revoke"}, 2, "give a SERIAL or --cert"},
		{[]string{"revoke", serial, "--cert", "a.pem"}, 2, "one of them"},
		{[]string{"revoke", "--cert", "missing.pem"}, 1, "missing.pem"},
	} {
		r := a.run(tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") > 1 {
			t.Errorf("anchor %v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, r.code, r.stderr, tc.code, tc.want)
		}
	}
	// A certificate from another CA is refused by its key identifier, not revoked by serial luck.
	b := newAnchor(t)
	b.ok("ca", "init")
	b.ok("issue", "other.example", "--out-cert", "other.pem", "--out-key", "other.key")
	foreign, _ := os.ReadFile(b.path("other.pem"))
	a.write("other.pem", string(foreign))
	if r := a.run("revoke", "--cert", "other.pem"); r.code != 1 || !strings.Contains(r.stderr, "not issued by this CA") {
		t.Fatalf("foreign certificate: %d %s", r.code, r.stderr)
	}
}

// startOCSP runs the inventory-backed responder of the data directory on ln, as `anchor serve`
// mounts it: OCSP at /ocsp, signed by the CA's delegated responder certificate.
func startOCSP(t *testing.T, a *anchor, ln net.Listener) {
	t.Helper()
	ctx := context.Background()
	auth, loaded, db := a.authority()
	signer, err := auth.NewOCSPSigner(ctx, ca.OCSPSignerOptions{Layout: ca.Layout{Dir: a.path("anchor-data")}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ocspresponder.New(ocspresponder.Options{Source: db, Issuers: []*x509.Certificate{loaded.Intermediate}, Signer: signer.ForIssuer})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.StripPrefix("/ocsp", resp)}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

// Acceptance 2: openssl ocsp reports good, then revoked right after `anchor revoke`, with no
// refresh step in between; `anchor ocsp check` agrees.
func TestOCSPWithOpenSSL(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	a := newAnchor(t)
	a.ok("ca", "init", "--url", base)
	a.ok("issue", "svc.example", "--out-cert", "svc.pem", "--out-key", "svc.key", "--out-chain", "svc-chain.pem")
	startOCSP(t, a, ln)
	inter, root := "anchor-data/ca/intermediate.pem", "anchor-data/ca/root.pem"

	ask := func() testkit.Result {
		return a.openssl("ocsp", "-issuer", inter, "-cert", "svc.pem", "-url", base+"/ocsp", "-CAfile", root, "-no_nonce")
	}
	if r := ask(); r.ExitCode != 0 || !strings.Contains(r.Stdout, "svc.pem: good") || !strings.Contains(r.Combined(), "Response verify OK") {
		t.Fatalf("openssl ocsp before revocation: %s", r.Combined())
	}
	out := a.ok("ocsp", "check", "svc.pem", "--issuer", inter)
	if !strings.Contains(out, ": good") || !strings.Contains(out, base+"/ocsp") {
		t.Fatalf("anchor ocsp check: %s", out)
	}

	a.ok("revoke", "--cert", "svc.pem", "--reason", "keyCompromise")
	r := ask()
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, "svc.pem: revoked") || !strings.Contains(r.Stdout, "Reason: keyCompromise") {
		t.Fatalf("openssl ocsp right after revocation: %s", r.Combined())
	}
	res := a.run("ocsp", "check", "svc-chain.pem", "--json")
	var got struct {
		Status, Reason, Responder string
	}
	if err := json.Unmarshal([]byte(res.stdout), &got); err != nil {
		t.Fatalf("ocsp check --json: %v\n%s", err, res.stdout)
	}
	if res.code != 1 || got.Status != "revoked" || got.Reason != "keyCompromise" || !strings.Contains(got.Responder, "OCSP Responder") {
		t.Fatalf("anchor ocsp check after revocation: exit %d %+v %s", res.code, got, res.stderr)
	}
	// The delegated responder certificate the CA issued itself is in the data directory.
	if _, err := os.Stat(filepath.Join(a.dir, "anchor-data", "ca", "ocsp.pem")); err != nil {
		t.Fatal(err)
	}
	// A certificate the responder's CA never issued: a clear error, exit 1.
	b := newAnchor(t)
	b.ok("ca", "init")
	b.ok("issue", "stranger.example", "--out-cert", "s.pem", "--out-key", "s.key", "--out-chain", "s-chain.pem")
	chain, _ := os.ReadFile(b.path("s-chain.pem"))
	a.write("s-chain.pem", string(chain))
	if r := a.run("ocsp", "check", "s-chain.pem", "--url", base+"/ocsp"); r.code != 1 {
		t.Fatalf("foreign certificate: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
}

// The root's CRL covers the intermediate, so a client checking every level (openssl
// -crl_check_all, anchor verify --crl) finds a CRL for each certificate below the root.
func TestRootCRLCoversIntermediate(t *testing.T) {
	a := newAnchor(t)
	a.ok("ca", "init")
	rootPEM, _ := os.ReadFile(a.path("anchor-data/ca/root.pem"))
	interPEM, _ := os.ReadFile(a.path("anchor-data/ca/intermediate.pem"))
	a.write("cafile.pem", string(rootPEM)+string(interPEM))
	for _, f := range []string{"anchor-data/crl/root.crl", "anchor-data/crl/intermediate.crl"} {
		if r := a.openssl("crl", "-in", f, "-inform", "DER", "-noout", "-verify", "-CAfile", "cafile.pem"); r.ExitCode != 0 || !strings.Contains(r.Combined(), "verify OK") {
			t.Fatalf("%s: %s", f, r.Combined())
		}
	}
	a.ok("issue", "leaf.example", "--out-cert", "leaf.pem", "--out-key", "leaf.key")
	a.ok("crl", "create", "--root", "--out", "root.pem.crl", "--format", "pem")
	a.ok("crl", "create", "--out", "inter.crl.pem")
	r := a.openssl("verify", "-crl_check_all", "-CAfile", "anchor-data/ca/root.pem", "-untrusted", "anchor-data/ca/intermediate.pem",
		"-CRLfile", "root.pem.crl", "-CRLfile", "inter.crl.pem", "leaf.pem")
	if r.ExitCode != 0 {
		t.Fatalf("openssl verify -crl_check_all: %s", r.Combined())
	}
	// The local CA's root and intermediate are used by default.
	if r := a.run("verify", "leaf.pem", "--host", "leaf.example", "--crl", "root.pem.crl", "--crl", "inter.crl.pem"); r.code != 0 {
		t.Fatalf("anchor verify with both CRLs: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// Revoking the intermediate needs the root: anchor revoke --root records it under the root, the
// root's CRL lists it, and both openssl and anchor verify then refuse every leaf below it.
func TestRevokeIntermediateWithRoot(t *testing.T) {
	a := newAnchor(t)
	a.ok("ca", "init")
	a.ok("issue", "leaf.example", "--out-cert", "leaf.pem", "--out-key", "leaf.key")
	inter := "anchor-data/ca/intermediate.pem"
	if r := a.run("revoke", "--cert", inter, "--reason", "cACompromise"); r.code != 1 || !strings.Contains(r.stderr, "add --root") {
		t.Fatalf("revoking the intermediate without --root: exit %d %s", r.code, r.stderr)
	}
	if r := a.run("revoke", "--root", "--cert", "leaf.pem"); r.code != 1 || !strings.Contains(r.stderr, "not issued by") {
		t.Fatalf("revoking a leaf with --root: exit %d %s", r.code, r.stderr)
	}
	out := a.ok("revoke", "--root", "--cert", inter, "--reason", "cACompromise")
	if !strings.Contains(out, "Revoked ") || !strings.Contains(out, "anchor crl create --root") {
		t.Fatalf("revoke --root: %s", out)
	}
	a.ok("crl", "create", "--root", "--out", "root.pem.crl", "--format", "pem")
	a.ok("crl", "create", "--out", "inter.crl.pem")
	serial := strings.Fields(out)[1] // "Revoked SERIAL (subject) …"
	if crl := a.ok("inspect", "root.pem.crl"); !strings.Contains(crl, serial) || !strings.Contains(crl, "reason 2") {
		t.Fatalf("the root CRL does not list the intermediate:\n%s", crl)
	}
	r := a.openssl("verify", "-crl_check_all", "-CAfile", "anchor-data/ca/root.pem", "-untrusted", inter,
		"-CRLfile", "root.pem.crl", "-CRLfile", "inter.crl.pem", "leaf.pem")
	if r.ExitCode == 0 || !strings.Contains(r.Combined(), "certificate revoked") {
		t.Fatalf("openssl accepted a leaf under a revoked intermediate: %s", r.Combined())
	}
	v := a.run("verify", "leaf.pem", "--host", "leaf.example", "--crl", "root.pem.crl", "--crl", "inter.crl.pem")
	if v.code != 1 || !strings.Contains(v.stderr, "revocation_crl") {
		t.Fatalf("anchor verify with a revoked intermediate: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}
}
