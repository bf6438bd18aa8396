package ocspresponder_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/revocation"
	"github.com/anchorpki/anchor/store"
)

// TestOpenSSL asks `openssl ocsp` about a leaf over HTTP: good, then revoked the moment the
// inventory says so (although a good response is cached), and verified each time against the
// root through the delegated responder certificate.
func TestOpenSSL(t *testing.T) {
	t.Parallel()
	openssl := testkit.OpenSSL(t)
	p := newPKI(t)
	leaf := p.issueLeaf(t, "leaf.test")
	srv := httptest.NewServer(p.responder(t, nil))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	rootPEM, interPEM, leafPEM := writePEM(t, dir, "root.pem", p.root), writePEM(t, dir, "inter.pem", p.inter), writePEM(t, dir, "leaf.pem", leaf)

	query := func(digest string) string {
		t.Helper()
		args := []string{"ocsp", "-issuer", interPEM}
		if digest != "" {
			args = append(args, digest) // the CertID hash of the next -cert
		}
		args = append(args, "-cert", leafPEM, "-url", srv.URL, "-CAfile", rootPEM, "-resp_text")
		out := testkit.Run(t, dir, openssl, args...).Combined()
		if !strings.Contains(out, "Response verify OK") {
			t.Fatalf("openssl did not verify the response:\n%s", out)
		}
		return out
	}

	for _, digest := range []string{"", "-sha256"} {
		out := query(digest)
		if !strings.Contains(out, leafPEM+": good") {
			t.Fatalf("openssl %s: want good:\n%s", digest, out)
		}
		if !strings.Contains(out, "Responder Id: O = Test, CN = Test OCSP Responder") {
			t.Errorf("responder is not the delegated certificate:\n%s", out)
		}
	}
	if n := p.ocspKey.n.Load(); n != 2 {
		t.Fatalf("%d signatures for two CertIDs, want 2", n)
	}
	query("") // cached good
	if n := p.ocspKey.n.Load(); n != 2 {
		t.Fatalf("%d signatures after a repeated query, want 2 (cached)", n)
	}

	if err := p.db.Revoke(t.Context(), p.interIss.KeyID(), leaf.SerialNumber, int(revocation.KeyCompromise), time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	c, err := p.db.Get(t.Context(), p.interIss.KeyID(), leaf.SerialNumber)
	if err != nil || c.Status != store.StatusRevoked {
		t.Fatalf("inventory after Revoke: %v, %v", c.Status, err)
	}
	for _, digest := range []string{"", "-sha256"} {
		out := query(digest)
		for _, want := range []string{leafPEM + ": revoked", "Reason: keyCompromise", "Revocation Time: " + c.RevokedAt.UTC().Format("Jan _2 15:04:05 2006 GMT")} {
			if !strings.Contains(out, want) {
				t.Fatalf("openssl %s after Revoke: want %q:\n%s", digest, want, out)
			}
		}
	}
}
