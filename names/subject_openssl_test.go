package names_test

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"os"
	"path/filepath"
	"testing"

	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/names"
)

// opensslConfig pins what openssl req does with -subj, so the test does not depend on the
// machine's openssl.cnf: UTF-8 input and UTF8String for every DirectoryString.
const opensslConfig = `[req]
distinguished_name = dn
string_mask = utf8only
utf8 = yes
prompt = no
[dn]
`

// TestParseSubjectMatchesOpenSSL checks that ParseSubject encodes a -subj string exactly as
// `openssl req -subj` does: same order, same string types, same DER SET ordering.
func TestParseSubjectMatchesOpenSSL(t *testing.T) {
	t.Parallel()
	openssl := testkit.OpenSSL(t)
	dir := t.TempDir()
	cnf := filepath.Join(dir, "openssl.cnf")
	if err := os.WriteFile(cnf, []byte(opensslConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "key.pem")
	testkit.Run(t, dir, openssl, "genpkey", "-algorithm", "ed25519", "-out", key)

	subjects := []string{
		"/CN=a",
		"/C=US/ST=California/L=San Francisco/O=Acme, Inc./OU=Ops/CN=www.example.com",
		"/O=Acme+OU=Ops/CN=x",
		"/DC=org/DC=OpenSSL/DC=users/UID=123456+CN=John Doe",
		"/CN=café/O=Ünïcödé 日本",
		`/CN=a\/b\+c`,
		"/emailAddress=admin@example.com/serialNumber=ABC-123/street=1 Main St/postalCode=94105",
		"/commonName=long names/organizationName=too",
	}
	for i, subj := range subjects {
		out := filepath.Join(dir, "req"+string(rune('a'+i))+".der")
		testkit.Run(t, dir, openssl, "req", "-new", "-config", cnf, "-key", key,
			"-subj", subj, "-outform", "DER", "-out", out)
		der, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		csr, err := x509.ParseCertificateRequest(der)
		if err != nil {
			t.Fatalf("%s: parsing openssl's CSR: %v", subj, err)
		}
		rdn, err := names.ParseSubject(subj)
		if err != nil {
			t.Fatalf("ParseSubject(%q): %v", subj, err)
		}
		ours, err := asn1.Marshal(rdn)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ours, csr.RawSubject) {
			t.Errorf("subject %q:\n ours    %x\n openssl %x", subj, ours, csr.RawSubject)
		}
	}
}
