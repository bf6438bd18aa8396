package tlsproxy

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// tunnels tracks the WebSocket connections the proxy pipes after a 101. http.Server.Shutdown
// neither waits for nor closes hijacked connections, so without this Serve would return while
// tunnels still ran, and a library user's "stopped" proxy would keep them open for good.
type tunnels struct {
	mu      sync.Mutex
	conns   map[net.Conn]struct{}
	closing bool // drain has begun: no new tunnel is tracked (its Add would race drain's Wait)
	wg      sync.WaitGroup
}

type connKey struct{}

// connContext is the http.Server's ConnContext: it lets a handler find its client connection.
func connContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// track registers r's connection as a tunnel until the returned func is called, when the
// handler (which runs as long as the tunnel does) returns. Once drain has begun it reports
// false: Serve has closed every connection it still served, r's included.
func (t *tunnels) track(r *http.Request) (untrack func(), ok bool) {
	c, _ := r.Context().Value(connKey{}).(net.Conn)
	if c == nil {
		return func() {}, true
	}
	t.mu.Lock()
	if t.closing {
		t.mu.Unlock()
		return nil, false
	}
	if t.conns == nil {
		t.conns = map[net.Conn]struct{}{}
	}
	t.conns[c] = struct{}{}
	t.wg.Add(1)
	t.mu.Unlock()
	return func() {
		t.mu.Lock()
		delete(t.conns, c)
		t.mu.Unlock()
		t.wg.Done()
	}, true
}

// drain waits for the tunnels to end until ctx is done, then closes those still open and waits
// (at most closeWait) for their handlers to notice. The server must have stopped handing out
// connections first (Shutdown done, or Close), so no tunnel starts after drain looks.
func (t *tunnels) drain(ctx context.Context, closeWait time.Duration) {
	t.mu.Lock()
	t.closing = true
	t.mu.Unlock()
	done := make(chan struct{})
	go func() { t.wg.Wait(); close(done) }()
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	// Closed outside the lock: a TLS close may wait to send close_notify, and each tunnel's
	// handler takes the lock to untrack itself.
	t.mu.Lock()
	open := make([]net.Conn, 0, len(t.conns))
	for c := range t.conns {
		open = append(open, c)
	}
	t.mu.Unlock()
	for _, c := range open {
		c.Close()
	}
	select {
	case <-done:
	case <-time.After(closeWait):
	}
}
