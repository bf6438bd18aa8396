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
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

type connKey struct{}

// connContext is the http.Server's ConnContext: it lets a handler find its client connection.
func connContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// track registers r's connection as a tunnel until the returned func is called, when the
// handler (which runs as long as the tunnel does) returns.
func (t *tunnels) track(r *http.Request) func() {
	c, _ := r.Context().Value(connKey{}).(net.Conn)
	if c == nil {
		return func() {}
	}
	t.mu.Lock()
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
	}
}

// drain waits for the tunnels to end until ctx is done, then closes those still open and waits
// (at most closeWait) for their handlers to notice.
func (t *tunnels) drain(ctx context.Context, closeWait time.Duration) {
	done := make(chan struct{})
	go func() { t.wg.Wait(); close(done) }()
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	t.mu.Lock()
	for c := range t.conns {
		c.Close()
	}
	t.mu.Unlock()
	select {
	case <-done:
	case <-time.After(closeWait):
	}
}
