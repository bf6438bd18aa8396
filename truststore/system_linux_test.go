package truststore_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/truststore"
)

// The Debian store with every path under a temporary root: update-ca-certificates really runs,
// and openssl verifies a leaf against the bundle it generated.
func TestSystemDebianRedirected(t *testing.T) {
	testkit.Tool(t, "update-ca-certificates")
	openssl := testkit.OpenSSL(t)
	t.Parallel()
	ctx := context.Background()
	root := t.TempDir()
	bundle := filepath.Join(root, "etc", "ssl", "certs", "ca-certificates.crt")
	o := truststore.Options{Stores: []string{"system"}, SystemRoot: root}
	ca, other := newCA(t, "System Root CA"), newCA(t, "Other System Root CA")
	work := t.TempDir()
	writePEM(t, filepath.Join(work, "leaf.pem"), ca.leaf(t, "svc.example"))
	verify := func() testkit.Result {
		return testkit.Exec(t, work, nil, openssl, "verify", "-CAfile", bundle, "-purpose", "sslserver", "leaf.pem")
	}

	res, err := truststore.Install(ctx, ca.cert, o)
	r := only(t, res, err)
	file := filepath.Join(root, "usr", "local", "share", "ca-certificates", truststore.Name(ca.cert)+".crt")
	if !r.Installed || !r.Changed || r.Location != file {
		t.Fatalf("install: %+v; want installed at %s", r, file)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("%s: %v %v; want mode 0644", file, fi, err)
	}
	if v := verify(); v.ExitCode != 0 || !strings.Contains(v.Stdout, "leaf.pem: OK") {
		t.Fatalf("openssl verify against the generated bundle: %s", v.Combined())
	}
	if _, err := truststore.Install(ctx, other.cert, o); err != nil {
		t.Fatal(err)
	}
	res, err = truststore.Install(ctx, ca.cert, o)
	if r := only(t, res, err); !r.Installed || r.Changed || r.Note != "already installed" {
		t.Fatalf("second install: %+v", r)
	}
	if n := strings.Count(readFile(t, bundle), "BEGIN CERTIFICATE"); n != 2 {
		t.Fatalf("bundle holds %d certificates, want 2 (the two CAs, once each)", n)
	}
	res, err = truststore.Status(ctx, ca.cert, o)
	if r := only(t, res, err); !r.Installed || r.Note != "installed" {
		t.Fatalf("status: %+v", r)
	}

	res, err = truststore.Uninstall(ctx, ca.cert, o)
	if r := only(t, res, err); r.Installed || !r.Changed || r.Note != "removed" {
		t.Fatalf("uninstall: %+v", r)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Fatalf("%s still exists: %v", file, err)
	}
	if v := verify(); v.ExitCode == 0 {
		t.Fatalf("openssl still verifies the leaf after uninstall: %s", v.Combined())
	}
	b := readFile(t, bundle)
	if strings.Contains(b, string(pemOf(ca.cert))) || !strings.Contains(b, string(pemOf(other.cert))) {
		t.Fatal("after uninstall the bundle must hold the other CA and not this one")
	}
	// No dangling links to the removed file stay in etc/ssl/certs (the reason for --fresh).
	links, _ := filepath.Glob(filepath.Join(root, "etc", "ssl", "certs", "*"))
	for _, l := range links {
		if _, err := os.Stat(l); err != nil {
			t.Fatalf("dangling %s after uninstall: %v", l, err)
		}
	}
	res, err = truststore.Status(ctx, ca.cert, o)
	if r := only(t, res, err); r.Installed {
		t.Fatalf("status after uninstall: %+v", r)
	}
	// Removing the last certificate empties the bundle, which update-ca-certificates alone
	// would leave as it was.
	res, err = truststore.Uninstall(ctx, other.cert, o)
	if r := only(t, res, err); r.Installed || r.Note != "removed" {
		t.Fatalf("uninstall of the last CA: %+v", r)
	}
	if b := readFile(t, bundle); strings.Contains(b, "BEGIN CERTIFICATE") {
		t.Fatalf("bundle after removing every CA:\n%s", b)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
