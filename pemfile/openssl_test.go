package pemfile_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/pemfile"
)

// TestOpenSSLReadsEncode: openssl accepts what Encode writes under each label it knows.
func TestOpenSSLReadsEncode(t *testing.T) {
	t.Parallel()
	openssl := testkit.OpenSSL(t)
	dir := t.TempDir()
	tests := []struct {
		typ  string
		der  []byte
		args []string
		want string
	}{
		{"CERTIFICATE", readTestdata(t, "root.der"), []string{"x509", "-noout", "-subject"}, "subject=CN = Test Root"},
		{"CERTIFICATE REQUEST", readTestdata(t, "req.der"), []string{"req", "-noout", "-verify", "-subject"}, "subject=CN = leaf.example"},
		{"X509 CRL", testCRL(t), []string{"crl", "-noout", "-crlnumber"}, "crlNumber=0x07"},
		{"PRIVATE KEY", readTestdata(t, "pkcs8.der"), []string{"pkey", "-noout", "-text"}, "ED25519 Private-Key"},
		{"EC PRIVATE KEY", readTestdata(t, "ec.der"), []string{"ec", "-noout", "-check"}, "EC Key valid."},
	}
	for i, tc := range tests {
		file := filepath.Join(dir, string(rune('a'+i))+".pem")
		if err := os.WriteFile(file, pemfile.Encode(tc.typ, tc.der), 0o600); err != nil {
			t.Fatal(err)
		}
		r := testkit.Run(t, dir, openssl, append(tc.args, "-in", file)...)
		if !strings.Contains(r.Combined(), tc.want) {
			t.Errorf("openssl %s on our %s: output lacks %q:\n%s", tc.args[0], tc.typ, tc.want, r.Combined())
		}
	}
}

// TestDecodeFreshOpenSSLOutput converts the fixtures with the openssl on this machine, so the
// sniffing is checked against today's openssl and not only against committed bytes.
func TestDecodeFreshOpenSSLOutput(t *testing.T) {
	t.Parallel()
	openssl := testkit.OpenSSL(t)
	dir := t.TempDir()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"x509", "-in", "testdata/leaf.pem", "-outform", "DER"}, "CERTIFICATE"},
		{[]string{"pkey", "-in", "testdata/key.pem", "-outform", "DER"}, "EC PRIVATE KEY"}, // openssl 3.0 writes SEC 1 here
		{[]string{"pkcs8", "-topk8", "-nocrypt", "-in", "testdata/key.pem", "-outform", "DER"}, "PRIVATE KEY"},
		{[]string{"pkcs8", "-topk8", "-in", "testdata/key.pem", "-passout", "pass:x", "-outform", "DER"}, "ENCRYPTED PRIVATE KEY"},
	}
	for i, tc := range tests {
		out := filepath.Join(dir, string(rune('a'+i))+".der")
		args := append([]string{}, tc.args...)
		for j, a := range args {
			if strings.HasPrefix(a, "testdata/") {
				abs, err := filepath.Abs(a)
				if err != nil {
					t.Fatal(err)
				}
				args[j] = abs
			}
		}
		testkit.Run(t, dir, openssl, append(args, "-out", out)...)
		blocks, err := pemfile.ReadFile(out)
		if err != nil {
			t.Fatalf("openssl %s: ReadFile: %v", tc.args[0], err)
		}
		if len(blocks) != 1 || blocks[0].Type != tc.want {
			t.Errorf("openssl %s output decodes as %v; want one %s", strings.Join(tc.args, " "), blocks, tc.want)
		}
	}
	// A chain printed with -text, concatenated by hand, as people do.
	var bundle bytes.Buffer
	for _, f := range []string{"leaf.pem", "root.pem"} {
		abs, _ := filepath.Abs("testdata/" + f)
		bundle.WriteString(testkit.Run(t, dir, openssl, "x509", "-in", abs, "-text").Stdout)
	}
	path := filepath.Join(dir, "chain.pem")
	if err := os.WriteFile(path, bundle.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	certs, err := pemfile.ReadCertificates(path)
	if err != nil || len(certs) != 2 || certs[1].Subject.CommonName != "Test Root" {
		t.Fatalf("ReadCertificates(chain with -text) = %v, %v", certs, err)
	}
}
