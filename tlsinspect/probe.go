// Package tlsinspect dials a TLS endpoint and reports what a TLS person looks for in
// `openssl s_client`, legibly: the protocol version, cipher suite, key exchange group, ALPN,
// SNI, whether the server asked for a client certificate, the chain exactly as the server sent
// it, a stapled OCSP response, and the verdict of package verify with every check.
//
// The handshake itself accepts any certificate: judging it is left to package verify, which
// names every failing check instead of stopping at the first error as crypto/tls does. It
// never trusts what it has not verified: a stapled OCSP response is reported as verified only
// when the leaf's issuer (or a responder the issuer delegated) signed it.
package tlsinspect

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/anchorpki/anchor/verify"
)

// DefaultTimeout bounds the connection, the handshake and the wait for a post-handshake alert
// when Options.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// DefaultALPN is what Probe offers when Options.ALPN is nil, as browsers do.
var DefaultALPN = []string{"h2", "http/1.1"}

// alertWait is how long, at most, Probe reads after a TLS 1.3 handshake in which the server
// asked for a client certificate. In TLS 1.3 the client finishes its handshake before the
// server has judged the certificate (RFC 8446 §4.4.2), so a rejection arrives as an alert
// afterwards; a session ticket, sent once the server accepted it, ends the wait early.
const alertWait = time.Second

// ContextDialer opens the TCP connection; *net.Dialer satisfies it.
type ContextDialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// Options say how to connect and what to trust. The zero value of every field is usable.
type Options struct {
	// ServerName is sent as SNI (unless it is an IP address, RFC 6066 §3) and is the host name
	// the leaf must be valid for. "": the host part of the address.
	ServerName string
	// Roots are the trust anchors of the verdict. nil: nothing is trusted, so the chain check
	// fails; the command line passes the local CA's root or the system roots.
	Roots []*x509.Certificate
	// ClientCert is presented when the server asks for a certificate. nil: none is sent.
	ClientCert *tls.Certificate
	// ALPN protocols to offer. nil: DefaultALPN; an empty non-nil slice offers none.
	ALPN []string
	// Reconnect dials a second time with the session the first connection obtained, to see
	// whether the server resumes it (as `openssl s_client -reconnect`).
	Reconnect bool
	Timeout   time.Duration    // the whole probe; zero: DefaultTimeout
	Now       func() time.Time // the verification time; nil: time.Now
	Dialer    ContextDialer    // nil: a *net.Dialer
}

// ConnectError is a connection or handshake that did not succeed. Its message is one line
// that says which, and why: refused, timed out, or the alert the server sent.
type ConnectError struct {
	Addr  string
	Stage string // "connect" or "handshake"
	Err   error
}

func (e *ConnectError) Error() string {
	what := "connecting to " + e.Addr
	if e.Stage == "handshake" {
		what = "TLS handshake with " + e.Addr
	}
	return what + ": " + describeNetError(e.Err)
}

func (e *ConnectError) Unwrap() error { return e.Err }

// describeNetError shortens Go's layered network errors to what a person needs to read.
func describeNetError(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused (nothing is listening there)"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return "timed out"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by the server"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the server closed the connection (is it speaking TLS?)"
	}
	if text, ok := alertText(err); ok {
		return "the server sent alert \"" + text + "\""
	}
	if rh, ok := errors.AsType[tls.RecordHeaderError](err); ok {
		return "the server's answer is not TLS (" + rh.Msg + ")"
	}
	return err.Error()
}

// alertText is the description of an alert the peer sent ("handshake failure"): crypto/tls
// wraps its unexported alert type in a *net.OpError with Op "remote error".
func alertText(err error) (string, bool) {
	oe, ok := errors.AsType[*net.OpError](err)
	if !ok || oe.Op != "remote error" || oe.Err == nil {
		return "", false
	}
	return strings.TrimPrefix(oe.Err.Error(), "tls: "), true
}

// Probe connects to addr ("host:port"), completes a TLS 1.2 or 1.3 handshake accepting any
// certificate, and reports it with the verdict of package verify. An error means no usable
// connection (a *ConnectError) or a bad address; a failing verdict is not an error: see
// Report.Verdict.
func Probe(ctx context.Context, addr string, o Options) (*Report, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("tlsinspect: address %q: want host:port, e.g. example.com:443", addr)
	}
	if o.ServerName == "" {
		o.ServerName = host
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.ALPN == nil {
		o.ALPN = DefaultALPN
	}
	if o.Dialer == nil {
		o.Dialer = &net.Dialer{}
	}
	dialCtx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()

	p := &prober{o: o, addr: addr, sessions: tls.NewLRUClientSessionCache(1)}
	first, err := p.handshake(dialCtx)
	if err != nil {
		return nil, err
	}
	rep := p.report(first)
	if o.Reconnect {
		rep.Resumption.Tried = true
		second, err := p.handshake(dialCtx)
		if err != nil {
			return nil, fmt.Errorf("reconnecting: %w", err)
		}
		rep.Resumption.Resumed = second.state.DidResume
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	rep.At = now().UTC()
	p.judge(ctx, rep, first.state)
	return rep, nil
}

// prober holds what both connections of a probe share.
type prober struct {
	o        Options
	addr     string
	sessions tls.ClientSessionCache // the first connection's session, for Reconnect
}

// conn is what one handshake saw.
type conn struct {
	state     tls.ConnectionState
	requested *tls.CertificateRequestInfo // nil: the server asked for no client certificate
	sent      bool                        // a client certificate was sent
}

func (p *prober) handshake(ctx context.Context) (*conn, error) {
	c := &conn{}
	cache := &ticketCache{ClientSessionCache: p.sessions, got: make(chan struct{})}
	cfg := &tls.Config{
		ServerName: p.o.ServerName,
		MinVersion: tls.VersionTLS12,
		NextProtos: p.o.ALPN,
		// Every certificate is accepted here and judged by package verify afterwards, so that
		// every check is reported rather than crypto/tls's first error.
		InsecureSkipVerify: true, //nolint:gosec // verified below, by package verify
		ClientSessionCache: cache,
		GetClientCertificate: func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
			c.requested = cri
			if p.o.ClientCert == nil {
				return &tls.Certificate{}, nil // RFC 8446 §4.4.2: an empty Certificate message
			}
			c.sent = true
			return p.o.ClientCert, nil
		},
	}
	raw, err := p.o.Dialer.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, &ConnectError{Addr: p.addr, Stage: "connect", Err: err}
	}
	tc := tls.Client(raw, cfg)
	defer tc.Close()
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, &ConnectError{Addr: p.addr, Stage: "handshake", Err: err}
	}
	c.state = tc.ConnectionState()
	if c.state.Version == tls.VersionTLS13 && !c.state.DidResume && (c.requested != nil || p.o.Reconnect) {
		if err := settle(ctx, tc, cache.got); err != nil {
			return nil, &ConnectError{Addr: p.addr, Stage: "handshake", Err: err}
		}
	}
	return c, nil
}

// settle reads after a TLS 1.3 handshake until the server sends a session ticket (it accepted
// us), an alert (it did not), or alertWait passes. Session tickets are post-handshake messages
// that crypto/tls processes only while reading.
func settle(ctx context.Context, tc *tls.Conn, ticket <-chan struct{}) error {
	deadline := time.Now().Add(alertWait)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	tc.SetReadDeadline(deadline)
	errc := make(chan error, 1)
	go func() {
		var b [1]byte
		_, err := tc.Read(b[:])
		errc <- err
	}()
	var err error
	select {
	case <-ticket:
		tc.SetReadDeadline(time.Now()) // unblock the reader
		<-errc
		return nil
	case err = <-errc:
	}
	if _, ok := alertText(err); ok {
		return err
	}
	return nil // data, a timeout, or a close: nothing refused us
}

// ticketCache is a session cache that says when the first ticket arrived.
type ticketCache struct {
	tls.ClientSessionCache
	once sync.Once
	got  chan struct{}
}

func (c *ticketCache) Put(key string, cs *tls.ClientSessionState) {
	c.ClientSessionCache.Put(key, cs)
	if cs != nil {
		c.once.Do(func() { close(c.got) })
	}
}

// judge verifies the chain as sent and the stapled OCSP response.
func (p *prober) judge(ctx context.Context, rep *Report, st tls.ConnectionState) {
	leaf := st.PeerCertificates[0]
	rep.Chain = describeChain(st.PeerCertificates, rep.At)
	rep.Verdict = verify.Verify(ctx, leaf, verify.Options{
		Roots:         p.o.Roots,
		Intermediates: st.PeerCertificates[1:],
		Host:          p.o.ServerName,
		At:            rep.At,
	})
	if len(st.OCSPResponse) > 0 {
		issuer := findIssuer(leaf, rep.Verdict.Chain, st.PeerCertificates[1:], p.o.Roots)
		rep.OCSPStaple = describeStaple(st.OCSPResponse, leaf, issuer, rep.At)
	}
}
