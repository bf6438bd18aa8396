package ocspresponder

import (
	"context"
	"math/big"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anchorpki/anchor/store"
)

// EpochSource is a StatusSource that can also say, cheaply, whether any revocation changed
// since a moment: the number it returns moves on every revocation, revocation change and hold
// release, by any process. *store.DB satisfies it.
type EpochSource interface {
	StatusSource
	RevocationEpoch(ctx context.Context) (int64, error)
}

// StatusCacheOptions configure a StatusCache.
type StatusCacheOptions struct {
	// Recheck is how often the epoch is read, at most: a revocation made by another process
	// is answered within this time (one made through Invalidate at once). Default 50 ms.
	Recheck time.Duration
	// MaxEntries bounds memory; when full, the cache starts over. Default 100,000.
	MaxEntries int
	Now        func() time.Time // nil: time.Now
}

// StatusCache keeps the statuses a responder reads, so that the steady state of a busy
// responder is no inventory read at all: the cost of an answer drops to the cached signed
// response. Only "valid" and "revoked" are cached; an unknown or pending serial is read every
// time, so a certificate is answered "good" from the moment its issuance commits. Every entry
// carries the revocation epoch it was read under and is used only while the epoch stands; the
// epoch is re-read at most every Recheck, and Invalidate (called by the process that revokes)
// drops everything at once.
type StatusCache struct {
	src EpochSource
	o   StatusCacheOptions

	mu      sync.RWMutex
	entries map[statusKey]cachedStatus

	// An entry is current while both its epoch (the store's) and its local generation
	// (Invalidate calls) equal these.
	epoch     atomic.Int64
	local     atomic.Int64
	checkedAt atomic.Int64 // unix nanoseconds of the last epoch read
	checking  sync.Mutex
}

type statusKey struct {
	issuer string
	serial string
}

type cachedStatus struct {
	st           store.CertStatus
	epoch, local int64
}

// NewStatusCache wraps src.
func NewStatusCache(src EpochSource, o StatusCacheOptions) *StatusCache {
	if o.Recheck <= 0 {
		o.Recheck = 50 * time.Millisecond
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = 100_000
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &StatusCache{src: src, o: o, entries: map[statusKey]cachedStatus{}}
}

// Invalidate makes every cached status stale at once; call it after a revocation commits.
func (c *StatusCache) Invalidate() { c.local.Add(1) }

// Status answers from the cache when the entry is current, else from the source.
func (c *StatusCache) Status(ctx context.Context, issuerKeyID []byte, serial *big.Int) (store.CertStatus, error) {
	epoch, err := c.currentEpoch(ctx)
	if err != nil {
		return store.CertStatus{}, err
	}
	local := c.local.Load()
	k := statusKey{string(issuerKeyID), string(serial.Bytes())}
	c.mu.RLock()
	e, ok := c.entries[k]
	c.mu.RUnlock()
	if ok && e.epoch == epoch && e.local == local {
		return e.st, nil
	}
	// The epoch and generation were read before the status: a revocation committed in between
	// moves one of them, so this entry is stale at the next look rather than wrong for long.
	st, err := c.src.Status(ctx, issuerKeyID, serial)
	if err != nil {
		return st, err
	}
	if st.Status == store.StatusValid || st.Status == store.StatusRevoked {
		c.mu.Lock()
		if len(c.entries) >= c.o.MaxEntries {
			c.entries = map[statusKey]cachedStatus{}
		}
		c.entries[k] = cachedStatus{st: st, epoch: epoch, local: local}
		c.mu.Unlock()
	}
	return st, nil
}

// currentEpoch returns the store's epoch, reading it when the last read is older than Recheck.
// One caller reads; the others use the value they have, which is at most Recheck old.
func (c *StatusCache) currentEpoch(ctx context.Context) (int64, error) {
	now := c.o.Now().UnixNano()
	if now-c.checkedAt.Load() < int64(c.o.Recheck) {
		return c.epoch.Load(), nil
	}
	if !c.checking.TryLock() {
		if c.checkedAt.Load() != 0 {
			return c.epoch.Load(), nil
		}
		c.checking.Lock() // the very first read: everyone waits for it
	}
	defer c.checking.Unlock()
	if now-c.checkedAt.Load() < int64(c.o.Recheck) {
		return c.epoch.Load(), nil
	}
	n, err := c.src.RevocationEpoch(ctx)
	if err != nil {
		return 0, err
	}
	c.epoch.Store(n)
	c.checkedAt.Store(now)
	return n, nil
}
