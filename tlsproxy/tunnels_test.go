package tlsproxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// TestShutdownEndsWebSocketTunnels: a tunnel still open when the proxy stops is waited for up to
// ShutdownTimeout and then closed; Serve does not return while it runs.
func TestShutdownEndsWebSocketTunnels(t *testing.T) {
	p := newRevPKI(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // a WebSocket upstream that accepts the upgrade and then never speaks
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
		io.Copy(io.Discard, c)
	}()
	up, _ := url.Parse("http://" + ln.Addr().String())
	const timeout = 300 * time.Millisecond
	px, err := New(Options{Upstream: up, ShutdownTimeout: timeout,
		Certs: staticSource{&tls.Certificate{Certificate: [][]byte{p.server.c.Raw}, PrivateKey: p.server.k}}})
	if err != nil {
		t.Fatal(err)
	}
	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan time.Time, 1)
	go func() { px.Serve(ctx, pl); served <- time.Now() }()

	c := p.dialHTTP1(t, pl.Addr().String())
	io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}

	stop := time.Now()
	cancel()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = br.ReadByte()
	closedAt := time.Now()
	if err == nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, net.ErrClosed) || isTimeout(err) {
		t.Fatalf("the tunnel was not closed when the proxy stopped: %v", err)
	}
	select {
	case at := <-served:
		if at.Sub(stop) < timeout {
			t.Errorf("Serve returned after %v, before the tunnel's %v grace", at.Sub(stop), timeout)
		}
		if at.Before(closedAt.Add(-time.Second)) {
			t.Errorf("Serve returned %v before the tunnel closed", closedAt.Sub(at))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return")
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestNoTunnelAfterDrainBegan: a connection the server still held when the stop began may not
// become a tunnel (its WaitGroup.Add would race drain's Wait, and drain would not close it).
func TestNoTunnelAfterDrainBegan(t *testing.T) {
	var tn tunnels
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	r, _ := http.NewRequestWithContext(connContext(context.Background(), c1), "GET", "/ws", nil)
	untrack, ok := tn.track(r)
	if !ok {
		t.Fatal("a tunnel was refused before the stop")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	go untrack() // the handler returns once drain closes its connection
	tn.drain(ctx, time.Second)
	if _, ok := tn.track(r); ok {
		t.Fatal("a tunnel was tracked after drain began")
	}
}
