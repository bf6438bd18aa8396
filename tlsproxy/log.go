package tlsproxy

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/anchorpki/anchor/internal/httplog"
)

// tunnelFor tracks an upgrade request as a tunnel (a 101 turns its handler into the tunnel's
// lifetime); other requests need nothing. ok is false once the proxy is stopping.
func (p *Proxy) tunnelFor(r *http.Request, upgrade string) (untrack func(), ok bool) {
	if upgrade == "" {
		return func() {}, true
	}
	return p.tunnels.track(r)
}

// ServeHTTP proxies one request and logs one event for it.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := p.o.Now()
	rec := &httplog.Recorder{ResponseWriter: w}
	if up := r.Header.Get("Upgrade"); up != "" && !strings.EqualFold(strings.TrimSpace(up), "websocket") {
		// After a 101 the proxy only pipes bytes: requests inside an h2c (or any other) tunnel
		// would reach the upstream with whatever identity headers the client wrote. WebSocket
		// carries messages, not requests, so it is the one upgrade let through.
		http.Error(rec, "anchor proxy: only the websocket upgrade is supported", http.StatusBadRequest)
	} else if untrack, ok := p.tunnelFor(r, up); !ok {
		http.Error(rec, "anchor proxy: shutting down", http.StatusServiceUnavailable)
	} else {
		defer untrack()
		p.rp.ServeHTTP(rec, r)
	}
	attrs := []slog.Attr{slog.String("method", r.Method), slog.String("path", httplog.Path(r)), slog.Int("status", rec.Status()),
		slog.Duration("duration", p.o.Now().Sub(start)), slog.Int64("bytes", rec.Bytes()), slog.String("proto", r.Proto),
		slog.String("remote", r.RemoteAddr)}
	if s := clientSerial(r.TLS); s != "" {
		attrs = append(attrs, slog.String("client_serial", s))
	}
	p.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
}
