package tlsproxy

import (
	"sync"
	"time"
)

// ttlCache keeps at most max values, each until its expiry. When it is full, expired entries go
// first, then the one that would expire soonest: a bounded cache that a client presenting many
// certificates cannot grow, and that never serves an answer past the expiry it was stored with.
type ttlCache[K comparable, V any] struct {
	mu  sync.Mutex
	max int
	m   map[K]cacheEntry[V]
}

type cacheEntry[V any] struct {
	v       V
	expires time.Time
}

func newTTLCache[K comparable, V any](max int) *ttlCache[K, V] {
	return &ttlCache[K, V]{max: max, m: make(map[K]cacheEntry[V])}
}

func (c *ttlCache[K, V]) get(k K, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || !now.Before(e.expires) {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (c *ttlCache[K, V]) put(k K, v V, expires, now time.Time) {
	if !now.Before(expires) || c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		for key, e := range c.m {
			if !now.Before(e.expires) {
				delete(c.m, key)
			}
		}
		for len(c.m) >= c.max {
			var victim K
			var soonest time.Time
			first := true
			for key, e := range c.m {
				if first || e.expires.Before(soonest) {
					victim, soonest, first = key, e.expires, false
				}
			}
			delete(c.m, victim)
		}
	}
	c.m[k] = cacheEntry[V]{v: v, expires: expires}
}

func (c *ttlCache[K, V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// flight makes concurrent callers asking for the same key share one fetch, so that a burst of
// handshakes with one certificate sends one OCSP request, not hundreds.
type flight[K comparable, V any] struct {
	mu    sync.Mutex
	calls map[K]*flightCall[V]
}

type flightCall[V any] struct {
	done chan struct{}
	v    V
	err  error
}

func (f *flight[K, V]) do(k K, fn func() (V, error)) (V, error) {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = make(map[K]*flightCall[V])
	}
	if c, ok := f.calls[k]; ok {
		f.mu.Unlock()
		<-c.done
		return c.v, c.err
	}
	c := &flightCall[V]{done: make(chan struct{})}
	f.calls[k] = c
	f.mu.Unlock()
	c.v, c.err = fn()
	f.mu.Lock()
	delete(f.calls, k)
	f.mu.Unlock()
	close(c.done)
	return c.v, c.err
}
