package server

import (
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/anchorpki/anchor/config"
)

// NewLogger returns the logger the log section asks for, writing to w (the CLI passes
// stderr): JSON lines by default, so that a log collector gets one object per event.
func NewLogger(w io.Writer, c config.Log) *slog.Logger {
	o := &slog.HandlerOptions{Level: c.SlogLevel()}
	if c.Format == "text" {
		return slog.New(slog.NewTextHandler(w, o))
	}
	return slog.New(slog.NewJSONHandler(w, o))
}

// maxLoggedPath bounds the path in a request event: an OCSP GET carries its request in the
// path, and a client may send a path of any length up to MaxHeaderBytes.
const maxLoggedPath = 256

// instrument routes a listener's requests and gives each what every request gets: one log
// event and the request metrics. A route without a label is left alone: its handler (the REST
// API) logs and counts itself, with what only it knows (the requester, the error's cause).
func (s *Server) instrument(listener string, rt *router) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rte := rt.match(r.URL.Path)
		if rte.label == "" {
			rte.h.ServeHTTP(w, r)
			return
		}
		route, h := rte.label, rte.h
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		d := time.Since(start)
		if sw.code == 0 {
			sw.code = http.StatusOK
		}
		s.metrics.observeHTTP(listener, route, sw.code, d)
		path := r.URL.Path
		if len(path) > maxLoggedPath {
			path = path[:maxLoggedPath] + "…"
		}
		attrs := []slog.Attr{
			slog.String("listener", listener), slog.String("method", r.Method), slog.String("route", route),
			slog.String("path", path), slog.Int("status", sw.code), slog.Int64("bytes", sw.bytes),
			slog.Duration("duration", d), slog.String("remote", r.RemoteAddr),
		}
		if who := requester(r); who != "" {
			attrs = append(attrs, slog.String("requester", who))
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "http request", attrs...)
	})
}

// requester names a client that authenticated with a certificate this CA issued, as the REST
// API records it: cert:<serial>.
func requester(r *http.Request) string {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return ""
	}
	return "cert:" + hex.EncodeToString(r.TLS.VerifiedChains[0][0].SerialNumber.Bytes())
}

// statusWriter remembers the status code and counts the body bytes of a response.
type statusWriter struct {
	http.ResponseWriter
	code  int
	bytes int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 && code >= 200 { // 1xx are interim responses; the final status follows
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (deadlines, flushing).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
