package tlsproxy_test

import (
	"context"
	"crypto"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/keys"
	"github.com/anchorpki/anchor/tlsproxy"
)

// A certificate replaced on disk is served to new connections; a connection opened before keeps
// working with the old one; a broken replacement is refused and the old certificate stays.
func TestFileSourceReload(t *testing.T) {
	p := newPKI(t)
	first := p.issue("server", "localhost", "127.0.0.1")
	second := p.issue("server", "localhost", "127.0.0.1")
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	copyFile(t, first.chainFile, certFile)
	copyFile(t, first.keyFile, keyFile)
	logs := &testkit.Buffer{}
	r := startProxy(t, tlsproxy.Options{Upstream: startUpstream(t), Certs: mustFileSource(t, tlsproxy.FileSourceOptions{
		CertFile: certFile, KeyFile: keyFile, Interval: 20 * time.Millisecond, Logger: jsonLogger(logs)})})
	u := "https://" + r.addr + "/"

	old := client(p.roots) // keeps its connection alive between requests
	servedBy := func(c *http.Client) (serial string, reused bool) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req = req.WithContext(httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
			GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused }}))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		return resp.TLS.PeerCertificates[0].SerialNumber.Text(16), reused
	}
	want1, want2 := first.cert.SerialNumber.Text(16), second.cert.SerialNumber.Text(16)
	if s, _ := servedBy(old); s != want1 {
		t.Fatalf("before the swap: serial %s, want %s", s, want1)
	}

	// A broken pair (the new certificate with the old key) is refused, logged, and changes nothing.
	copyFile(t, second.chainFile, certFile)
	waitFor(t, "the reload error", func() bool { return logHas(logs, "reload failed", "does not belong") })
	if s, _ := servedBy(client(p.roots)); s != want1 {
		t.Fatalf("after a broken pair: serial %s, want the old %s", s, want1)
	}
	// The key follows: the pair is complete and is picked up.
	copyFile(t, second.keyFile, keyFile)
	waitFor(t, "the reload", func() bool {
		return logHas(logs, "certificate reloaded", hex.EncodeToString(second.cert.SerialNumber.Bytes()))
	})

	if s, reused := servedBy(old); !reused || s != want1 {
		t.Errorf("the connection opened before: reused %v, serial %s; want a reused connection with %s", reused, s, want1)
	}
	if s, reused := servedBy(client(p.roots)); reused || s != want2 {
		t.Errorf("a new connection: reused %v, serial %s; want %s", reused, s, want2)
	}
}

// An encrypted key reads with its passphrase (and not without); Reload applies a new pair at
// once and refuses a broken one, keeping what is served.
func TestFileSourceExplicitReloadAndPassphrase(t *testing.T) {
	p := newPKI(t)
	first, second := p.issue("server", "localhost"), p.issue("server", "localhost")
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	pass := []byte("s3cret")
	writeEncrypted := func(l *leaf) {
		enc, err := keys.MarshalEncryptedPEM(l.tls.PrivateKey.(crypto.Signer), pass, keys.EncryptOptions{Iterations: 1000})
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, keyFile, enc)
		copyFile(t, l.chainFile, certFile)
	}
	writeEncrypted(first)
	if _, err := tlsproxy.NewFileSource(tlsproxy.FileSourceOptions{CertFile: certFile, KeyFile: keyFile}); !errors.Is(err, keys.ErrPassphraseRequired) {
		t.Fatalf("without the passphrase: %v", err)
	}
	fs := mustFileSource(t, tlsproxy.FileSourceOptions{CertFile: certFile, KeyFile: keyFile, Passphrase: pass, Interval: -1})
	serial := func() string { c, _ := fs.GetCertificate(&tls.ClientHelloInfo{}); return c.Leaf.SerialNumber.Text(16) }
	if serial() != first.cert.SerialNumber.Text(16) {
		t.Fatal("first certificate not served")
	}
	writeFile(t, certFile, []byte("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"))
	if err := fs.Reload(); err == nil {
		t.Fatal("Reload accepted a broken certificate file")
	}
	if serial() != first.cert.SerialNumber.Text(16) {
		t.Fatal("a failed reload changed the certificate")
	}
	writeEncrypted(second)
	if err := fs.Reload(); err != nil {
		t.Fatal(err)
	}
	if c := fs.Certificate(); serial() != second.cert.SerialNumber.Text(16) || len(c.Certificate) != 2 {
		t.Fatalf("after Reload: serial %s, chain of %d", serial(), len(c.Certificate))
	}
}

func mustFileSource(t testing.TB, o tlsproxy.FileSourceOptions) *tlsproxy.FileSource {
	t.Helper()
	fs, err := tlsproxy.NewFileSource(o)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, to, b)
}
