package challenge

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/anchorpki/anchor/acme"
)

// http01Slack is how many bytes beyond the key authorization a response may carry (trailing
// whitespace, a stray newline from `echo`). Anything longer is not a key authorization, and
// reading it would let a target make the validator buffer arbitrary amounts.
const http01Slack = 128

// HTTP01 validates an http-01 challenge (RFC 8555 §8.3): GET
// http://domain/.well-known/acme-challenge/TOKEN must answer 200 with keyAuth as its body.
//
// Port policy. Production validation speaks only to ports 80 and 443, as RFC 8555 §8.3 and
// Let's Encrypt do; HTTP01Port and TLSALPN01Port are the stand-ins for 80 and 443, so a test
// can listen on any port and see production behaviour:
//   - the first request goes to HTTP01Port, with Host = domain (no port);
//   - a redirect is followed only to http on port 80 or https on port 443, written explicitly
//     or implied by the scheme; any other port or scheme fails with Kind Connection;
//   - "port 80" then connects to HTTP01Port and "port 443" to TLSALPN01Port;
//   - the certificate of an https target is not verified: the client proves control with the
//     key authorization in the body, not the certificate, and a site may redirect before it
//     has one (Let's Encrypt behaves the same).
//
// Every host name, redirect targets included, is resolved through the configured resolver. For
// an IP identifier (RFC 8738 §3) the validator connects to the address itself and sends it as
// the Host header.
func (v *Validator) HTTP01(ctx context.Context, domain, token, keyAuth string) error {
	if strings.HasPrefix(domain, "*.") {
		return errWildcard("http-01")
	}
	if acme.ValidateToken(token) != nil {
		// RFC 8555 §8.1: tokens are base64url; anything else would let the path escape.
		return fmt.Errorf("challenge: token %q is not base64url", token)
	}
	return v.attempt(ctx, "http-01", domain, func(ctx context.Context) error {
		return v.http01(ctx, domain, token, keyAuth)
	})
}

func (v *Validator) http01(ctx context.Context, domain, token, keyAuth string) error {
	host := domain
	if a, ok := ipIdentifier(domain); ok {
		host = a.String()
		if a.Is6() {
			host = "[" + host + "]"
		}
	}
	target := "http://" + host + acme.HTTP01Path(token)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("challenge: building request for %q: %w", domain, err)
	}
	req.Header.Set("User-Agent", "anchor-acme-validator")
	req.Header.Set("Accept", "*/*")

	resp, err := v.httpClient().Do(req)
	if err != nil {
		return httpFailure(ctx, target, err)
	}
	defer resp.Body.Close()
	final := resp.Request.URL.String()

	if resp.StatusCode != http.StatusOK {
		return newError(Unauthorized, nil, fmt.Sprintf("GET %s returned %s; expected 200 with the key authorization",
			final, resp.Status))
	}
	limit := int64(len(keyAuth) + http01Slack)
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return newError(Connection, err, fmt.Sprintf("reading the response from %s: %s", final, describe(err)))
	}
	if int64(len(body)) > limit {
		return newError(IncorrectResponse, nil, fmt.Sprintf("response from %s is longer than %d bytes; expected only the key authorization %q",
			final, limit, keyAuth))
	}
	// RFC 8555 §8.3: "The server SHOULD ignore whitespace characters at the end of the body."
	got := strings.TrimRight(string(body), " \t\r\n")
	if got != keyAuth {
		return newError(IncorrectResponse, nil, fmt.Sprintf("expected key authorization %q from %s, got %q",
			keyAuth, final, got))
	}
	return nil
}

// httpClient is built per validation: no connection is reused between validations, so each one
// sees the target's current DNS and server state.
func (v *Validator) httpClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                  nil, // the target must be reached directly; a proxy would validate itself
			DialContext:            v.dialHTTP,
			DialTLSContext:         v.dialHTTPS,
			DisableKeepAlives:      true,
			MaxResponseHeaderBytes: 16 << 10,
		},
		CheckRedirect: v.checkRedirect,
	}
}

// dialHTTP connects to the stand-in for port 80 or 443, at an address from our resolver.
func (v *Validator) dialHTTP(ctx context.Context, _, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, newError(Connection, err, fmt.Sprintf("bad address %q", addr))
	}
	var p int
	switch port {
	case "80":
		p = v.httpPort
	case "443":
		p = v.tlsPort
	default: // checkRedirect stops these; this is the second lock on the door
		return nil, newError(Connection, nil, fmt.Sprintf("refusing to connect to port %s: only 80 and 443 are allowed", port))
	}
	addrs, err := v.dns.hostAddrs(ctx, host)
	if err != nil {
		return nil, err
	}
	return dial(ctx, addrs, p)
}

// dialHTTPS does the handshake itself so that a failure is reported as a TLS problem naming the
// server, rather than as net/http's wording for it.
func (v *Validator) dialHTTPS(ctx context.Context, network, addr string) (net.Conn, error) {
	raw, err := v.dialHTTP(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	host, _, _ := net.SplitHostPort(addr)
	conn := tls.Client(raw, &tls.Config{
		ServerName:         host,
		InsecureSkipVerify: true, // see HTTP01: the body proves control, not the certificate
		MinVersion:         tls.VersionTLS12,
		NextProtos:         []string{"http/1.1"},
	})
	if err := conn.HandshakeContext(ctx); err != nil {
		raw.Close()
		if ctx.Err() != nil {
			return nil, newError(Connection, ctx.Err(), describe(ctx.Err()))
		}
		return nil, newError(TLS, err, fmt.Sprintf("TLS handshake with %s: %s", raw.RemoteAddr(), describe(err)))
	}
	return conn, nil
}

// checkRedirect enforces the port policy documented on HTTP01. Details omit the target URL:
// httpFailure prefixes it.
func (v *Validator) checkRedirect(req *http.Request, via []*http.Request) error {
	u := req.URL
	if len(via) > v.maxRedirects {
		return newError(Connection, nil, fmt.Sprintf("more than %d redirects starting at %s", v.maxRedirects, via[0].URL))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return newError(Connection, nil, fmt.Sprintf("redirect not followed: scheme %s; only http and https are allowed", u.Scheme))
	}
	if u.Hostname() == "" {
		return newError(Connection, nil, "redirect not followed: no host")
	}
	if p := u.Port(); p != "" && !(u.Scheme == "http" && p == "80") && !(u.Scheme == "https" && p == "443") {
		return newError(Connection, nil, fmt.Sprintf("redirect not followed: port %s; only 80 (http) and 443 (https) are allowed", p))
	}
	return nil
}

// httpFailure turns an error from http.Client.Do into an *Error naming the URL that failed.
func httpFailure(ctx context.Context, target string, err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		target = ue.URL
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return newError(e.Kind, e, fmt.Sprintf("fetching %s: %s", target, e.Detail))
	}
	if ctx.Err() != nil {
		return newError(Connection, ctx.Err(), fmt.Sprintf("fetching %s: %s", target, describe(ctx.Err())))
	}
	return newError(Connection, err, fmt.Sprintf("fetching %s: %s", target, describe(err)))
}
