package server_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anchorpki/anchor/apitoken"
	"github.com/anchorpki/anchor/server"
	"github.com/anchorpki/anchor/store"
)

// A client that sends its headers or its body too slowly is cut off by the server's
// timeouts, gets a JSON problem where an answer is still possible, and holds up nobody else.
func TestSlowClientsAreCutOff(t *testing.T) {
	restore := server.ShortenTimeouts(300*time.Millisecond, time.Second)
	defer restore()
	r := start(t, t.TempDir(), nil)
	cred, err := apitoken.Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := server.Store(r.Server).CreateToken(context.Background(), store.Token{ID: cred.ID, Name: "slow", Hash: cred.Hash(),
		Scopes: []string{"issue"}}); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(r.Root())
	dial := func() *tls.Conn {
		c, err := tls.Dial("tcp", r.HTTPSAddr(), &tls.Config{RootCAs: pool, NextProtos: []string{"http/1.1"}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}

	// Headers that never end: the connection is closed after the header timeout.
	slowHeaders := dial()
	fmt.Fprintf(slowHeaders, "POST /api/v1/certificates HTTP/1.1\r\nHost: %s\r\n", r.HTTPSAddr())
	// A body that never arrives, after valid headers: a JSON problem, then the connection ends.
	slowBody := dial()
	fmt.Fprintf(slowBody, "POST /api/v1/certificates HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"csr\": \"", r.HTTPSAddr(), cred.String())

	// Meanwhile everyone else is served.
	if code, _, _ := get(t, r.httpsClient(), r.httpsURL("/healthz")); code != http.StatusOK {
		t.Fatalf("healthz while slow clients hang: %d", code)
	}

	start := time.Now()
	slowHeaders.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := slowHeaders.Read(make([]byte, 1)); err == nil {
		t.Fatalf("server answered an unfinished request (%d bytes)", n)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("slow headers held the connection for %v", waited)
	}

	slowBody.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(slowBody), nil)
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(resp.Header.Get("Content-Type"), "application/problem+json") ||
			!strings.Contains(string(body), "did not arrive within") || !strings.Contains(string(body), "urn:anchor:problem:timeout") {
			t.Fatalf("slow body answered %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	} else if waited := time.Since(start); waited > 8*time.Second {
		t.Fatalf("slow body held the connection for %v: %v", waited, err)
	}

	// And the server still serves after both.
	if code, _, _ := get(t, r.httpsClient(), r.httpsURL("/healthz")); code != http.StatusOK {
		t.Fatalf("healthz after slow clients: %d", code)
	}
}
