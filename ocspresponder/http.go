package ocspresponder

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Media types of RFC 6960 Appendix C.
const (
	contentTypeRequest  = "application/ocsp-request"
	contentTypeResponse = "application/ocsp-response"
)

// ServeHTTP answers GET /{base64 DER} (RFC 6960 Appendix A.1, RFC 5019 §5) and POST with a DER
// body. A GET answer that is good or revoked carries the caching headers of RFC 5019 §6.2, so
// that HTTP caches and CDNs can serve it; everything else is sent with Cache-Control: no-store.
//
// The request is taken from the whole URL path, so mount the Responder with http.StripPrefix.
// Base64 may contain "/" and clients do not always escape it: a router that cleans paths
// ("//" → "/", as http.ServeMux does with a redirect) corrupts such requests, which is why the
// path is read here and not matched by a pattern.
func (r *Responder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	start := r.o.Now()
	var (
		der []byte
		err error
	)
	switch req.Method {
	case http.MethodGet, http.MethodHead:
		der, err = r.decodeGET(req.URL.Path)
	case http.MethodPost:
		// The Content-Type is not checked: RFC 6960 Appendix A.1 says clients send
		// application/ocsp-request, and refusing the few that do not would help nobody.
		der, err = r.readPOST(w, req)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "OCSP requests use GET or POST (RFC 6960 Appendix A.1)", http.StatusMethodNotAllowed)
		return
	}
	var res result
	if err != nil {
		res = failure(StatusMalformed, err)
	} else {
		res = r.respond(req.Context(), der)
	}

	h := w.Header()
	h.Set("Content-Type", contentTypeResponse)
	code := http.StatusOK
	if req.Method != http.MethodPost && res.signed != nil && res.status != StatusUnknown {
		e := res.signed
		now := r.o.Now()
		// RFC 5019 §6.2: max-age no later than nextUpdate, Last-Modified the thisUpdate, Expires
		// the nextUpdate, and an ETag so caches can revalidate.
		maxAge := max(int64(e.nextUpdate.Sub(now)/time.Second), 0)
		h.Set("Cache-Control", "max-age="+strconv.FormatInt(maxAge, 10)+", public, no-transform, must-revalidate")
		h.Set("Last-Modified", e.thisUpdate.Format(http.TimeFormat))
		h.Set("Expires", e.nextUpdate.Format(http.TimeFormat))
		h.Set("ETag", e.etag)
		if etagMatches(req.Header.Get("If-None-Match"), e.etag) {
			code = http.StatusNotModified
		}
	} else {
		h.Set("Cache-Control", "no-store")
	}
	if code == http.StatusOK {
		h.Set("Content-Length", strconv.Itoa(len(res.der)))
	}
	w.WriteHeader(code)
	if code == http.StatusOK && req.Method != http.MethodHead {
		_, _ = w.Write(res.der)
	}
	r.observe(res.status)
	r.logRequest(req, res, code, start)
}

// decodeGET reads the request from a URL path. net/http has already percent-decoded it, so
// "%2F", "%2B" and "%3D" are "/", "+" and "="; a literal "+" stays "+" (only query strings
// turn it into a space). Leading slashes are all dropped: a DER OCSPRequest starts with a
// SEQUENCE tag, 0x30, whose base64 is "M", so no request begins with "/".
func (r *Responder) decodeGET(path string) ([]byte, error) {
	s := strings.TrimLeft(path, "/")
	if s == "" {
		return nil, errors.New("GET without a request in the path")
	}
	if int64(len(s)) > (r.o.MaxRequestBytes+2)/3*4 { // the padded base64 length of the limit
		return nil, fmt.Errorf("GET path of %d characters exceeds the request limit of %d bytes", len(s), r.o.MaxRequestBytes)
	}
	der, err := base64.StdEncoding.DecodeString(s)
	if err == nil {
		return der, nil
	}
	// Some clients drop the padding or use the URL-safe alphabet; being lenient costs nothing.
	trimmed := strings.TrimRight(s, "=")
	if d, err2 := base64.RawStdEncoding.DecodeString(trimmed); err2 == nil {
		return d, nil
	}
	if d, err2 := base64.RawURLEncoding.DecodeString(trimmed); err2 == nil {
		return d, nil
	}
	return nil, fmt.Errorf("GET path is not base64: %w", err)
}

func (r *Responder) readPOST(w http.ResponseWriter, req *http.Request) ([]byte, error) {
	limit := r.o.MaxRequestBytes
	if req.ContentLength > limit {
		return nil, fmt.Errorf("POST body of %d bytes exceeds the limit of %d", req.ContentLength, limit)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, limit))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, fmt.Errorf("POST body exceeds the limit of %d bytes", limit)
		}
		return nil, fmt.Errorf("reading POST body: %w", err)
	}
	return body, nil
}

// etagMatches implements the weak comparison of If-None-Match (RFC 9110 §13.1.2).
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for t := range strings.SplitSeq(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// logRequest writes the one event of a request: at debug level when it was answered as
// designed, at error level when the responder failed.
func (r *Responder) logRequest(req *http.Request, res result, code int, start time.Time) {
	level := slog.LevelDebug
	if res.status == StatusInternal {
		level = slog.LevelError
	}
	if !r.log.Enabled(req.Context(), level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", req.Method),
		slog.String("status", string(res.status)),
		slog.Int("http_status", code),
		slog.Bool("cached", res.cached),
		slog.Duration("duration", r.o.Now().Sub(start)),
	}
	if res.serial != nil {
		attrs = append(attrs, slog.String("serial", hex.EncodeToString(res.serial.Bytes())))
	}
	if res.err != nil {
		attrs = append(attrs, slog.String("error", res.err.Error()))
	} else if res.detail != nil {
		attrs = append(attrs, slog.String("detail", res.detail.Error()))
	}
	r.log.LogAttrs(req.Context(), level, "ocsp request", attrs...)
}
