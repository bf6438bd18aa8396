package truststore_test

import (
	"context"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/truststore"
)

// An update-ca-certificates that exits 0 without rebuilding (a no-op shim in an image, a
// wrapper) must not make uninstall remove every other CA from the bundle with ours.
func TestDebianUninstallKeepsOtherRoots(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	testkit.Tool(t, "update-ca-certificates")
	o := truststore.Options{Stores: []string{"system"}, SystemRoot: root}
	ca, other := newCA(t, "Ours"), newCA(t, "Someone Elses Public Root")
	if _, err := truststore.Install(ctx, other.cert, o); err != nil {
		t.Fatal(err)
	}
	if _, err := truststore.Install(ctx, ca.cert, o); err != nil {
		t.Fatal(err)
	}
	// rename the other CA's file so it is not "ours"
	bundle := filepath.Join(root, "etc", "ssl", "certs", "ca-certificates.crt")
	b, _ := os.ReadFile(bundle)
	if n := strings.Count(string(b), "BEGIN CERT"); n != 2 {
		t.Fatalf("bundle before: %d certificates, want 2", n)
	}
	o.LookPath = func(string) (string, error) { return "/bin/true", nil }
	res, err := truststore.Uninstall(ctx, ca.cert, o)
	t.Logf("uninstall: %+v %v", res, err)
	b, _ = os.ReadFile(bundle)
	if n := strings.Count(string(b), "BEGIN CERT"); n != 1 || !strings.Contains(string(b), pemBody(other.cert.Raw)) {
		t.Fatalf("after uninstall the bundle holds %d certificates, want only the other CA", n)
	}
	if strings.Contains(string(b), pemBody(ca.cert.Raw)) {
		t.Fatal("our certificate is still in the bundle")
	}
}

// pemBody is the base64 of der as it appears inside a PEM block, first line only, enough to
// tell certificates apart.
func pemBody(der []byte) string {
	return strings.Split(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), "\n")[1]
}

// A file that carries our name but not our certificate is someone else's: uninstall leaves it.
func TestDebianUninstallLeavesForeignFileAlone(t *testing.T) {
	testkit.Tool(t, "update-ca-certificates")
	ctx := context.Background()
	root := t.TempDir()
	o := truststore.Options{Stores: []string{"system"}, SystemRoot: root}
	ca, other := newCA(t, "Ours"), newCA(t, "Impostor")
	res, err := truststore.Install(ctx, ca.cert, o)
	if err != nil {
		t.Fatal(err)
	}
	file := res[0].Location
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: other.cert.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = truststore.Uninstall(ctx, ca.cert, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(file); err != nil || !strings.Contains(res[0].Note, "left alone") {
		t.Fatalf("uninstall removed a file that is not ours: %v, %+v", err, res)
	}
}
