package challenge_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anchorpki/anchor/challenge"
	"github.com/anchorpki/anchor/internal/testkit/dnsserver"
)

// newValidator returns a validator whose every lookup goes to srv.
func newValidator(t *testing.T, srv *dnsserver.Server, o challenge.Options) *challenge.Validator {
	t.Helper()
	o.Resolver = srv.Addr
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Second
	}
	v, err := challenge.New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return v
}

// wantError checks that err is a *challenge.Error of kind with a detail containing every part.
func wantError(t *testing.T, err error, kind challenge.Kind, parts ...string) {
	t.Helper()
	e, ok := errors.AsType[*challenge.Error](err)
	if !ok {
		t.Fatalf("error = %v (%T); want *challenge.Error of kind %v", err, err, kind)
	}
	if e.Kind != kind {
		t.Fatalf("kind = %v (%q); want %v", e.Kind, e.Detail, kind)
	}
	for _, p := range parts {
		if !strings.Contains(e.Detail, p) {
			t.Errorf("detail %q does not contain %q", e.Detail, p)
		}
	}
	// Details go to ACME clients verbatim: no Go-side operation names or types.
	for _, leak := range []string{"dial tcp", "read udp", "*net.", "*tls.", "*url.", "%!"} {
		if strings.Contains(e.Detail, leak) {
			t.Errorf("detail %q leaks %q", e.Detail, leak)
		}
	}
}

// closedPort returns a loopback port nothing listens on (for network "tcp" or "udp").
func closedPort(t *testing.T, network string) int {
	t.Helper()
	var addr net.Addr
	if network == "udp" {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = pc.LocalAddr()
		pc.Close()
	} else {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = l.Addr()
		l.Close()
	}
	_, p, _ := net.SplitHostPort(addr.String())
	n, _ := strconv.Atoi(p)
	return n
}

func portOf(t *testing.T, addr net.Addr) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr.String())
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return n
}

func TestNewOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		o       challenge.Options
		wantErr bool
	}{
		{"defaults with resolver", challenge.Options{Resolver: "127.0.0.1:53"}, false},
		{"resolver without port", challenge.Options{Resolver: "127.0.0.1"}, true},
		{"port out of range", challenge.Options{Resolver: "127.0.0.1:53", HTTP01Port: 70000}, true},
		{"negative timeout", challenge.Options{Resolver: "127.0.0.1:53", Timeout: -time.Second}, true},
		{"empty CAA identity", challenge.Options{Resolver: "127.0.0.1:53", CAAIdentities: []string{" "}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := challenge.New(tc.o)
			if (err != nil) != tc.wantErr {
				t.Fatalf("New(%+v) error = %v; want error %v", tc.o, err, tc.wantErr)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	t.Parallel()
	e := &challenge.Error{Kind: challenge.IncorrectResponse, Detail: "expected x, got y"}
	if got, want := e.Error(), "incorrectResponse: expected x, got y"; got != want {
		t.Fatalf("Error() = %q; want %q", got, want)
	}
	kinds := map[challenge.Kind]string{challenge.Connection: "connection", challenge.DNS: "dns",
		challenge.IncorrectResponse: "incorrectResponse", challenge.TLS: "tls", challenge.CAA: "caa",
		challenge.Unauthorized: "unauthorized"}
	for k, want := range kinds {
		if k.String() != want {
			t.Errorf("Kind(%d).String() = %q; want %q", int(k), k.String(), want)
		}
	}
}

// TestResolverDown: a resolver that refuses (ICMP port unreachable on loopback) is a DNS
// problem with the resolver's address in the detail, for every method.
func TestResolverDown(t *testing.T) {
	t.Parallel()
	resolver := net.JoinHostPort("127.0.0.1", strconv.Itoa(closedPort(t, "udp")))
	v, err := challenge.New(challenge.Options{Resolver: resolver, Timeout: 5 * time.Second,
		CAAIdentities: []string{"anchor.test"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	checks := map[string]error{
		"http-01":     v.HTTP01(ctx, "a.test", "tok", "tok.thumb"),
		"dns-01":      v.DNS01(ctx, "a.test", "tok.thumb"),
		"tls-alpn-01": v.TLSALPN01(ctx, "a.test", "tok.thumb"),
		"caa":         v.CAA(ctx, "a.test", false, "", "dns-01"),
	}
	for method, err := range checks {
		t.Run(method, func(t *testing.T) {
			wantError(t, err, challenge.DNS, "querying the CA's resolver", "connection refused")
		})
	}
}

// TestContextCancelledDuringDNS: a DNS server that never answers must not hold a cancelled
// validation; miekg/dns itself honours only deadlines.
func TestContextCancelledDuringDNS(t *testing.T) {
	t.Parallel()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0") // a black hole: reads nothing, answers nothing
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	v, err := challenge.New(challenge.Options{Resolver: pc.LocalAddr().String(), Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	err = v.DNS01(ctx, "a.test", "tok.thumb")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v; want one wrapping context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("cancellation took %v", d)
	}
}

// TestTimeout: Options.Timeout bounds an attempt even when the caller's context does not.
func TestTimeout(t *testing.T) {
	t.Parallel()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	v, err := challenge.New(challenge.Options{Resolver: pc.LocalAddr().String(), Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	wantError(t, v.DNS01(t.Context(), "a.test", "tok.thumb"), challenge.DNS, "timed out")
}
