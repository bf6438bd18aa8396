package csr_test

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/anchorpki/anchor/csr"
	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/names"
)

// TestOpenSSLReadsOurs: openssl verifies the self-signature of every request Create makes and
// shows the subject and all four kinds of SAN.
func TestOpenSSLReadsOurs(t *testing.T) {
	t.Parallel()
	openssl := testkit.OpenSSL(t)
	subject, err := names.ParseSubject("/C=US/O=Acme, Inc./CN=café.example")
	if err != nil {
		t.Fatal(err)
	}
	sans, err := names.ParseSANs([]string{"a.example", "*.b.example", "10.0.0.1", "2001:db8::1", "ops@a.example", "spiffe://a.example/svc"})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"p256", "p384", "p521", "rsa2048", "ed25519"} {
		t.Run(key, func(t *testing.T) {
			t.Parallel()
			der, err := csr.Create(csr.Request{Key: testKeys()[key], Subject: subject, SANs: sans})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			file := filepath.Join(dir, "req.pem")
			if err := os.WriteFile(file, pemOf("CERTIFICATE REQUEST", der), 0o600); err != nil {
				t.Fatal(err)
			}
			r := testkit.Run(t, dir, openssl, "req", "-in", file, "-verify", "-noout", "-text",
				"-nameopt", "RFC2253,-esc_msb")
			out := r.Combined()
			for _, want := range []string{
				"verify OK",
				"Subject: CN=café.example,O=Acme\\, Inc.,C=US", // RFC 2253 prints in reverse
				"DNS:a.example, DNS:*.b.example, email:ops@a.example, IP Address:10.0.0.1, IP Address:2001:DB8:0:0:0:0:0:1, URI:spiffe://a.example/svc",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("openssl req -text output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

// TestWeReadOpenSSLs: Parse accepts requests openssl makes with each key type and sees their SANs.
func TestWeReadOpenSSLs(t *testing.T) {
	t.Parallel()
	openssl := testkit.OpenSSL(t)
	tests := []struct {
		name   string
		keyArg []string
	}{
		{"rsa", []string{"-newkey", "rsa:2048"}},
		{"ec", []string{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"}},
		{"ed25519", []string{"-newkey", "ed25519"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			out := filepath.Join(dir, "req.pem")
			args := append([]string{"req", "-new"}, tc.keyArg...)
			args = append(args, "-nodes", "-keyout", filepath.Join(dir, "key.pem"),
				"-subj", "/O=Acme/CN=openssl."+tc.name,
				"-addext", "subjectAltName=DNS:openssl."+tc.name+",DNS:*.w.example,IP:10.1.2.3,IP:::1,email:x@y.example,URI:urn:example:1",
				"-out", out)
			testkit.Run(t, dir, openssl, args...)
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			req, err := csr.Parse(data)
			if err != nil {
				t.Fatalf("Parse(openssl %s request): %v", tc.name, err)
			}
			if got := names.FormatSubject(req.Subject.ToRDNSequence()); got != "O=Acme,CN=openssl."+tc.name {
				t.Errorf("subject %q", got)
			}
			if !slices.Equal(req.DNSNames, []string{"openssl." + tc.name, "*.w.example"}) ||
				!slices.EqualFunc(req.IPAddresses, []net.IP{net.ParseIP("10.1.2.3"), net.ParseIP("::1")}, net.IP.Equal) ||
				!slices.Equal(req.EmailAddresses, []string{"x@y.example"}) ||
				len(req.URIs) != 1 || req.URIs[0].String() != "urn:example:1" {
				t.Errorf("SANs DNS %q IP %v email %q URI %v", req.DNSNames, req.IPAddresses, req.EmailAddresses, req.URIs)
			}
		})
	}
}
