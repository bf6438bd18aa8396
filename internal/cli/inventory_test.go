package cli_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/anchorpki/anchor/pemfile"
)

func TestListAndInspect(t *testing.T) {
	a := newAnchor(t)
	a.write("pass.txt", "pw\n")
	a.ok("ca", "init", "--passphrase-file", "pass.txt", "--permitted-dns", "example.com")
	r := a.run("issue", "a.example.com", "--out-cert", "a.pem", "--out-key", "a.key")
	if r.code != 1 || !strings.Contains(r.stderr, "passphrase") {
		t.Fatalf("issue without the CA passphrase: exit %d %s", r.code, r.stderr)
	}
	a.ok("issue", "a.example.com", "--out-cert", "a.pem", "--out-key", "a.key", "--passphrase-file", "pass.txt")
	a.ok("issue", "b.example.com", "--profile", "client", "--days", "10", "--out-cert", "b.pem", "--out-key", "b.key", "--passphrase-file", "pass.txt")

	var all []map[string]any
	if err := json.Unmarshal([]byte(a.ok("list", "--json")), &all); err != nil {
		t.Fatal(err)
	}
	if len(all) != 4 { // root, intermediate, two leaves
		t.Fatalf("list has %d entries, want 4: %v", len(all), all)
	}
	var soon []map[string]any
	json.Unmarshal([]byte(a.ok("list", "--expiring-within", "30d", "--json")), &soon)
	if len(soon) != 1 || soon[0]["profile"] != "client" {
		t.Fatalf("expiring within 30d: %v", soon)
	}
	var bySAN []map[string]any
	json.Unmarshal([]byte(a.ok("list", "--san", "A.example.com", "--json")), &bySAN)
	if len(bySAN) != 1 {
		t.Fatalf("--san: %v", bySAN)
	}
	if out := a.ok("list"); !strings.Contains(out, "a.example.com") || !strings.Contains(out, "SERIAL") {
		t.Fatalf("list text:\n%s", out)
	}

	var objs []map[string]any
	json.Unmarshal([]byte(a.ok("inspect", "a.pem", "--json")), &objs)
	cert := objs[0]["certificate"].(map[string]any)
	if cert["subject"] != "CN=a.example.com" || cert["is_ca"] != false {
		t.Fatalf("inspect: %v", cert)
	}
	out := a.ok("inspect", "anchor-data/ca/intermediate.key")
	if !strings.Contains(out, "encrypted") || strings.Contains(out, "PRIVATE KEY-----") {
		t.Fatalf("inspect encrypted key:\n%s", out)
	}
	out = a.ok("inspect", "a.key")
	if !strings.Contains(out, "ECDSA P-256") {
		t.Fatalf("inspect key:\n%s", out)
	}
	chain := a.ok("inspect", "anchor-data/ca/intermediate.pem")
	if !strings.Contains(chain, "example.com") { // permitted DNS
		t.Fatalf("inspect intermediate:\n%s", chain)
	}
	// Standard input and a bundle.
	bundle := a.ok("ca", "root")
	r = a.runStdin([]byte(bundle+bundle), "inspect", "-")
	if r.code != 0 || strings.Count(r.stdout, "Certificate\n") != 2 {
		t.Fatalf("inspect - : %d %s %s", r.code, r.stdout, r.stderr)
	}
}

func TestSelfSignedAndCSR(t *testing.T) {
	a := newAnchor(t)
	a.ok("key", "create", "--type", "ed25519", "--out", "k.pem")
	a.ok("cert", "self-signed", "--key", "k.pem", "--subject", "/CN=dev.local/O=Dev", "--san", "dev.local", "--days", "30", "--out", "dev.pem")
	if r := a.openssl("x509", "-in", "dev.pem", "-noout", "-ext", "subjectAltName"); !strings.Contains(r.Stdout, "DNS:dev.local") {
		t.Fatalf("self-signed SAN: %s", r.Combined())
	}
	if r := a.openssl("verify", "-CAfile", "dev.pem", "dev.pem"); r.ExitCode != 0 {
		t.Fatalf("self-signed does not verify against itself: %s", r.Combined())
	}
	a.ok("csr", "create", "--key", "k.pem", "--subject", "CN=svc,O=Example", "--san", "svc.internal,10.1.1.1", "--san", "URI:spiffe://example/svc", "--out", "svc.csr")
	r := a.openssl("req", "-in", "svc.csr", "-noout", "-text", "-verify")
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, "DNS:svc.internal") || !strings.Contains(r.Stdout, "IP Address:10.1.1.1") {
		t.Fatalf("openssl req: %s", r.Combined())
	}
}

// --days N is a lifetime of exactly N days from the backdated notBefore, so the profile's
// maximum itself is accepted and one more day is not.
func TestIssueDaysAtTheMaximum(t *testing.T) {
	a := newAnchor(t)
	a.ok("ca", "init")
	a.ok("issue", "max.example", "--days", "200", "--out-cert", "max.pem", "--out-key", "max.key")
	c, err := pemfile.ReadCertificate(a.path("max.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.NotAfter.Sub(c.NotBefore) + time.Second; got != 200*24*time.Hour { // both ends count
		t.Fatalf("--days 200 gave a lifetime of %v", got)
	}
	if r := a.run("issue", "over.example", "--days", "201", "--out-cert", "o.pem", "--out-key", "o.key"); r.code != 1 || !strings.Contains(r.stderr, "200 days") {
		t.Fatalf("--days 201: exit %d %s", r.code, r.stderr)
	}
}
