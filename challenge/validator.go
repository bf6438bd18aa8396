// Package challenge proves control of an identifier the way RFC 8555 §8 asks an ACME server to:
// http-01, dns-01 and tls-alpn-01 (RFC 8737, with IP identifiers per RFC 8738), and checks CAA
// (RFC 8659, RFC 8657) before issuance. Ports and the DNS resolver are injected so tests run
// against real servers on loopback. It knows nothing of accounts, orders or storage: the caller
// passes the key authorization and maps *Error to a problem document.
package challenge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"time"
)

// Options configure a Validator. Zero values mean the production defaults.
type Options struct {
	// HTTP01Port is where http-01 connects (default 80). It also stands in for port 80 in
	// redirect targets; see HTTP01.
	HTTP01Port int
	// TLSALPN01Port is where tls-alpn-01 connects (default 443). It also stands in for port
	// 443 when http-01 follows a redirect to https.
	TLSALPN01Port int
	// Resolver is the host:port of the DNS server used for every lookup (A, AAAA, TXT, CAA).
	// Empty: the first nameserver of /etc/resolv.conf.
	Resolver string
	// Timeout bounds one validation attempt, DNS lookups included (default 10 s).
	Timeout time.Duration
	// MaxRedirects bounds the redirects http-01 follows (default 10).
	MaxRedirects int
	// CAAIdentities are the issuer domain names this CA answers to in CAA "issue" and
	// "issuewild" records. Empty: CAA is not checked.
	CAAIdentities []string
	// Logger receives one event per validation. Nil: discard.
	Logger *slog.Logger
}

// Validator performs challenge validations. It is safe for concurrent use.
type Validator struct {
	httpPort, tlsPort int
	timeout           time.Duration
	maxRedirects      int
	caaIdentities     []string
	dns               *resolver
	log               *slog.Logger
}

// New returns a Validator. It fails only on nonsensical options or, with no Resolver given, an
// unreadable /etc/resolv.conf.
func New(o Options) (*Validator, error) {
	v := &Validator{
		httpPort:     orDefault(o.HTTP01Port, 80),
		tlsPort:      orDefault(o.TLSALPN01Port, 443),
		timeout:      o.Timeout,
		maxRedirects: orDefault(o.MaxRedirects, 10),
		log:          o.Logger,
	}
	if v.timeout == 0 {
		v.timeout = 10 * time.Second
	}
	for _, p := range []int{v.httpPort, v.tlsPort} {
		if p < 1 || p > 65535 {
			return nil, fmt.Errorf("challenge: port %d out of range", p)
		}
	}
	if v.timeout < 0 || v.maxRedirects < 0 {
		return nil, errors.New("challenge: Timeout and MaxRedirects must not be negative")
	}
	for _, id := range o.CAAIdentities {
		id = normalizeName(id)
		if id == "" {
			return nil, errors.New("challenge: empty CAA identity")
		}
		v.caaIdentities = append(v.caaIdentities, id)
	}
	if v.log == nil {
		v.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var err error
	if v.dns, err = newResolver(o.Resolver); err != nil {
		return nil, err
	}
	return v, nil
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// attempt bounds one validation by the configured timeout and logs its outcome.
func (v *Validator) attempt(ctx context.Context, method, domain string, f func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()
	start := time.Now()
	err := f(ctx)
	attrs := []slog.Attr{
		slog.String("method", method),
		slog.String("identifier", domain),
		slog.Duration("elapsed", time.Since(start)),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
		v.log.LogAttrs(ctx, slog.LevelInfo, "challenge: validation failed", attrs...)
		return err
	}
	v.log.LogAttrs(ctx, slog.LevelInfo, "challenge: validation succeeded", attrs...)
	return nil
}

// ipIdentifier reports whether the identifier is an IP address (RFC 8738) rather than a name.
func ipIdentifier(id string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(id)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// normalizeName lower-cases a DNS name and drops a trailing dot, so names compare as strings.
func normalizeName(s string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
}

// errWildcard is the caller's mistake, not the client's: RFC 8555 §7.1.3 lets only dns-01
// validate a wildcard, so the server must never offer the others.
func errWildcard(method string) error {
	return fmt.Errorf("challenge: %s cannot validate a wildcard name (RFC 8555 §7.1.3)", method)
}

// dial connects to the first address that answers, in the order given. Failures are listed per
// address so a user whose AAAA record points at the wrong host can see it.
func dial(ctx context.Context, addrs []netip.Addr, port int) (net.Conn, error) {
	var d net.Dialer
	var failures []string
	var last error
	for _, a := range addrs {
		target := netip.AddrPortFrom(a, uint16(port)).String()
		conn, err := d.DialContext(ctx, "tcp", target)
		if err == nil {
			return conn, nil
		}
		if ctx.Err() != nil {
			return nil, newError(Connection, ctx.Err(), fmt.Sprintf("connecting to %s: %s", target, describe(ctx.Err())))
		}
		failures = append(failures, fmt.Sprintf("connecting to %s: %s", target, describe(err)))
		last = err
	}
	return nil, newError(Connection, last, strings.Join(failures, "; "))
}
