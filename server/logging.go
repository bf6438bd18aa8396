package server

import (
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/anchorpki/anchor/config"
	"github.com/anchorpki/anchor/internal/httplog"
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
		rec := &httplog.Recorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		d := time.Since(start)
		s.metrics.observeHTTP(listener, route, rec.Status(), d)
		attrs := []slog.Attr{
			slog.String("listener", listener), slog.String("method", r.Method), slog.String("route", route),
			slog.String("path", httplog.Path(r)), slog.Int("status", rec.Status()), slog.Int64("bytes", rec.Bytes()),
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
