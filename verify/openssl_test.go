package verify

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/anchorpki/anchor/internal/testkit"
)

func writePEM(t *testing.T, path string, cs ...*x509.Certificate) {
	t.Helper()
	var b []byte
	for _, c := range cs {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestAgreesWithOpenSSL runs the same chains through `openssl verify -x509_strict -purpose
// sslserver` and requires the same verdict.
func TestAgreesWithOpenSSL(t *testing.T) {
	openssl := testkit.OpenSSL(t)
	t.Parallel()
	h := newHierarchy(t)
	root2 := issue(t, spec{cn: "Second Root", ca: true, key: rsaKey(t)}, nil)
	rsaInter := issue(t, spec{cn: "RSA Intermediate", ca: true, key: rsaKey(t)}, root2)
	rsaLeaf := issue(t, spec{cn: "rsa.example.com", dns: []string{"rsa.example.com"}, key: rsaKey(t),
		ku: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment}, rsaInter)
	wild := issue(t, spec{cn: "wild", dns: []string{"*.example.com"}}, h.inter)
	nc := issue(t, spec{cn: "NC CA", ca: true, mod: func(c *x509.Certificate) {
		c.PermittedDNSDomainsCritical = true
		c.PermittedDNSDomains = []string{"example.com"}
	}}, h.root)
	inNC := issue(t, spec{cn: "in", dns: []string{"a.example.com"}}, nc)
	outNC := issue(t, spec{cn: "out", dns: []string{"a.example.org"}}, nc)
	clientCA := issue(t, spec{cn: "Client CA", ca: true, eku: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, h.root)
	underClient := issue(t, spec{cn: "under client"}, clientCA)
	deep := issue(t, spec{cn: "Deep CA", ca: true}, h.inter) // h.inter has pathLen 0
	underDeep := issue(t, spec{cn: "too deep"}, deep)
	expired := issue(t, spec{cn: "expired", notAfter: t0.AddDate(0, 0, -1), notBefore: t0.AddDate(0, -1, 0)}, h.inter)

	tests := []struct {
		name  string
		leaf  *node
		roots []*x509.Certificate
		inter []*x509.Certificate
		host  string
		want  bool
	}{
		{"ECDSA chain", h.leaf, certs(h.root), certs(h.inter), "www.example.com", true},
		{"RSA chain", rsaLeaf, certs(root2), certs(rsaInter), "rsa.example.com", true},
		{"wildcard", wild, certs(h.root), certs(h.inter), "foo.example.com", true},
		{"inside name constraints", inNC, certs(h.root), certs(nc), "a.example.com", true},
		{"outside name constraints", outNC, certs(h.root), certs(nc), "a.example.org", false},
		{"EKU chaining", underClient, certs(h.root), certs(clientCA), "www.example.com", false},
		{"path length", underDeep, certs(h.root), certs(h.inter, deep), "www.example.com", false},
		{"expired", expired, certs(h.root), certs(h.inter), "www.example.com", false},
		{"wrong host", h.leaf, certs(h.root), certs(h.inter), "mail.example.com", false},
		{"missing intermediate", h.leaf, certs(h.root), nil, "www.example.com", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writePEM(t, filepath.Join(dir, "roots.pem"), tc.roots...)
			writePEM(t, filepath.Join(dir, "leaf.pem"), tc.leaf.cert)
			args := []string{"verify", "-x509_strict", "-purpose", "sslserver", "-verify_hostname", tc.host,
				"-attime", strconv.FormatInt(t0.Unix(), 10), "-CAfile", filepath.Join(dir, "roots.pem")}
			if len(tc.inter) > 0 {
				writePEM(t, filepath.Join(dir, "inter.pem"), tc.inter...)
				args = append(args, "-untrusted", filepath.Join(dir, "inter.pem"))
			}
			args = append(args, filepath.Join(dir, "leaf.pem"))
			res := testkit.Exec(t, dir, nil, openssl, args...)
			opensslOK := res.ExitCode == 0 && strings.Contains(res.Stdout, ": OK")
			r := Verify(context.Background(), tc.leaf.cert, Options{Roots: tc.roots, Intermediates: tc.inter, Host: tc.host, At: t0})
			if opensslOK != tc.want || r.Valid != tc.want {
				t.Fatalf("openssl ok=%v, verify ok=%v, want %v\nopenssl: %s\nverify:\n%s", opensslOK, r.Valid, tc.want, res.Combined(), dump(r))
			}
		})
	}
}
