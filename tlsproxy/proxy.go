// Package tlsproxy is an HTTPS-terminating reverse proxy for a plain-HTTP application: TLS 1.2
// and 1.3, HTTP/1.1 and HTTP/2 (ALPN), optional mutual TLS with client certificate revocation
// checking, the verified client identity passed on in headers, server certificates that reload
// without dropping connections, and OCSP stapling.
//
// What the upstream receives, and why:
//
//   - Host is the one the client sent, not the upstream's address, as nginx (proxy_set_header
//     Host $host), Caddy and Traefik do by default: applications build absolute URLs, cookies
//     and virtual hosts from it. X-Forwarded-Host carries it too.
//   - The proxy is the TLS edge, so nothing a client says about forwarding is trusted:
//     X-Forwarded-* and Forwarded from the client are dropped; X-Forwarded-For is set to the
//     client's address, X-Forwarded-Proto to https.
//   - X-Client-Verify, X-Client-Cert-Subject, -SANs, -Serial and -Fingerprint (see the Header*
//     constants) describe the verified client certificate. Every client header named
//     X-Client-Cert-* or X-Client-Verify (also spelt with underscores) is removed first, so the
//     upstream can trust them as long as only the proxy can reach it.
//
// Client certificates must chain to Options.ClientCAs and allow clientAuth (crypto/tls checks
// both); their revocation is checked during the handshake as RevocationMode describes.
package tlsproxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ocsp"
)

// Options configure a Proxy. Zero values mean the defaults given.
type Options struct {
	Upstream *url.URL   // required: http:// (or https://) base URL of the application
	Certs    CertSource // required: the server certificate
	// ClientCAs are the CAs whose client certificates are accepted; nil: no client certificates
	// are asked for.
	ClientCAs *x509.CertPool
	// RequireClientCert refuses handshakes without a client certificate; it needs ClientCAs.
	// Without it a certificate is verified if given.
	RequireClientCert bool
	Revocation        RevocationMode // "": RevocationAuto
	// HTTPClient fetches OCSP responses and CRLs for client certificates. nil: a client with a
	// 10 s timeout.
	HTTPClient *http.Client
	// RevocationTimeout bounds the revocation check of one handshake. Zero: 5 s.
	RevocationTimeout time.Duration
	// RevocationMaxAge is the longest an OCSP answer or CRL is reused, even before its
	// nextUpdate. Zero: 1 hour.
	RevocationMaxAge time.Duration
	// Transport carries requests to the upstream. nil: a transport with dial and idle timeouts.
	Transport http.RoundTripper
	// ShutdownTimeout bounds how long Serve waits for requests in flight after its context is
	// cancelled. Zero: 30 s.
	ShutdownTimeout time.Duration
	// OnListening, when set, is called by Serve with the address it accepts connections on
	// (the real port when ListenAndServe was given port 0), before the first one is accepted.
	OnListening func(net.Addr)
	Logger      *slog.Logger     // nil: discard
	Now         func() time.Time // nil: time.Now
}

// Proxy is a configured reverse proxy; Serve runs it.
type Proxy struct {
	o   Options
	log *slog.Logger
	rp  *httputil.ReverseProxy
	rev *revocationChecker
	tls *tls.Config

	mu      sync.Mutex
	addr    net.Addr
	tunnels tunnels
}

// ErrInvalidOptions is wrapped by New's errors.
var ErrInvalidOptions = errors.New("tlsproxy: invalid options")

// New checks o and returns a Proxy.
func New(o Options) (*Proxy, error) {
	switch {
	case o.Upstream == nil || o.Upstream.Host == "":
		return nil, fmt.Errorf("%w: an upstream URL with a host is required", ErrInvalidOptions)
	case o.Upstream.Scheme != "http" && o.Upstream.Scheme != "https":
		return nil, fmt.Errorf("%w: upstream %s is not an http:// or https:// URL", ErrInvalidOptions, o.Upstream.Redacted())
	case o.Certs == nil:
		return nil, fmt.Errorf("%w: a certificate source is required", ErrInvalidOptions)
	case o.RequireClientCert && o.ClientCAs == nil:
		return nil, fmt.Errorf("%w: requiring client certificates needs the CAs that issue them", ErrInvalidOptions)
	}
	mode, err := ParseRevocationMode(string(o.Revocation))
	if err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if o.RevocationTimeout == 0 {
		o.RevocationTimeout = defaultRevocationTimeout
	}
	if o.RevocationMaxAge == 0 {
		o.RevocationMaxAge = defaultRevocationMaxAge
	}
	if o.ShutdownTimeout == 0 {
		o.ShutdownTimeout = 30 * time.Second
	}
	if o.Transport == nil {
		o.Transport = defaultTransport()
	}
	p := &Proxy{o: o, log: loggerOrDiscard(o.Logger)}
	p.rev = &revocationChecker{mode: mode, client: o.HTTPClient, now: o.Now, timeout: o.RevocationTimeout, maxAge: o.RevocationMaxAge,
		log: p.log, ocspCache: newTTLCache[string, *ocsp.Response](defaultRevocationCacheSize),
		crlCache: newTTLCache[string, *cachedCRL](defaultCRLCacheSize)}
	p.rp = &httputil.ReverseProxy{Rewrite: p.rewrite, Transport: o.Transport, ErrorHandler: p.upstreamError,
		ErrorLog: slog.NewLogLogger(p.log.Handler(), slog.LevelWarn)}
	p.tls = p.tlsConfig()
	return p, nil
}

func defaultTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 nil, // never send the application's traffic through $HTTP_PROXY
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
	}
}

// tlsConfig: TLS 1.2 and 1.3 only; for 1.2 only forward-secret AEAD suites (RFC 9113 §9.2.2
// forbids the others under HTTP/2 anyway). crypto/tls verifies a client certificate against
// ClientCAs with the clientAuth EKU before VerifyConnection adds the revocation check.
func (p *Proxy) tlsConfig() *tls.Config {
	c := &tls.Config{
		MinVersion:     tls.VersionTLS12,
		MaxVersion:     tls.VersionTLS13,
		GetCertificate: p.o.Certs.GetCertificate,
		Time:           p.o.Now,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
	}
	if p.o.ClientCAs != nil {
		c.ClientCAs = p.o.ClientCAs
		c.ClientAuth = tls.VerifyClientCertIfGiven
		if p.o.RequireClientCert {
			c.ClientAuth = tls.RequireAndVerifyClientCert
		}
		c.VerifyConnection = p.verifyConnection
	}
	return c
}

// verifyConnection runs for every handshake, resumed ones included, after crypto/tls verified
// the chain: a resumed session of a since-revoked certificate is refused too.
func (p *Proxy) verifyConnection(cs tls.ConnectionState) error {
	err := p.rev.checkChains(cs.VerifiedChains)
	if err == nil {
		return nil
	}
	if rev, ok := errors.AsType[*RevokedError](err); ok {
		p.log.LogAttrs(context.Background(), slog.LevelWarn, "tlsproxy: handshake refused: client certificate revoked",
			slog.String("serial", rev.Serial), slog.String("subject", rev.Subject), slog.String("reason", rev.Reason.String()),
			slog.Time("revoked_at", rev.RevokedAt), slog.String("source", rev.Source))
	} else {
		attrs := []slog.Attr{slog.String("error", err.Error())}
		if s := clientSerial(&cs); s != "" {
			attrs = append(attrs, slog.String("serial", s))
		}
		p.log.LogAttrs(context.Background(), slog.LevelWarn, "tlsproxy: handshake refused: client certificate revocation status unknown", attrs...)
	}
	return err
}

// Addr is the address Serve listens on; nil before Serve starts.
func (p *Proxy) Addr() net.Addr {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.addr
}

// ListenAndServe listens on addr (host:port; port 0 picks one, see Addr) and serves.
func (p *Proxy) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("tlsproxy: %w", err)
	}
	return p.Serve(ctx, ln)
}

// Serve accepts TLS connections on ln until ctx is cancelled, then stops accepting, lets the
// requests in flight and WebSocket tunnels finish (at most ShutdownTimeout; tunnels still open
// then are closed) and returns nil. Serve owns ln. It also
// runs the certificate source's background work (Runner) for as long as it serves.
func (p *Proxy) Serve(ctx context.Context, ln net.Listener) error {
	p.mu.Lock()
	p.addr = ln.Addr()
	p.mu.Unlock()
	if p.o.OnListening != nil {
		p.o.OnListening(ln.Addr())
	}
	srv := &http.Server{
		Handler:           p,
		TLSConfig:         p.tls,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
		// No ReadTimeout or WriteTimeout: they would cut long uploads, downloads and streams.
		// ReadHeaderTimeout and IdleTimeout deal with clients that connect and say nothing.
		ErrorLog:    slog.NewLogLogger(p.log.Handler(), slog.LevelWarn),
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ConnContext: connContext,
	}
	srv.Protocols = new(http.Protocols)
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetHTTP2(true)

	runCtx, stopRun := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stopRun()
	if r, ok := p.o.Certs.(Runner); ok {
		wg.Go(func() { r.Run(runCtx) })
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(ln, "", "") }()
	select {
	case err := <-errc:
		return fmt.Errorf("tlsproxy: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), p.o.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	<-errc
	if err != nil {
		srv.Close() // before drain: no connection the server still holds may become a tunnel
	}
	p.tunnels.drain(sctx, 5*time.Second)
	if err != nil {
		return fmt.Errorf("tlsproxy: draining connections: %w", err)
	}
	return nil
}

// rewrite builds the upstream request; httputil.ReverseProxy has already removed hop-by-hop
// headers and the client's X-Forwarded-For, -Host, -Proto and Forwarded.
func (p *Proxy) rewrite(pr *httputil.ProxyRequest) {
	stripUntrusted(pr.Out.Header)
	pr.SetURL(p.o.Upstream)
	pr.Out.Host = pr.In.Host // keep the client's Host (see the package documentation)
	pr.SetXForwarded()
	setIdentity(pr.Out.Header, pr.In.TLS)
}

// upstreamError answers 502 in plain text naming the upstream and the cause.
func (p *Proxy) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	up := p.o.Upstream.Redacted()
	if r.Context().Err() != nil {
		// The client went away; nobody reads the answer.
		p.log.LogAttrs(r.Context(), slog.LevelDebug, "tlsproxy: request cancelled by the client", slog.String("path", r.URL.Path))
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	// The client learns that the upstream failed and, for the common cases, how; the upstream's
	// address and any other detail (a DNS error names the resolver) stay in the log.
	msg := "anchor proxy: the upstream failed"
	if oe, ok := errors.AsType[*net.OpError](err); ok && oe.Op == "dial" {
		msg = "anchor proxy: the upstream is unreachable"
	}
	if c := genericCause(err); c != "" {
		msg += ": " + c
	}
	p.log.LogAttrs(r.Context(), slog.LevelError, "tlsproxy: upstream error", slog.String("upstream", up),
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("error", err.Error()))
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusBadGateway)
	fmt.Fprintln(w, msg)
}

// genericCause names a transport failure in words that reveal nothing of the network behind
// the proxy: a system error ("connection refused") or a timeout; "" for anything else.
func genericCause(err error) string {
	if errno, ok := errors.AsType[syscall.Errno](err); ok {
		return errno.Error()
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return "timeout"
	}
	return ""
}
