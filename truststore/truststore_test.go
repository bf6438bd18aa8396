package truststore_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io/fs"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/anchorpki/anchor/truststore"
)

// testCA is a throwaway CA made with the standard library, so these tests need no other package.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newCA(t *testing.T, cn string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn, Organization: []string{"Anchor Test"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: c, key: key}
}

// leaf issues a TLS server certificate for host; isCA false makes it a non-anchor.
func (ca *testCA) leaf(t *testing.T, host string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func writePEM(t *testing.T, path string, c *x509.Certificate) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestName(t *testing.T) {
	t.Parallel()
	ca := newCA(t, "x")
	hash := regexp.MustCompile(`-[0-9a-f]{8}$`)
	tests := []struct {
		name string
		cn   string
		org  []string
		want string // the name without its hash suffix
	}{
		{"common name", "Example Corp Root CA", nil, "anchor-example-corp-root-ca"},
		{"punctuation and unicode", "  Ünïcode & Co. (Root) ", nil, "anchor-n-code-co-root"},
		{"organization when no CN", "", []string{"Lab Org"}, "anchor-lab-org"},
		{"nothing", "", nil, "anchor-ca"},
		{"long", strings.Repeat("abcdefghij ", 8), nil, "anchor-abcdefghij-abcdefghij-abcdefghij-abcdefg"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := *ca.cert
			c.Subject = pkix.Name{CommonName: tc.cn, Organization: tc.org}
			got := truststore.Name(&c)
			if !hash.MatchString(got) || strings.TrimSuffix(got, got[len(got)-9:]) != tc.want {
				t.Fatalf("Name(CN=%q) = %q; want %q-<8 hex>", tc.cn, got, tc.want)
			}
		})
	}
	// Two certificates with the same subject get different names: the hash tells them apart.
	a, b := newCA(t, "Same Root CA"), newCA(t, "Same Root CA")
	if truststore.Name(a.cert) == truststore.Name(b.cert) {
		t.Fatalf("two certificates share the name %s", truststore.Name(a.cert))
	}
}

func TestRefusesNonCA(t *testing.T) {
	t.Parallel()
	ca := newCA(t, "Refusing Root CA")
	leaf := ca.leaf(t, "leaf.example")
	home := t.TempDir()
	for _, f := range []func(context.Context, *x509.Certificate, truststore.Options) ([]truststore.Result, error){
		truststore.Install, truststore.Uninstall, truststore.Status} {
		_, err := f(context.Background(), leaf, truststore.Options{Stores: []string{"nss"}, Home: home})
		if !errors.Is(err, truststore.ErrNotCA) {
			t.Fatalf("leaf accepted: %v", err)
		}
	}
	if entries, _ := os.ReadDir(home); len(entries) != 0 {
		t.Fatalf("refusing a leaf still wrote to HOME: %v", entries)
	}
}

func TestUnknownStore(t *testing.T) {
	t.Parallel()
	ca := newCA(t, "Root CA")
	_, err := truststore.Status(context.Background(), ca.cert, truststore.Options{Stores: []string{"nss", "keychain"}, Home: t.TempDir()})
	if !errors.Is(err, truststore.ErrUnknownStore) || !strings.Contains(err.Error(), `"keychain"`) {
		t.Fatalf("Status(--store keychain) = %v; want ErrUnknownStore naming it", err)
	}
}

// A missing tool says what to install, and the other stores still run.
func TestMissingToolSaysWhatToInstall(t *testing.T) {
	t.Parallel()
	ca := newCA(t, "Root CA")
	noTools := func(string) (string, error) { return "", exec.ErrNotFound }
	tests := []struct {
		store string
		opts  truststore.Options
		tool  string
		hint  string
	}{
		{"nss", truststore.Options{Home: t.TempDir()}, "certutil", "install libnss3-tools (Debian/Ubuntu) or nss-tools (Fedora/RHEL)"},
		{"java", truststore.Options{JavaKeystore: filepath.Join(t.TempDir(), "ks.p12")}, "keytool", "install a Java runtime"},
		{"java", truststore.Options{}, "java", "install a Java runtime"},
		{"system", truststore.Options{SystemRoot: t.TempDir()}, "", "install ca-certificates"},
	}
	for _, tc := range tests {
		t.Run(tc.store+"/"+tc.tool, func(t *testing.T) {
			t.Parallel()
			o := tc.opts
			o.Stores, o.LookPath = []string{tc.store}, noTools
			res, err := truststore.Install(context.Background(), ca.cert, o)
			if err == nil || !strings.Contains(err.Error(), tc.hint) {
				t.Fatalf("Install with no %s: %v; want the hint %q", tc.tool, err, tc.hint)
			}
			if mt, ok := errors.AsType[*truststore.MissingToolError](err); tc.tool != "" && (!ok || mt.Tool != tc.tool) {
				t.Fatalf("error %v is not a MissingToolError for %s", err, tc.tool)
			}
			if len(res) != 1 || res[0].Store != tc.store || res[0].Error == "" || res[0].Installed {
				t.Fatalf("results = %+v; want one failed %s result", res, tc.store)
			}
		})
	}
}

func TestNeedsRootOnPermissionDenied(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root may write anywhere: permission cannot be denied")
	}
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, "usr", "local", "share", "ca-certificates")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	ca := newCA(t, "Root CA")
	_, err := truststore.Install(context.Background(), ca.cert, truststore.Options{Stores: []string{"system"}, SystemRoot: root,
		LookPath: func(string) (string, error) { return "/bin/true", nil }})
	if !errors.Is(err, truststore.ErrNeedsRoot) || !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "sudo") {
		t.Fatalf("Install into a read-only store: %v; want ErrNeedsRoot saying to use sudo", err)
	}
}

func pemOf(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}
