package cli_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/internal/cli"
	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/names"
)

// startProxy runs `anchor proxy` in this process in front of a hello app until the test ends,
// and returns its address.
func startProxy(t *testing.T, a *anchor, certFile, keyFile string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	app := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello")) })}
	go app.Serve(ln)
	t.Cleanup(func() { app.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr testkit.Buffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, []string{"--data", a.path("anchor-data"), "proxy", "--listen", "127.0.0.1:0",
			"--upstream", "http://" + ln.Addr().String(), "--cert", certFile, "--key", keyFile}, strings.NewReader(""), &stdout, &stderr)
	}()
	t.Cleanup(func() { cancel(); <-done })
	line := regexp.MustCompile(`^anchor proxy: https://(127\.0\.0\.1:\d+) `)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := line.FindStringSubmatch(stdout.String()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("proxy did not start: %s %s", stdout.String(), stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Issue 6 acceptance 4: anchor probe against anchor proxy shows the chain and a passing
// verdict, and names the failing check for a wrong host and an expired certificate.
func TestProbeAgainstProxy(t *testing.T) {
	a := newAnchor(t)
	a.ok("ca", "init", "--name", "Probe Proxy Corp")
	a.ok("issue", "localhost", "127.0.0.1", "--out-cert", "s.pem", "--out-key", "s.key", "--out-chain", "s-chain.pem")
	good := startProxy(t, a, a.path("s-chain.pem"), a.path("s.key"))

	out := a.ok("probe", good, "--servername", "localhost")
	for _, want := range []string{"chain as sent (2 certificates)", "CN=localhost", "issuer:  CN=Probe Proxy Corp Intermediate CA", "verdict: trusted", "PASS  hostname"} {
		if !strings.Contains(out, want) {
			t.Fatalf("probe output lacks %q:\n%s", want, out)
		}
	}
	r := a.run("probe", good, "--servername", "www.example.com")
	if r.code != 1 || !strings.Contains(r.stdout, "FAIL  hostname") || !strings.Contains(r.stderr, "hostname") {
		t.Fatalf("wrong host: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// An expired certificate from the same CA, signed through the authority with a validity in
	// the past.
	auth, loaded, _ := a.authority()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	past := time.Now().Add(-30 * 24 * time.Hour)
	issued, err := auth.Issue(context.Background(), ca.Request{PublicKey: key.Public(), Profile: "server",
		SANs: names.SANs{DNS: []string{"localhost"}}, NotBefore: past, NotAfter: past.Add(10 * 24 * time.Hour), Requester: "test"})
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	chain := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: issued.DER})
	chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: loaded.Intermediate.Raw})...)
	if err := os.WriteFile(a.path("expired-chain.pem"), chain, 0o644); err != nil {
		t.Fatal(err)
	}
	a.write("expired.key", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})))
	expired := startProxy(t, a, a.path("expired-chain.pem"), a.path("expired.key"))
	r = a.run("probe", expired, "--servername", "localhost", "--json")
	if r.code != 1 || !strings.Contains(r.stderr, "validity") || !strings.Contains(r.stdout, `"validity"`) {
		t.Fatalf("expired certificate: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
