package challenge_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anchorpki/anchor/challenge"
	"github.com/anchorpki/anchor/internal/testkit/dnsserver"
)

const (
	token   = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
	keyAuth = token + ".9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"
)

// httpTarget is a real HTTP server on loopback that records the Host headers it saw.
type httpTarget struct {
	port  int
	mu    sync.Mutex
	hosts []string
}

func (h *httpTarget) seen() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.hosts)
}

func startHTTP(t *testing.T, handler http.HandlerFunc) *httpTarget {
	t.Helper()
	h := &httpTarget{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.hosts = append(h.hosts, r.Host)
		h.mu.Unlock()
		handler(w, r)
	}))
	t.Cleanup(srv.Close)
	h.port = portOf(t, srv.Listener.Addr())
	return h
}

func serveKeyAuth(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/acme-challenge/"+token {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, body)
	}
}

func TestHTTP01(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler http.HandlerFunc
		kind    challenge.Kind // 0: success
		parts   []string
	}{
		{"exact body", serveKeyAuth(keyAuth), 0, nil},
		{"trailing whitespace ignored", serveKeyAuth(keyAuth + " \r\n\n"), 0, nil},
		{"wrong body", serveKeyAuth("something else"), challenge.IncorrectResponse,
			[]string{`expected key authorization "` + keyAuth + `"`, `got "something else"`, "http://a.test/.well-known/acme-challenge/" + token}},
		{"leading whitespace is not ignored", serveKeyAuth("\n" + keyAuth), challenge.IncorrectResponse, []string{"expected key authorization"}},
		{"404", http.NotFound, challenge.Unauthorized, []string{"404 Not Found", "http://a.test/.well-known/acme-challenge/" + token}},
		{"body too large", serveKeyAuth(keyAuth + strings.Repeat("x", 129)), challenge.IncorrectResponse,
			[]string{fmt.Sprintf("longer than %d bytes", len(keyAuth)+128)}},
		{"body at the limit", serveKeyAuth(keyAuth + strings.Repeat(" ", 128)), 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dns := dnsserver.Start(t)
			dns.Add(t, "a.test. A 127.0.0.1")
			target := startHTTP(t, tc.handler)
			v := newValidator(t, dns, challenge.Options{HTTP01Port: target.port})
			err := v.HTTP01(t.Context(), "a.test", token, keyAuth)
			if tc.kind == 0 {
				if err != nil {
					t.Fatalf("HTTP01 = %v; want success", err)
				}
			} else {
				wantError(t, err, tc.kind, tc.parts...)
			}
			if got := target.seen(); len(got) != 1 || got[0] != "a.test" {
				t.Errorf("Host headers = %q; want [a.test]", got)
			}
			if !slices.Contains(dns.Queries(), "A a.test.") {
				t.Errorf("DNS queries = %q; the validator did not use the configured resolver", dns.Queries())
			}
		})
	}
}

// TestHTTP01IPv6First: like Let's Encrypt, try AAAA first and fall back to A when nothing
// answers there.
func TestHTTP01IPv6First(t *testing.T) {
	t.Parallel()
	dns := dnsserver.Start(t)
	dns.Add(t, "a.test. AAAA ::1", "a.test. A 127.0.0.1")
	target := startHTTP(t, serveKeyAuth(keyAuth)) // 127.0.0.1 only: ::1 refuses
	v := newValidator(t, dns, challenge.Options{HTTP01Port: target.port})
	if err := v.HTTP01(t.Context(), "a.test", token, keyAuth); err != nil {
		t.Fatalf("HTTP01 = %v; want success via the A record", err)
	}
	q := dns.Queries()
	if len(q) < 2 || q[0] != "AAAA a.test." || q[1] != "A a.test." {
		t.Errorf("queries = %q; want AAAA then A", q)
	}
}

func TestHTTP01IPIdentifier(t *testing.T) {
	t.Parallel()
	for _, ip := range []string{"127.0.0.1", "::1"} {
		t.Run(ip, func(t *testing.T) {
			t.Parallel()
			l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
			if err != nil {
				t.Skipf("no loopback for %s: %v", ip, err)
			}
			var host string
			srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				host = r.Host
				serveKeyAuth(keyAuth)(w, r)
			})}}
			srv.Start()
			t.Cleanup(srv.Close)
			dns := dnsserver.Start(t)
			v := newValidator(t, dns, challenge.Options{HTTP01Port: portOf(t, l.Addr())})
			if err := v.HTTP01(t.Context(), ip, token, keyAuth); err != nil {
				t.Fatalf("HTTP01(%s) = %v", ip, err)
			}
			want := ip
			if strings.Contains(ip, ":") {
				want = "[" + ip + "]"
			}
			if host != want {
				t.Errorf("Host = %q; want %q", host, want)
			}
			if q := dns.Queries(); len(q) != 0 {
				t.Errorf("an IP identifier caused DNS queries %q", q)
			}
		})
	}
}

// TestHTTP01Redirects pins the port policy documented on HTTP01: redirects go only to http:80
// and https:443, which connect to HTTP01Port and TLSALPN01Port.
func TestHTTP01Redirects(t *testing.T) {
	t.Parallel()
	path := "/.well-known/acme-challenge/" + token

	t.Run("to another host on port 80", func(t *testing.T) {
		t.Parallel()
		dns := dnsserver.Start(t)
		dns.Add(t, "a.test. A 127.0.0.1", "central.test. A 127.0.0.1")
		target := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {
			if r.Host == "a.test" {
				http.Redirect(w, r, "http://central.test:80/acme/"+token, http.StatusFound)
				return
			}
			fmt.Fprint(w, keyAuth)
		})
		v := newValidator(t, dns, challenge.Options{HTTP01Port: target.port})
		if err := v.HTTP01(t.Context(), "a.test", token, keyAuth); err != nil {
			t.Fatalf("HTTP01 = %v", err)
		}
		if got := target.seen(); !slices.Equal(got, []string{"a.test", "central.test:80"}) {
			t.Errorf("hosts = %q", got)
		}
	})

	t.Run("to https followed on the 443 stand-in", func(t *testing.T) {
		t.Parallel()
		dns := dnsserver.Start(t)
		dns.Add(t, "a.test. A 127.0.0.1")
		tlsSrv := httptest.NewTLSServer(serveKeyAuth(keyAuth)) // self-signed: not verified, by design
		t.Cleanup(tlsSrv.Close)
		target := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://a.test"+path, http.StatusMovedPermanently)
		})
		v := newValidator(t, dns, challenge.Options{HTTP01Port: target.port, TLSALPN01Port: portOf(t, tlsSrv.Listener.Addr())})
		if err := v.HTTP01(t.Context(), "a.test", token, keyAuth); err != nil {
			t.Fatalf("HTTP01 = %v", err)
		}
	})

	t.Run("to https refused when 443 does not answer", func(t *testing.T) {
		t.Parallel()
		dns := dnsserver.Start(t)
		dns.Add(t, "a.test. A 127.0.0.1")
		target := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://a.test:443"+path, http.StatusFound)
		})
		closed := closedPort(t, "tcp")
		v := newValidator(t, dns, challenge.Options{HTTP01Port: target.port, TLSALPN01Port: closed})
		wantError(t, v.HTTP01(t.Context(), "a.test", token, keyAuth), challenge.Connection,
			"fetching https://a.test:443"+path, fmt.Sprintf("connecting to 127.0.0.1:%d: connection refused", closed))
	})

	t.Run("to https on a plain HTTP server", func(t *testing.T) {
		t.Parallel()
		dns := dnsserver.Start(t)
		dns.Add(t, "a.test. A 127.0.0.1")
		var target *httpTarget
		target = startHTTP(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://a.test"+path, http.StatusFound)
		})
		v := newValidator(t, dns, challenge.Options{HTTP01Port: target.port, TLSALPN01Port: target.port})
		wantError(t, v.HTTP01(t.Context(), "a.test", token, keyAuth), challenge.TLS, "fetching https://a.test"+path, "TLS handshake with 127.0.0.1:")
	})

	refused := []struct{ name, location, detail string }{
		{"other port", "http://a.test:8080" + path, "fetching http://a.test:8080" + path + ": redirect not followed: port 8080; only 80 (http) and 443 (https) are allowed"},
		{"https on port 80", "https://a.test:80" + path, "port 80; only"},
		{"other scheme", "ftp://a.test" + path, "fetching ftp://a.test" + path + ": redirect not followed: scheme ftp; only http and https are allowed"},
	}
	for _, tc := range refused {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			t.Parallel()
			dns := dnsserver.Start(t)
			dns.Add(t, "a.test. A 127.0.0.1")
			target := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, tc.location, http.StatusFound)
			})
			v := newValidator(t, dns, challenge.Options{HTTP01Port: target.port})
			wantError(t, v.HTTP01(t.Context(), "a.test", token, keyAuth), challenge.Connection, tc.detail)
		})
	}

	// hops redirects, then the key authorization.
	chain := func(hops int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var n int
			fmt.Sscanf(r.URL.Query().Get("n"), "%d", &n)
			if n < hops {
				http.Redirect(w, r, fmt.Sprintf("%s?n=%d", path, n+1), http.StatusFound)
				return
			}
			fmt.Fprint(w, keyAuth)
		}
	}
	for _, tc := range []struct {
		hops int
		ok   bool
	}{{3, true}, {4, false}} {
		t.Run(fmt.Sprintf("%d redirects with MaxRedirects 3", tc.hops), func(t *testing.T) {
			t.Parallel()
			dns := dnsserver.Start(t)
			dns.Add(t, "a.test. A 127.0.0.1")
			target := startHTTP(t, chain(tc.hops))
			v := newValidator(t, dns, challenge.Options{HTTP01Port: target.port, MaxRedirects: 3})
			err := v.HTTP01(t.Context(), "a.test", token, keyAuth)
			if tc.ok && err != nil {
				t.Fatalf("HTTP01 = %v", err)
			}
			if !tc.ok {
				wantError(t, err, challenge.Connection, "more than 3 redirects starting at http://a.test"+path)
			}
		})
	}
}

func TestHTTP01Failures(t *testing.T) {
	t.Parallel()

	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		dns := dnsserver.Start(t)
		dns.Add(t, "a.test. A 127.0.0.1")
		port := closedPort(t, "tcp")
		v := newValidator(t, dns, challenge.Options{HTTP01Port: port})
		wantError(t, v.HTTP01(t.Context(), "a.test", token, keyAuth), challenge.Connection,
			fmt.Sprintf("connecting to 127.0.0.1:%d: connection refused", port))
	})

	t.Run("NXDOMAIN", func(t *testing.T) {
		t.Parallel()
		dns := dnsserver.Start(t)
		v := newValidator(t, dns, challenge.Options{HTTP01Port: 1})
		wantError(t, v.HTTP01(t.Context(), "missing.test", token, keyAuth), challenge.DNS, "missing.test does not exist (NXDOMAIN")
	})

	t.Run("no address records", func(t *testing.T) {
		t.Parallel()
		dns := dnsserver.Start(t)
		dns.Add(t, `a.test. TXT "hello"`)
		v := newValidator(t, dns, challenge.Options{HTTP01Port: 1})
		wantError(t, v.HTTP01(t.Context(), "a.test", token, keyAuth), challenge.DNS, "no A or AAAA records for a.test")
	})

	t.Run("SERVFAIL", func(t *testing.T) {
		t.Parallel()
		dns := dnsserver.Start(t)
		dns.SetRcode("a.test.", 2) // SERVFAIL
		v := newValidator(t, dns, challenge.Options{HTTP01Port: 1})
		wantError(t, v.HTTP01(t.Context(), "a.test", token, keyAuth), challenge.DNS, "answered SERVFAIL for AAAA a.test")
	})

	t.Run("wildcard is the caller's bug", func(t *testing.T) {
		t.Parallel()
		dns := dnsserver.Start(t)
		v := newValidator(t, dns, challenge.Options{})
		err := v.HTTP01(t.Context(), "*.a.test", token, keyAuth)
		if _, ok := errors.AsType[*challenge.Error](err); err == nil || ok {
			t.Fatalf("HTTP01(wildcard) = %v; want a plain (serverInternal) error", err)
		}
	})

	t.Run("token with a path in it", func(t *testing.T) {
		t.Parallel()
		dns := dnsserver.Start(t)
		v := newValidator(t, dns, challenge.Options{})
		if err := v.HTTP01(t.Context(), "a.test", "../../etc", keyAuth); err == nil {
			t.Fatal("HTTP01 accepted a token that is not base64url")
		}
	})
}

func TestHTTP01ContextCancelled(t *testing.T) {
	t.Parallel()
	dns := dnsserver.Start(t)
	dns.Add(t, "a.test. A 127.0.0.1")
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	target := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {
		select { // hang until the client goes away
		case <-r.Context().Done():
		case <-release:
		}
	})
	v := newValidator(t, dns, challenge.Options{HTTP01Port: target.port})

	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	err := v.HTTP01(ctx, "a.test", token, keyAuth)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("HTTP01 = %v; want an error wrapping context.Canceled", err)
	}
	wantError(t, err, challenge.Connection, "validation cancelled")

	v = newValidator(t, dns, challenge.Options{HTTP01Port: target.port, Timeout: 200 * time.Millisecond})
	wantError(t, v.HTTP01(t.Context(), "a.test", token, keyAuth), challenge.Connection, "timed out")
}
