package ocspresponder

import (
	"sync"
	"time"
)

// entry is one signed response and what it asserts.
type entry struct {
	der        []byte
	state      certState
	thisUpdate time.Time
	nextUpdate time.Time
	// reuseUntil is the middle of the validity interval. Serving a response only in its first
	// half leaves every copy a client or HTTP cache holds at least half its validity, which is
	// what RFC 5019 §6.2's max-age and Expires headers promise.
	reuseUntil time.Time
	etag       string // strong validator for HTTP caches (RFC 5019 §6.2, RFC 9110 §8.8.3)
}

// cache holds signed responses by cacheKey. It is bounded: when full, an arbitrary entry (Go
// randomises map iteration) makes room, which costs one signature later and no bookkeeping on
// the hot path. It lives in one process; in a scale-out deployment each process signs its own
// responses, which is correct because every response is checked against the shared inventory.
type cache struct {
	mu  sync.RWMutex
	m   map[string]*entry
	max int
}

func newCache(max int) *cache {
	return &cache{m: make(map[string]*entry), max: max}
}

// get returns the response for key if it still asserts st and is in the first half of its
// validity at now. A nil cache (disabled) never hits.
func (c *cache) get(key string, st certState, now time.Time) *entry {
	if c == nil {
		return nil
	}
	c.mu.RLock()
	e := c.m[key]
	c.mu.RUnlock()
	if e == nil || !e.state.equal(st) || !now.Before(e.reuseUntil) || now.Before(e.thisUpdate) {
		return nil
	}
	return e
}

func (c *cache) put(key string, e *entry) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[key]; !ok && len(c.m) >= c.max {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[key] = e
}

func (c *cache) len() int {
	if c == nil {
		return 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
