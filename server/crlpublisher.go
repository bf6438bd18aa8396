package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/big"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/crl"
	"github.com/anchorpki/anchor/store"
)

// rootRefreshBefore is how long before its nextUpdate the root CRL is re-signed (or, with the
// root key offline, the operator warned): a yearly CRL deserves a month's notice.
const rootRefreshBefore = 30 * 24 * time.Hour

// crlStore is the inventory as CRLs need it.
type crlStore interface {
	crl.RevocationSource
	crl.NumberSource
	// RevocationEpoch changes whenever any process revokes or un-holds a certificate.
	RevocationEpoch(ctx context.Context) (int64, error)
}

// noEpoch marks a CRL whose revocation epoch is unknown: the next followEpoch re-checks it.
const noEpoch = -1

type crlPublisherOptions struct {
	DB                      crlStore
	Layout                  ca.Layout
	Loaded                  *ca.Loaded
	Passphrase              []byte // for the root key, read only when the root CRL is due
	Validity, RefreshBefore time.Duration
	Now                     func() time.Time
	Logger                  *slog.Logger
}

// published is a signed CRL as it is served.
type published struct {
	der        []byte
	number     *big.Int
	nextUpdate time.Time
	digest     revDigest // of its entries: what the inventory must still yield for it to be current
	epoch      int64     // the inventory's revocation epoch read before its entries; noEpoch: unknown
	stamp      fileStamp // of the file it was read from; zero when signed here
}

// crlPublisher keeps the CRLs at the distribution points current. The intermediate's CRL is
// re-signed from the inventory right after a revocation through this process, when another
// process (`anchor revoke`, a server sharing the database) has changed the revocations (seen
// through the revocation epoch within a second, see followEpoch), and when its nextUpdate comes
// near. The root's is re-read when its file changes and re-signed
// when due if the root key can be read. Requests are served from memory and never wait for a
// signature: they get the previous CRL until the next one is complete.
type crlPublisher struct {
	o     crlPublisherOptions
	log   *slog.Logger
	inter atomic.Pointer[published]
	root  atomic.Pointer[published]

	mu          sync.Mutex   // one intermediate CRL signed at a time
	epochFailed atomic.Int64 // Unix nanoseconds of followEpoch's last failed check; 0: none
	requested   atomic.Uint64
	covered     uint64 // under mu: requests up to this one are in the current CRL

	rootMu     sync.Mutex
	rootWarned time.Time // under rootMu: the last "root CRL is due" warning
}

func newCRLPublisher(o crlPublisherOptions) *crlPublisher {
	return &crlPublisher{o: o, log: o.Logger}
}

// start loads the CRLs from disk and re-signs what is missing, stale or due. Without an
// intermediate CRL to serve, the server does not start.
func (p *crlPublisher) start(ctx context.Context) error {
	if c, err := readCRL(p.o.Layout.IntermediateCRL(), p.o.Loaded.Intermediate); err == nil {
		p.inter.Store(c)
	} else if !errors.Is(err, fs.ErrNotExist) {
		p.log.Warn("replacing an unusable intermediate CRL", slog.String("error", err.Error()))
	}
	if err := p.checkIntermediate(ctx, p.epoch(ctx)); err != nil {
		if p.inter.Load() == nil {
			return err
		}
		p.log.Error("could not bring the intermediate CRL up to date; serving the one on disk", slog.String("error", err.Error()))
	}
	p.checkRoot(ctx)
	return nil
}

// check is the periodic work: revocations by other processes, CRLs coming due.
func (p *crlPublisher) check(ctx context.Context) {
	if err := p.checkIntermediate(ctx, p.epoch(ctx)); err != nil {
		p.log.Error("checking the intermediate CRL", slog.String("error", err.Error()))
	}
	p.checkRoot(ctx)
}

// refresh re-signs the intermediate CRL after a revocation. Concurrent revocations share one
// signature: a CRL whose inventory read began after this call is as good as a new one.
func (p *crlPublisher) refresh(ctx context.Context) {
	ticket := p.requested.Add(1)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.covered >= ticket {
		return
	}
	if err := p.regenerate(ctx, "revocation", p.epoch(ctx)); err != nil {
		p.log.Error("re-signing the intermediate CRL after a revocation", slog.String("error", err.Error()))
	}
}

// followEpoch re-checks the intermediate CRL when the inventory's revocation epoch has moved
// since it was signed or last found current. That is one tiny read while nothing changes, so it
// runs every second, and a revocation made by another process reaches the CRL as fast as it
// reaches OCSP, not at the next minute's check.
func (p *crlPublisher) followEpoch(ctx context.Context) {
	// After a failure (an unwritable CRL directory, a signer error) the minute's check retries:
	// re-signing and logging the same error every second would help nobody.
	if failed := p.epochFailed.Load(); failed != 0 && time.Now().UnixNano()-failed < int64(time.Minute) {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second) // a database cut off must not stall the tick loop
	defer cancel()
	epoch, err := p.o.DB.RevocationEpoch(ctx)
	if err != nil {
		return // the minute's check reports a database that is down
	}
	if cur := p.inter.Load(); cur != nil && cur.epoch == epoch {
		return
	}
	if err := p.checkIntermediate(ctx, epoch); err != nil {
		p.epochFailed.Store(time.Now().UnixNano())
		p.log.Error("checking the intermediate CRL after a revocation elsewhere", slog.String("error", err.Error()))
		return
	}
	p.epochFailed.Store(0)
}

// checkIntermediate re-signs the intermediate CRL if it is missing, due, or no longer lists
// what the inventory holds. epoch is the revocation epoch the caller read first (see epoch).
func (p *crlPublisher) checkIntermediate(ctx context.Context, epoch int64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	cur := p.inter.Load()
	now := p.o.Now()
	switch {
	case cur == nil:
		return p.regenerate(ctx, "missing", epoch)
	case !now.Before(cur.nextUpdate.Add(-p.o.RefreshBefore)):
		return p.regenerate(ctx, "due", epoch)
	}
	// Streaming the revocations is the cheap way to notice a change made by another process:
	// one indexed scan, no signature, and nothing more than a sum kept in memory.
	var d revDigest
	err := p.o.DB.Revoked(ctx, p.o.Loaded.Intermediate.SubjectKeyId, now, func(r store.Revocation) error {
		d.add(r.Serial, r.Reason, r.RevokedAt)
		return nil
	})
	if err != nil {
		return fmt.Errorf("server: reading revocations: %w", err)
	}
	if d == cur.digest {
		// Current: the epoch moved for another issuer's certificates, or for a change undone.
		if cur.epoch != epoch {
			again := *cur
			again.epoch = epoch
			p.inter.Store(&again)
		}
		return nil
	}
	return p.regenerate(ctx, "revocations changed", epoch)
}

// epoch reads the revocation epoch before the revocations it will stand for, so a revocation
// committed in between moves it again and is picked up by the next followEpoch. Read before
// p.mu is taken it may be older than the CRL another caller signs meanwhile; storing an older
// epoch costs one more check, never a missed revocation.
func (p *crlPublisher) epoch(ctx context.Context) int64 {
	n, err := p.o.DB.RevocationEpoch(ctx)
	if err != nil {
		return noEpoch
	}
	return n
}

// regenerate signs the intermediate CRL from the inventory, recording epoch (read before it)
// with it; p.mu is held.
func (p *crlPublisher) regenerate(ctx context.Context, why string, epoch int64) error {
	start := p.requested.Load()
	now := p.o.Now().UTC().Truncate(time.Second)
	src := &digestingSource{src: p.o.DB}
	f, err := crl.WriteNextFile(ctx, p.o.Layout.IntermediateCRL(), crl.DER, src, p.o.DB, crl.Options{
		Issuer: p.o.Loaded.Intermediate, Signer: p.o.Loaded.Issuer.Signer(), ThisUpdate: now, NextUpdate: now.Add(p.o.Validity)})
	if err != nil {
		return fmt.Errorf("server: signing the intermediate CRL: %w", err)
	}
	p.inter.Store(&published{der: f.DER, number: f.Number, nextUpdate: now.Add(p.o.Validity), digest: src.digest, epoch: epoch})
	p.covered = max(p.covered, start)
	p.log.Info("signed the intermediate CRL", slog.String("reason", why), slog.String("number", f.Number.String()),
		slog.Int("entries", f.Stats.Entries), slog.Time("next_update", now.Add(p.o.Validity)))
	return nil
}

// checkRoot picks up a root CRL written by `anchor crl create --root`, and re-signs the root
// CRL when it is due and the root key can be read; an offline root key gets a daily warning.
func (p *crlPublisher) checkRoot(ctx context.Context) {
	p.rootMu.Lock()
	defer p.rootMu.Unlock()
	path := p.o.Layout.RootCRL()
	cur := p.root.Load()
	if st, err := os.Stat(path); err == nil && (cur == nil || stampOf(st) != cur.stamp) {
		c, err := readCRL(path, p.o.Loaded.Root)
		if err != nil {
			p.log.Warn("ignoring an unusable root CRL", slog.String("error", err.Error()))
		} else {
			p.root.Store(c)
			cur = c
		}
	}
	now := p.o.Now()
	if cur != nil && now.Before(cur.nextUpdate.Add(-rootRefreshBefore)) {
		return
	}
	key, err := p.o.Layout.LoadRootKey(p.o.Passphrase)
	if err != nil {
		if now.Sub(p.rootWarned) >= 24*time.Hour {
			p.rootWarned = now
			attrs := []slog.Attr{slog.String("error", err.Error()), slog.String("fix", "anchor crl create --root")}
			if cur != nil {
				attrs = append(attrs, slog.Time("next_update", cur.nextUpdate))
			}
			p.log.LogAttrs(ctx, slog.LevelWarn, "the root CRL is due and the root key is not available to re-sign it", attrs...)
		}
		return
	}
	t := now.UTC().Truncate(time.Second)
	f, err := crl.WriteNextFile(ctx, path, crl.DER, p.o.DB, p.o.DB,
		crl.Options{Issuer: p.o.Loaded.Root, Signer: key, ThisUpdate: t, NextUpdate: t.Add(rootCRLValidity)})
	if err != nil {
		p.log.Error("re-signing the root CRL", slog.String("error", err.Error()))
		return
	}
	c := &published{der: f.DER, number: f.Number, nextUpdate: t.Add(rootCRLValidity)}
	if st, err := os.Stat(path); err == nil {
		c.stamp = stampOf(st)
	}
	p.root.Store(c)
	p.log.Info("signed the root CRL", slog.String("number", f.Number.String()), slog.Time("next_update", c.nextUpdate))
}

// serve answers a GET of a distribution point (RFC 5280 §4.2.1.13: DER over HTTP). Caches must
// revalidate, because a CRL changes as soon as a certificate is revoked.
func serveCRL(w http.ResponseWriter, r *http.Request, c *published) {
	if c == nil {
		http.Error(w, "no CRL is available yet", http.StatusServiceUnavailable)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/pkix-crl")
	h.Set("Cache-Control", "public, no-cache")
	h.Set("ETag", `"`+c.number.Text(16)+`"`)
	// No Last-Modified: two CRLs signed within one second would share it, and If-Modified-Since
	// would then hide the second. The CRL number is the ETag and changes with every CRL.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(c.der))
}

// readCRL reads a DER CRL file and checks that issuer signed it.
func readCRL(path string, issuer *x509.Certificate) (*published, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	der, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	rl, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := rl.CheckSignatureFrom(issuer); err != nil {
		return nil, fmt.Errorf("%s: not signed by %s: %w", path, issuer.Subject, err)
	}
	c := &published{der: der, number: rl.Number, nextUpdate: rl.NextUpdate, stamp: stampOf(st), epoch: noEpoch}
	if c.number == nil {
		c.number = new(big.Int)
	}
	for _, e := range rl.RevokedCertificateEntries {
		c.digest.add(e.SerialNumber, e.ReasonCode, e.RevocationTime)
	}
	return c, nil
}

// revDigest identifies a set of revocations regardless of order: a count and two sums of
// entry hashes. It detects change, it does not resist an adversary (who would need write
// access to the inventory anyway).
type revDigest struct{ n, a, b uint64 }

func (d *revDigest) add(serial *big.Int, reason int, at time.Time) {
	h := sha256.New()
	h.Write(serial.Bytes())
	var buf [16]byte
	binary.BigEndian.PutUint64(buf[:8], uint64(reason))
	// Seconds: what a CRL's GeneralizedTime carries, so a CRL read from disk compares equal.
	binary.BigEndian.PutUint64(buf[8:], uint64(at.Unix()))
	h.Write(buf[:])
	sum := h.Sum(nil)
	d.n++
	d.a += binary.BigEndian.Uint64(sum[:8])
	d.b += binary.BigEndian.Uint64(sum[8:16])
}

// digestingSource computes the digest of what a CRL lists while it is being signed.
type digestingSource struct {
	src    crl.RevocationSource
	digest revDigest
}

func (s *digestingSource) Revoked(ctx context.Context, issuerKeyID []byte, asOf time.Time, fn func(store.Revocation) error) error {
	s.digest = revDigest{}
	return s.src.Revoked(ctx, issuerKeyID, asOf, func(r store.Revocation) error {
		s.digest.add(r.Serial, r.Reason, r.RevokedAt)
		return fn(r)
	})
}

// fileStamp tells a file replaced by another process from the one read before.
type fileStamp struct{ mod, size int64 }

func stampOf(st fs.FileInfo) fileStamp { return fileStamp{st.ModTime().UnixNano(), st.Size()} }
