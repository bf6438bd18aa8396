package tlsproxy_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/revocation"
	"github.com/anchorpki/anchor/tlsproxy"
)

// Mutual TLS driven by curl: our client certificate passes and its identity reaches the
// upstream; no certificate, a revoked one, one from another CA and a server certificate (no
// clientAuth) are refused in the handshake; forged identity headers never reach the upstream.
func TestProxyMutualTLSCurl(t *testing.T) {
	curl := testkit.Tool(t, "curl")
	p := newPKI(t)
	srv := p.issue("server", "localhost", "127.0.0.1")
	alice := p.issue("client", "alice@example.com", "alice.example", "10.1.2.3")
	revoked := p.issue("client", "mallory@example.com")
	p.revoke(revoked, revocation.KeyCompromise)
	notClient := p.issue("server", "bob.example")
	foreign := newPKI(t).issue("client", "eve@example.com")

	r := startProxy(t, tlsproxy.Options{Upstream: startUpstream(t), Certs: fileSource(t, srv), ClientCAs: p.roots, RequireClientCert: true})
	u := "https://localhost:" + r.port + "/who"
	run := func(l *leaf, extra ...string) testkit.Result {
		args := []string{"--silent", "--show-error", "--cacert", p.rootFile, "--resolve", "localhost:" + r.port + ":127.0.0.1"}
		if l != nil {
			args = append(args, "--cert", l.chainFile, "--key", l.keyFile)
		}
		return testkit.Exec(t, "", nil, curl, append(append(args, extra...), u)...)
	}

	s := curlSeen(t, run(alice, "-H", "X-Client-Cert-Serial: 01", "-H", "X-Client-Cert-Subject: CN=admin",
		"-H", "X-Client-Cert-Extra: forged", "-H", "X_Client_Cert_Fingerprint: forged", "-H", "x-client-verify: FORGED"))
	sum := sha256.Sum256(alice.cert.Raw)
	want := map[string]string{
		"X-Client-Verify":           "SUCCESS",
		"X-Client-Cert-Serial":      hex.EncodeToString(alice.cert.SerialNumber.Bytes()),
		"X-Client-Cert-Fingerprint": hex.EncodeToString(sum[:]),
		"X-Client-Cert-Subject":     "CN=alice@example.com",
		"X-Client-Cert-Sans":        "DNS:alice.example, IP:10.1.2.3, email:alice@example.com",
		"X-Client-Cert-Extra":       "",
		"X_client_cert_fingerprint": "",
	}
	for h, v := range want {
		if got := strings.Join(s.Header.Values(h), "|"); got != v {
			t.Errorf("upstream saw %s = %q, want %q", h, got, v)
		}
	}
	if n := len(want["X-Client-Cert-Serial"]); n%2 != 0 || strings.ToLower(want["X-Client-Cert-Serial"]) != want["X-Client-Cert-Serial"] {
		t.Errorf("serial %q is not even-length lower-case hex", want["X-Client-Cert-Serial"])
	}
	for k := range s.Header {
		if strings.Contains(strings.ToLower(k), "client") && want[k] == "" && k != "X-Client-Cert-Sans" {
			t.Errorf("unexpected client header reached the upstream: %s: %v", k, s.Header[k])
		}
	}
	if !logHas(r.logs, `"msg":"request"`, `"client_serial":"`+want["X-Client-Cert-Serial"]+`"`) {
		t.Errorf("request log lacks the client serial:\n%s", r.logs)
	}

	for name, l := range map[string]*leaf{"no certificate": nil, "revoked": revoked, "other CA": foreign, "server certificate": notClient} {
		if res := run(l); res.ExitCode == 0 {
			t.Errorf("%s: curl got through: %s", name, res.Stdout)
		}
	}
	revSerial := hex.EncodeToString(revoked.cert.SerialNumber.Bytes())
	if !logHas(r.logs, "client certificate revoked", `"serial":"`+revSerial+`"`, `"reason":"keyCompromise"`) {
		t.Errorf("no log line naming the revoked serial and reason:\n%s", r.logs)
	}
}

// Without --require-client-cert a client without a certificate passes as NONE, and cannot
// claim an identity.
func TestProxyOptionalClientCert(t *testing.T) {
	p := newPKI(t)
	srv := p.issue("server", "localhost", "127.0.0.1")
	alice := p.issue("client", "alice@example.com")
	r := startProxy(t, tlsproxy.Options{Upstream: startUpstream(t), Certs: fileSource(t, srv), ClientCAs: p.roots})
	u := "https://" + r.addr + "/"
	resp, s, err := getSeen(t, client(p.roots), u, "X-Client-Verify", "SUCCESS", "X-Client-Cert-Serial", "01")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("no certificate: %v %v", resp, err)
	}
	if s.Header.Get("X-Client-Verify") != "NONE" || s.Header.Get("X-Client-Cert-Serial") != "" {
		t.Fatalf("upstream saw %v", s.Header)
	}
	resp, s, err = getSeen(t, client(p.roots, alice.tls), u)
	if err != nil || resp.StatusCode != 200 || s.Header.Get("X-Client-Verify") != "SUCCESS" || resp.Proto != "HTTP/2.0" {
		t.Fatalf("with certificate: %v %v %v", resp, s.Header, err)
	}
}
