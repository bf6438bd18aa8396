package server

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Listener names, as the logs and the metrics label them.
const (
	listenerHTTPS = "https"
	listenerHTTP  = "http"
)

// Timeouts and limits of both listeners. The write timeout leaves time for a large CRL or a
// list page to a slow client; the header limit is generous for an OCSP GET. Variables only so
// that a test can shorten them.
var (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
)

const maxHeaderBytes = 64 << 10

// route is where a path goes, and the label its requests are counted under. An empty label
// means the handler logs and counts its requests itself.
type route struct {
	label string
	h     http.Handler
}

// router matches whole paths and then prefixes. It deliberately is not an http.ServeMux: the
// mux cleans paths and redirects "//" to "/", which corrupts OCSP GET requests, whose base64
// may contain "/" (see ocspresponder.Responder.ServeHTTP).
type router struct {
	exact    map[string]route
	prefixes []struct {
		prefix string
		route
	}
	notFound route
}

func (rt *router) match(path string) route {
	if r, ok := rt.exact[path]; ok {
		return r
	}
	for _, p := range rt.prefixes {
		if strings.HasPrefix(path, p.prefix) {
			return p.route
		}
	}
	return rt.notFound
}

func (rt *router) prefix(p string, r route) {
	rt.prefixes = append(rt.prefixes, struct {
		prefix string
		route
	}{p, r})
}

func newRouter() *router {
	return &router{exact: map[string]route{}, notFound: route{"other", http.NotFoundHandler()}}
}

// buildHTTPServers assembles both listeners' handlers and http.Servers.
func (s *Server) buildHTTPServers() error {
	api, err := s.apiHandler()
	if err != nil {
		return err
	}
	health := getOnly(s.health)
	metrics := getOnly(s.metrics.handler())

	secure := newRouter()
	secure.exact["/healthz"] = route{"/healthz", health}
	secure.exact["/metrics"] = route{"/metrics", metrics}
	if api != nil {
		secure.prefix("/api/v1/", route{"", api})
	}
	if s.acme != nil {
		secure.prefix("/acme/", route{"/acme", s.acme})
	}

	plain := newRouter()
	plain.exact["/healthz"] = route{"/healthz", health}
	plain.exact["/metrics"] = route{"/metrics", metrics}
	// These paths are the ones ca.Layout.Load and ca.NewHierarchy write into certificates.
	ocsp := route{"/ocsp", http.StripPrefix("/ocsp", s.responder)}
	plain.exact["/ocsp"] = ocsp
	plain.prefix("/ocsp/", ocsp)
	plain.exact["/crl/intermediate.crl"] = route{"/crl", getOnly(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serveCRL(w, r, s.crls.inter.Load())
	}))}
	plain.exact["/crl/root.crl"] = route{"/crl", getOnly(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serveCRL(w, r, s.crls.root.Load())
	}))}
	plain.exact["/ca/intermediate.crt"] = route{"/ca", getOnly(certHandler(s.loaded.Intermediate))}
	plain.exact["/ca/root.crt"] = route{"/ca", getOnly(certHandler(s.loaded.Root))}

	// Client certificates are optional: the REST API also takes bearer tokens. Both CA
	// certificates are anchors, so a client that sends its leaf without the intermediate is
	// verified too.
	clientCAs := x509.NewCertPool()
	clientCAs.AddCert(s.loaded.Root)
	clientCAs.AddCert(s.loaded.Intermediate)
	errorLog := slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)
	s.https = &http.Server{
		Handler: s.instrument(listenerHTTPS, secure),
		TLSConfig: &tls.Config{MinVersion: s.cfg.TLS.Version(), GetCertificate: s.tls.getCertificate,
			ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: clientCAs},
		ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout, WriteTimeout: writeTimeout,
		IdleTimeout: idleTimeout, MaxHeaderBytes: maxHeaderBytes, ErrorLog: errorLog,
	}
	s.plain = &http.Server{
		Handler:           s.instrument(listenerHTTP, plain),
		ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout, WriteTimeout: writeTimeout,
		IdleTimeout: idleTimeout, MaxHeaderBytes: maxHeaderBytes, ErrorLog: errorLog,
	}
	return nil
}

// getOnly answers methods other than GET and HEAD with 405.
func getOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// certHandler serves a CA certificate at its AIA caIssuers URL: DER, application/pkix-cert
// (RFC 5280 §4.2.2.1). It never changes, so caches may keep it for a day.
func certHandler(c *x509.Certificate) http.Handler {
	sum := sha256.Sum256(c.Raw)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/pkix-cert")
		h.Set("Cache-Control", "public, max-age=86400")
		h.Set("ETag", etag)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(c.Raw))
	})
}
