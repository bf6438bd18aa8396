package tlsproxy

import (
	"log/slog"
	"net/http"
	"strings"
)

// tunnelFor tracks an upgrade request as a tunnel (a 101 turns its handler into the tunnel's
// lifetime); other requests need nothing. ok is false once the proxy is stopping.
func (p *Proxy) tunnelFor(r *http.Request, upgrade string) (untrack func(), ok bool) {
	if upgrade == "" {
		return func() {}, true
	}
	return p.tunnels.track(r)
}

// maxLoggedPath bounds the path in a request event; a client may send one as long as
// MaxHeaderBytes.
const maxLoggedPath = 256

// ServeHTTP proxies one request and logs one event for it.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := p.o.Now()
	rec := &statusRecorder{ResponseWriter: w}
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
	path := r.URL.Path
	if len(path) > maxLoggedPath {
		path = path[:maxLoggedPath] + "…"
	}
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	attrs := []slog.Attr{slog.String("method", r.Method), slog.String("path", path), slog.Int("status", status),
		slog.Duration("duration", p.o.Now().Sub(start)), slog.Int64("bytes", rec.bytes), slog.String("proto", r.Proto),
		slog.String("remote", r.RemoteAddr)}
	if s := clientSerial(r.TLS); s != "" {
		attrs = append(attrs, slog.String("client_serial", s))
	}
	p.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
}

// statusRecorder notes the final status and the body size. Unwrap lets
// http.ResponseController (which ReverseProxy uses to flush and to hijack for upgrades) reach
// the connection's writer.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 && code >= 200 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
