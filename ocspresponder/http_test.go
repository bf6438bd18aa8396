package ocspresponder_test

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/ocspresponder"
)

// leafWithAwkwardBase64 issues leaves until one's request, in standard base64, contains all of
// "+", "/" and "=" — the characters RFC 5019 §5 asks clients to URL-escape and that some do not.
func leafWithAwkwardBase64(t *testing.T, p *pki) (*x509.Certificate, string) {
	t.Helper()
	for range 40 {
		leaf := p.issueLeaf(t, "leaf.test")
		for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256} {
			b64 := base64.StdEncoding.EncodeToString(request(t, leaf, p.inter, h))
			if strings.ContainsAny(b64, "+") && strings.Contains(b64, "/") && strings.Contains(b64, "=") {
				return leaf, b64
			}
		}
	}
	t.Fatal("no request with +, / and = in 40 leaves")
	return nil, ""
}

func TestHTTPGet(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	leaf, b64 := leafWithAwkwardBase64(t, p)
	clk := &clock{t: time.Now().Truncate(time.Minute)}
	r := p.responder(t, func(o *ocspresponder.Options) { o.Now = clk.Now })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.HasPrefix(req.URL.Path, "/ocsp/") {
			// Not through http.ServeMux, which would clean "//" out of unescaped base64.
			http.StripPrefix("/ocsp", r).ServeHTTP(w, req)
			return
		}
		r.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)

	tests := []struct{ name, path string }{
		{"unescaped + / =", "/" + b64},
		{"fully escaped (RFC 5019 §5)", "/" + url.QueryEscape(b64)},
		{"path-escaped (/ only)", "/" + url.PathEscape(b64)},
		{"under a prefix", "/ocsp/" + url.QueryEscape(b64)},
		{"URL-safe alphabet, no padding", "/" + strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(b64), "=")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, srv, http.MethodGet, tc.path, nil)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/ocsp-response" {
				t.Fatalf("HTTP %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			o := parse(t, body, leaf, p.inter)
			if o.Status != ocsp.Good {
				t.Fatalf("status %d, want good", o.Status)
			}
			// RFC 5019 §6.2.
			h := resp.Header
			want := map[string]string{
				"Cache-Control": "max-age=86400, public, no-transform, must-revalidate",
				"Last-Modified": o.ThisUpdate.Format(http.TimeFormat),
				"Expires":       o.NextUpdate.Format(http.TimeFormat),
			}
			for k, v := range want {
				if h.Get(k) != v {
					t.Errorf("%s: %q, want %q", k, h.Get(k), v)
				}
			}
			etag := h.Get("ETag")
			if len(etag) < 3 || etag[0] != '"' {
				t.Fatalf("ETag %q", etag)
			}
			resp, body = get(t, srv, http.MethodGet, tc.path, http.Header{"If-None-Match": {`"x", ` + etag}})
			if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
				t.Fatalf("conditional GET: HTTP %d with %d bytes, want 304 and none", resp.StatusCode, len(body))
			}
		})
	}
}

func TestHTTP(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	leaf := p.issueLeaf(t, "leaf.test")
	r := p.responder(t, func(o *ocspresponder.Options) { o.MaxRequestBytes = 1024 })
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	req := request(t, leaf, p.inter, crypto.SHA1)
	unknown := request(t, p.issueLeafWithKey(t, newKey(t)), p.inter, crypto.SHA1) // signed, never recorded
	b64 := "/" + url.QueryEscape(base64.StdEncoding.EncodeToString(req))

	tests := []struct {
		name         string
		method, path string
		body         []byte
		wantCode     int
		wantStatus   int // OCSP: -1 for a signed response, else the OCSPResponseStatus
		wantCertStat int
		wantNoStore  bool
	}{
		{"POST", http.MethodPost, "/", req, 200, -1, ocsp.Good, true},
		{"POST to any path", http.MethodPost, "/some/where", req, 200, -1, ocsp.Good, true},
		{"GET unknown is not cacheable", http.MethodGet, "/" + url.QueryEscape(base64.StdEncoding.EncodeToString(unknown)), nil, 200, -1, ocsp.Unknown, true},
		{"POST garbage", http.MethodPost, "/", []byte("garbage"), 200, int(ocsp.Malformed), 0, true},
		{"POST too big", http.MethodPost, "/", bytes.Repeat(req, 20), 200, int(ocsp.Malformed), 0, true},
		{"GET not base64", http.MethodGet, "/not%20base64!", nil, 200, int(ocsp.Malformed), 0, true},
		{"GET base64 of garbage", http.MethodGet, "/" + base64.StdEncoding.EncodeToString([]byte("garbage")), nil, 200, int(ocsp.Malformed), 0, true},
		{"GET nothing", http.MethodGet, "/", nil, 200, int(ocsp.Malformed), 0, true},
		{"GET too long", http.MethodGet, "/" + strings.Repeat("M", 2000), nil, 200, int(ocsp.Malformed), 0, true},
		{"GET other CA", http.MethodGet, "/" + url.QueryEscape(base64.StdEncoding.EncodeToString(request(t, p.otherLeaf, p.otherRoot, crypto.SHA1))), nil, 200, int(ocsp.Unauthorized), 0, true},
		{"HEAD", http.MethodHead, b64, nil, 200, -2, 0, false},
		{"PUT", http.MethodPut, "/", req, 405, -2, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.body != nil {
				body = bytes.NewReader(tc.body)
			}
			hreq, err := http.NewRequestWithContext(t.Context(), tc.method, srv.URL+tc.path, body)
			if err != nil {
				t.Fatal(err)
			}
			if tc.method == http.MethodPost {
				hreq.Header.Set("Content-Type", "application/ocsp-request")
			}
			resp, err := srv.Client().Do(hreq)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantCode {
				t.Fatalf("HTTP %d, want %d", resp.StatusCode, tc.wantCode)
			}
			if noStore := resp.Header.Get("Cache-Control") == "no-store"; tc.wantCode == 200 && noStore != tc.wantNoStore {
				t.Errorf("Cache-Control %q", resp.Header.Get("Cache-Control"))
			}
			switch tc.wantStatus {
			case -2: // no OCSP body expected
				if tc.method == http.MethodHead && (len(got) != 0 || resp.Header.Get("ETag") == "") {
					t.Errorf("HEAD: %d bytes, ETag %q", len(got), resp.Header.Get("ETag"))
				}
				if tc.wantCode == 405 && resp.Header.Get("Allow") != "GET, HEAD, POST" {
					t.Errorf("Allow %q", resp.Header.Get("Allow"))
				}
			case -1:
				if o := parse(t, got, nil, p.inter); o.Status != tc.wantCertStat {
					t.Errorf("cert status %d, want %d", o.Status, tc.wantCertStat)
				}
			default:
				_, err := ocsp.ParseResponse(got, nil)
				if re, ok := err.(ocsp.ResponseError); !ok || int(re.Status) != tc.wantStatus {
					t.Errorf("response %x: %v, want OCSP status %d", got, err, tc.wantStatus)
				}
			}
		})
	}
}

func get(t *testing.T, srv *httptest.Server, method, path string, h http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// TestHTTPLog: one event per request; an internal failure is logged at error level with the
// serial and the cause, which the client never sees.
func TestHTTPLog(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	leaf := p.issueLeaf(t, "leaf.test")
	var buf testkit.Buffer
	r := p.responder(t, func(o *ocspresponder.Options) {
		o.Logger = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		o.Signer = func(*x509.Certificate) (*x509.Certificate, crypto.Signer, error) {
			return nil, nil, errors.New("hsm offline")
		}
	})
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	resp, body := get(t, srv, http.MethodGet, "/"+url.QueryEscape(base64.StdEncoding.EncodeToString(request(t, leaf, p.inter, crypto.SHA1))), nil)
	if resp.StatusCode != 200 || !bytes.Equal(body, ocsp.InternalErrorErrorResponse) {
		t.Fatalf("HTTP %d, body %x; want 200 and internalError", resp.StatusCode, body)
	}
	var event struct {
		Level, Msg, Status, Serial, Error string
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d log lines, want 1:\n%s", len(lines), buf.String())
	}
	if err := json.Unmarshal([]byte(lines[0]), &event); err != nil {
		t.Fatal(err)
	}
	if event.Level != "ERROR" || event.Status != "internal" || event.Serial != hex.EncodeToString(leaf.SerialNumber.Bytes()) || !strings.Contains(event.Error, "hsm offline") {
		t.Fatalf("log event %+v", event)
	}
}
