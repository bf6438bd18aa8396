package tlsinspect_test

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/anchorpki/anchor/issuance"
	"github.com/anchorpki/anchor/tlsinspect"
	"github.com/anchorpki/anchor/verify"
)

func probe(t *testing.T, addr string, o tlsinspect.Options) *tlsinspect.Report {
	t.Helper()
	rep, err := tlsinspect.Probe(context.Background(), addr, o)
	if err != nil {
		t.Fatalf("Probe(%s): %v", addr, err)
	}
	return rep
}

func colonHex(b []byte) string {
	parts := make([]string, len(b))
	for i, x := range b {
		parts[i] = strings.ToUpper(hex.EncodeToString([]byte{x}))
	}
	return strings.Join(parts, ":")
}

func failedChecks(r *verify.Result) []string {
	var names []string
	for _, c := range r.Failed() {
		names = append(names, c.Name)
	}
	return names
}

func TestProbeReportsHandshakeAndChain(t *testing.T) {
	t.Parallel()
	p := newPKI(t, "Probe")
	cert := p.leaf(t, leafOpts{}, "localhost", "127.0.0.1")
	srv := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}})

	rep := probe(t, srv.addr, tlsinspect.Options{ServerName: "localhost", Roots: []*x509.Certificate{p.root}})
	if rep.Version != "TLS 1.3" || !strings.HasPrefix(rep.CipherSuite, "TLS_AES_") && !strings.HasPrefix(rep.CipherSuite, "TLS_CHACHA20") {
		t.Errorf("version %q, suite %q; want TLS 1.3 with a TLS 1.3 suite", rep.Version, rep.CipherSuite)
	}
	if rep.ALPN != "h2" || !slices.Equal(rep.ALPNOffered, []string{"h2", "http/1.1"}) {
		t.Errorf("ALPN %q offered %q; want h2 of [h2 http/1.1]", rep.ALPN, rep.ALPNOffered)
	}
	if rep.KeyExchange == "" {
		t.Error("no key exchange group reported for TLS 1.3")
	}
	if rep.SNI != "localhost" || srv.lastSNI() != "localhost" || rep.ServerName != "localhost" {
		t.Errorf("SNI reported %q, server saw %q, name checked %q; want localhost", rep.SNI, srv.lastSNI(), rep.ServerName)
	}
	if rep.ClientAuth.Requested || rep.Resumption.Tried || rep.OCSPStaple != nil {
		t.Errorf("client auth %+v, resumption %+v, staple %+v: want none", rep.ClientAuth, rep.Resumption, rep.OCSPStaple)
	}
	if len(rep.Chain) != 2 {
		t.Fatalf("chain has %d certificates, want 2 (leaf, intermediate)", len(rep.Chain))
	}
	for i, der := range cert.Certificate {
		sum := sha256.Sum256(der)
		if got := rep.Chain[i].SHA256; got != colonHex(sum[:]) {
			t.Errorf("chain[%d] fingerprint %s, want %s", i, got, colonHex(sum[:]))
		}
	}
	leaf := rep.Chain[0]
	if leaf.Subject != cert.Leaf.Subject.String() || leaf.Issuer != p.inter.Subject.String() ||
		leaf.Serial != hex.EncodeToString(cert.Leaf.SerialNumber.Bytes()) || len(leaf.Serial)%2 != 0 {
		t.Errorf("leaf %+v does not describe the certificate served", leaf)
	}
	if leaf.PublicKey != "ECDSA P-256" || !slices.Equal(leaf.SANs, []string{"DNS:localhost", "IP:127.0.0.1"}) {
		t.Errorf("leaf key %q SANs %q", leaf.PublicKey, leaf.SANs)
	}
	if leaf.DaysLeft < 88 || leaf.DaysLeft > 90 || leaf.IsCA || !rep.Chain[1].IsCA {
		t.Errorf("leaf days left %d (want about 90), is CA %v, intermediate is CA %v", leaf.DaysLeft, leaf.IsCA, rep.Chain[1].IsCA)
	}
	if !rep.Verdict.Valid {
		t.Fatalf("verdict fails with the right root: %v", rep.Verdict.Err())
	}
	// The JSON names are a stable interface.
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"version":"TLS 1.3"`, `"alpn":"h2"`, `"sha256_fingerprint":"`, `"verdict":{"valid":true`, `"ocsp_staple":null`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON lacks %s: %s", key, b)
		}
	}
}

func TestProbeVerdictNamesTheFailingCheck(t *testing.T) {
	t.Parallel()
	p := newPKI(t, "Probe")
	other := newPKI(t, "Other")
	now := time.Now()
	good := p.leaf(t, leafOpts{}, "localhost")
	expired := p.leaf(t, leafOpts{notBefore: now.Add(-100 * 24 * time.Hour), notAfter: now.Add(-10 * 24 * time.Hour)}, "localhost")
	tests := []struct {
		name       string
		cert       tls.Certificate
		serverName string
		roots      []*x509.Certificate
		want       string
	}{
		{"expired leaf", expired, "localhost", []*x509.Certificate{p.root}, verify.CheckValidity},
		{"wrong host", good, "www.example.com", []*x509.Certificate{p.root}, verify.CheckHostname},
		{"untrusted root", good, "localhost", []*x509.Certificate{other.root}, verify.CheckChain},
		{"no roots", good, "localhost", nil, verify.CheckChain},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{tc.cert}})
			rep := probe(t, srv.addr, tlsinspect.Options{ServerName: tc.serverName, Roots: tc.roots})
			if rep.Verdict.Valid {
				t.Fatal("verdict passes")
			}
			if rej, ok := errors.AsType[*verify.Rejection](rep.Verdict.Err()); !ok || !rej.Has(tc.want) {
				t.Fatalf("failed checks %v, want %s among them", failedChecks(rep.Verdict), tc.want)
			}
			// The handshake still completed and the chain is reported.
			if len(rep.Chain) != 2 || rep.Chain[0].SHA256 == "" {
				t.Fatalf("chain %+v", rep.Chain)
			}
		})
	}
	t.Run("expired days", func(t *testing.T) {
		t.Parallel()
		srv := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{expired}})
		rep := probe(t, srv.addr, tlsinspect.Options{ServerName: "localhost", Roots: []*x509.Certificate{p.root}})
		if d := rep.Chain[0].DaysLeft; d != -10 && d != -9 {
			t.Fatalf("days left %d, want -10", d)
		}
	})
}

func TestProbeIPAddressSendsNoSNI(t *testing.T) {
	t.Parallel()
	p := newPKI(t, "Probe")
	srv := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{p.leaf(t, leafOpts{}, "127.0.0.1")}})
	rep := probe(t, srv.addr, tlsinspect.Options{Roots: []*x509.Certificate{p.root}})
	if rep.SNI != "" || srv.lastSNI() != "" || rep.ServerName != "127.0.0.1" {
		t.Errorf("SNI %q (server saw %q), server name %q; want no SNI and 127.0.0.1 checked", rep.SNI, srv.lastSNI(), rep.ServerName)
	}
	if !rep.Verdict.Valid {
		t.Errorf("IP SAN does not verify: %v", rep.Verdict.Err())
	}
}

func TestProbeVersions(t *testing.T) {
	t.Parallel()
	p := newPKI(t, "Probe")
	cert := p.leaf(t, leafOpts{}, "localhost")
	tests := []struct {
		name     string
		min, max uint16
		version  string
		suite    string
	}{
		{"TLS 1.2 only", tls.VersionTLS12, tls.VersionTLS12, "TLS 1.2", "TLS_ECDHE_ECDSA_"},
		{"TLS 1.3 only", tls.VersionTLS13, tls.VersionTLS13, "TLS 1.3", "TLS_"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tc.min, MaxVersion: tc.max,
				NextProtos: []string{"http/1.1"}})
			rep := probe(t, srv.addr, tlsinspect.Options{ServerName: "localhost", Roots: []*x509.Certificate{p.root}})
			if rep.Version != tc.version || !strings.HasPrefix(rep.CipherSuite, tc.suite) || rep.ALPN != "http/1.1" {
				t.Errorf("version %q suite %q ALPN %q; want %s, %s…, http/1.1", rep.Version, rep.CipherSuite, rep.ALPN, tc.version, tc.suite)
			}
			if rep.KeyExchange == "" {
				t.Error("no key exchange group for an ECDHE handshake")
			}
			if !rep.Verdict.Valid {
				t.Errorf("verdict: %v", rep.Verdict.Err())
			}
		})
	}
	t.Run("TLS 1.1 refused", func(t *testing.T) {
		t.Parallel()
		srv := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11})
		_, err := tlsinspect.Probe(context.Background(), srv.addr, tlsinspect.Options{})
		if ce, ok := errors.AsType[*tlsinspect.ConnectError](err); !ok || ce.Stage != "handshake" {
			t.Fatalf("Probe of a TLS 1.1 server: %v; want a handshake error", err)
		}
	})
	t.Run("no ALPN", func(t *testing.T) {
		t.Parallel()
		srv := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}})
		rep := probe(t, srv.addr, tlsinspect.Options{ALPN: []string{}})
		if rep.ALPN != "" || len(rep.ALPNOffered) != 0 {
			t.Errorf("ALPN %q offered %q; want none", rep.ALPN, rep.ALPNOffered)
		}
	})
}

func TestProbeReconnectResumes(t *testing.T) {
	t.Parallel()
	p := newPKI(t, "Probe")
	cert := p.leaf(t, leafOpts{}, "localhost")
	for _, max := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(max), func(t *testing.T) {
			t.Parallel()
			srv := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: max})
			rep := probe(t, srv.addr, tlsinspect.Options{ServerName: "localhost", Reconnect: true})
			if !rep.Resumption.Tried || !rep.Resumption.Resumed {
				t.Fatalf("resumption %+v; want tried and resumed", rep.Resumption)
			}
			off := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: max, SessionTicketsDisabled: true})
			rep = probe(t, off.addr, tlsinspect.Options{ServerName: "localhost", Reconnect: true})
			if !rep.Resumption.Tried || rep.Resumption.Resumed {
				t.Fatalf("resumption %+v with tickets disabled; want tried, not resumed", rep.Resumption)
			}
		})
	}
}

func TestProbeClientCertificate(t *testing.T) {
	t.Parallel()
	p := newPKI(t, "Probe")
	serverCert := p.leaf(t, leafOpts{}, "localhost")
	clientCert := p.leaf(t, leafOpts{profile: issuance.Client}, "client.test")
	pool := x509.NewCertPool()
	pool.AddCert(p.root)
	for _, max := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(max), func(t *testing.T) {
			t.Parallel()
			srv := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{serverCert}, MaxVersion: max,
				ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool})
			_, err := tlsinspect.Probe(context.Background(), srv.addr, tlsinspect.Options{ServerName: "localhost"})
			ce, ok := errors.AsType[*tlsinspect.ConnectError](err)
			if !ok || ce.Stage != "handshake" || !strings.Contains(err.Error(), "alert") {
				t.Fatalf("without a client certificate: %v; want the server's alert", err)
			}
			rep := probe(t, srv.addr, tlsinspect.Options{ServerName: "localhost", Roots: []*x509.Certificate{p.root}, ClientCert: &clientCert})
			ca := rep.ClientAuth
			if !ca.Requested || !slices.Equal(ca.AcceptableCAs, []string{p.root.Subject.String()}) || ca.Sent != clientCert.Leaf.Subject.String() {
				t.Fatalf("client auth %+v; want requested, CAs [%s], sent %s", ca, p.root.Subject, clientCert.Leaf.Subject)
			}
			if !rep.Verdict.Valid {
				t.Errorf("verdict: %v", rep.Verdict.Err())
			}
		})
	}
	t.Run("optional", func(t *testing.T) {
		t.Parallel()
		srv := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientAuth: tls.RequestClientCert})
		rep := probe(t, srv.addr, tlsinspect.Options{ServerName: "localhost"})
		if !rep.ClientAuth.Requested || rep.ClientAuth.Sent != "" || len(rep.ClientAuth.AcceptableCAs) != 0 {
			t.Fatalf("client auth %+v; want requested with no CA list, none sent", rep.ClientAuth)
		}
	})
}

func TestProbeOCSPStaple(t *testing.T) {
	t.Parallel()
	p := newPKI(t, "Probe")
	other := newPKI(t, "Other")
	now := time.Now().Truncate(time.Second)
	staple := func(t *testing.T, leaf *x509.Certificate, signer *pki, status int) []byte {
		t.Helper()
		tmpl := ocsp.Response{Status: status, SerialNumber: leaf.SerialNumber, ThisUpdate: now.Add(-time.Hour),
			NextUpdate: now.Add(24 * time.Hour), RevokedAt: now.Add(-2 * time.Hour), RevocationReason: ocsp.KeyCompromise}
		der, err := ocsp.CreateResponse(signer.inter, signer.inter, tmpl, signer.interKey)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	tests := []struct {
		name     string
		signer   *pki
		status   int
		want     string
		verified bool
	}{
		{"good from issuer", p, ocsp.Good, "good", true},
		{"revoked from issuer", p, ocsp.Revoked, "revoked", true},
		{"signed by a stranger", other, ocsp.Good, "good", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cert := p.leaf(t, leafOpts{}, "localhost")
			cert.OCSPStaple = staple(t, cert.Leaf, tc.signer, tc.status)
			srv := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{cert}})
			rep := probe(t, srv.addr, tlsinspect.Options{ServerName: "localhost", Roots: []*x509.Certificate{p.root}})
			s := rep.OCSPStaple
			if s == nil {
				t.Fatal("no staple reported")
			}
			if s.Status != tc.want || s.Verified != tc.verified || s.Size != len(cert.OCSPStaple) {
				t.Fatalf("staple %+v; want status %s, verified %v", s, tc.want, tc.verified)
			}
			if s.Verified == (s.Problem != "") {
				t.Errorf("verified %v with problem %q", s.Verified, s.Problem)
			}
			if !s.ThisUpdate.Equal(now.Add(-time.Hour)) || s.NextUpdate == nil || !s.NextUpdate.Equal(now.Add(24*time.Hour)) ||
				s.ProducedAt.IsZero() || s.Responder != tc.signer.inter.Subject.String() {
				t.Errorf("staple times/responder %+v", s)
			}
			if tc.status == ocsp.Revoked && (s.Reason != "keyCompromise" || s.RevokedAt == nil) {
				t.Errorf("revocation %v %q", s.RevokedAt, s.Reason)
			}
		})
	}
	t.Run("about another certificate", func(t *testing.T) {
		t.Parallel()
		cert := p.leaf(t, leafOpts{}, "localhost")
		cert.OCSPStaple = staple(t, p.leaf(t, leafOpts{}, "other.test").Leaf, p, ocsp.Good)
		srv := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{cert}})
		rep := probe(t, srv.addr, tlsinspect.Options{ServerName: "localhost", Roots: []*x509.Certificate{p.root}})
		if s := rep.OCSPStaple; s == nil || s.Verified || s.Problem == "" {
			t.Fatalf("staple about another serial: %+v; want unverified with a problem", s)
		}
	})
}

func TestProbeConnectionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		addr  func(t *testing.T) string
		stage string
		want  string
	}{
		{"nothing listening", func(t *testing.T) string { return closedAddr(t) }, "connect", "connection refused"},
		{"silent server", func(t *testing.T) string {
			return serveRaw(t, func(net.Conn) {})
		}, "handshake", "timed out"},
		{"not TLS", func(t *testing.T) string {
			return serveRaw(t, func(c net.Conn) { c.Write([]byte("SSH-2.0-OpenSSH_9.6\r\n")) })
		}, "handshake", "not TLS"},
		// The server reads the ClientHello before closing: closing with it unread would send a
		// reset instead, depending on which arrives first.
		{"closes at once", func(t *testing.T) string {
			return serveRaw(t, func(c net.Conn) { c.Read(make([]byte, 1<<16)); c.Close() })
		}, "handshake", "closed the connection"},
		{"resets", func(t *testing.T) string {
			return serveRaw(t, func(c net.Conn) { c.Read(make([]byte, 1<<16)); c.(*net.TCPConn).SetLinger(0); c.Close() })
		}, "handshake", "connection reset by the server"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr := tc.addr(t)
			_, err := tlsinspect.Probe(context.Background(), addr, tlsinspect.Options{Timeout: 500 * time.Millisecond})
			ce, ok := errors.AsType[*tlsinspect.ConnectError](err)
			if !ok || ce.Stage != tc.stage || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), addr) {
				t.Fatalf("Probe: %v; want a %s error naming %s and saying %q", err, tc.stage, addr, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
	if _, err := tlsinspect.Probe(context.Background(), "localhost", tlsinspect.Options{}); err == nil || !strings.Contains(err.Error(), "host:port") {
		t.Errorf("address without a port: %v", err)
	}
}
