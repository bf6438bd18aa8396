package tlsproxy

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/anchorpki/anchor/verify"
)

// StapleOptions configure OCSP stapling.
type StapleOptions struct {
	HTTPClient *http.Client     // asks the responder; nil: a client with a 10 s timeout
	Interval   time.Duration    // how often to look whether a staple is due; zero: 1 minute
	Logger     *slog.Logger     // nil: discard
	Now        func() time.Time // nil: time.Now
}

// Stapled adds an OCSP response (RFC 6066 §8, status_request) to the certificates another
// CertSource serves. It asks the leaf's AIA responder in the background, never during a
// handshake: as soon as Run starts for the default certificate, and on first sight for any
// other. A response is refreshed once half of its validity (thisUpdate to nextUpdate) has
// passed, and retried every Interval while the responder fails; meanwhile the last good
// response is stapled until its nextUpdate, then handshakes go on without a staple. "good" and
// "revoked" answers are stapled (a revoked certificate should be refused by clients);
// "unknown" is not.
type Stapled struct {
	src CertSource
	o   StapleOptions
	log *slog.Logger

	mu      sync.Mutex
	staples map[[32]byte]*staple // by SHA-256 of the leaf
}

type staple struct {
	cert      *tls.Certificate // as the source returned it
	der       []byte           // the response; nil: none yet
	nextUpd   time.Time        // stop stapling der after this
	refreshAt time.Time        // ask again after this
	lastSeen  time.Time
}

const maxStaples = 16

// Staple wraps src. Run (which Proxy.Serve calls) also runs src's Run.
func Staple(src CertSource, o StapleOptions) *Stapled {
	if o.Interval == 0 {
		o.Interval = time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Stapled{src: src, o: o, log: loggerOrDiscard(o.Logger), staples: map[[32]byte]*staple{}}
}

// GetCertificate returns src's certificate with its current staple.
func (s *Stapled) GetCertificate(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
	c, err := s.src.GetCertificate(h)
	if err != nil || c == nil || len(c.Certificate) == 0 {
		return c, err
	}
	now := s.o.Now()
	key := sha256.Sum256(c.Certificate[0])
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.track(key, c, now)
	if st.der == nil || now.After(st.nextUpd) {
		return c, nil
	}
	cp := *c
	cp.OCSPStaple = st.der
	return &cp, nil
}

// track returns the staple entry of a certificate, creating it (to be fetched by Run) on
// first sight; the caller holds mu.
func (s *Stapled) track(key [32]byte, c *tls.Certificate, now time.Time) *staple {
	st, ok := s.staples[key]
	if !ok {
		if len(s.staples) >= maxStaples {
			var oldest [32]byte
			var when time.Time
			for k, v := range s.staples {
				if when.IsZero() || v.lastSeen.Before(when) {
					oldest, when = k, v.lastSeen
				}
			}
			delete(s.staples, oldest)
		}
		st = &staple{cert: c}
		s.staples[key] = st
	}
	st.lastSeen = now
	return st
}

// Run refreshes staples until ctx is done.
func (s *Stapled) Run(ctx context.Context) {
	if r, ok := s.src.(Runner); ok {
		var wg sync.WaitGroup
		wg.Go(func() { r.Run(ctx) })
		defer wg.Wait()
	}
	t := time.NewTicker(s.o.Interval)
	defer t.Stop()
	for {
		s.refresh(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// refresh fetches every staple that is due now; Run calls it every Interval.
func (s *Stapled) refresh(ctx context.Context) {
	now := s.o.Now()
	if c, err := s.src.GetCertificate(&tls.ClientHelloInfo{}); err == nil && c != nil && len(c.Certificate) > 0 {
		s.mu.Lock()
		s.track(sha256.Sum256(c.Certificate[0]), c, now)
		s.mu.Unlock()
	}
	s.mu.Lock()
	var due []*staple
	for _, st := range s.staples {
		if st.der == nil || !now.Before(st.refreshAt) {
			due = append(due, st)
		}
	}
	s.mu.Unlock()
	for _, st := range due {
		der, resp, err := s.fetch(ctx, st.cert, now)
		s.mu.Lock()
		if err != nil {
			st.refreshAt = now.Add(s.o.Interval)
			s.mu.Unlock()
			attrs := []slog.Attr{slog.String("error", err.Error())}
			if st.der != nil && now.Before(st.nextUpd) {
				attrs = append(attrs, slog.Time("stapling_previous_until", st.nextUpd))
			}
			s.log.LogAttrs(ctx, slog.LevelWarn, "tlsproxy: OCSP staple not refreshed", attrs...)
			continue
		}
		st.der, st.nextUpd = der, resp.NextUpdate
		if st.nextUpd.IsZero() {
			st.nextUpd = now.Add(s.o.Interval) // no nextUpdate: serve it only until the next look
		}
		st.refreshAt = resp.ThisUpdate.Add(st.nextUpd.Sub(resp.ThisUpdate) / 2)
		if st.refreshAt.Before(now.Add(s.o.Interval)) {
			st.refreshAt = now.Add(s.o.Interval)
		}
		s.mu.Unlock()
		level, msg := slog.LevelInfo, "tlsproxy: OCSP staple refreshed"
		if resp.Status == ocsp.Revoked {
			level, msg = slog.LevelError, "tlsproxy: OCSP responder says the server certificate is revoked"
		}
		s.log.LogAttrs(ctx, level, msg, slog.Time("this_update", resp.ThisUpdate), slog.Time("next_update", resp.NextUpdate))
	}
}

func (s *Stapled) fetch(ctx context.Context, c *tls.Certificate, now time.Time) ([]byte, *ocsp.Response, error) {
	if len(c.Certificate) < 2 {
		return nil, nil, errors.New("the certificate file holds no issuer certificate to build the OCSP request with")
	}
	leaf := c.Leaf
	if leaf == nil {
		var err error
		if leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
			return nil, nil, err
		}
	}
	issuer, err := x509.ParseCertificate(c.Certificate[1])
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	resp, url, err := verify.QueryOCSP(ctx, verify.OCSPQuery{Cert: leaf, Issuer: issuer, Client: s.o.HTTPClient, At: now})
	if err != nil {
		return nil, nil, err
	}
	if err := ocspUsable(resp, now, defaultRevocationMaxAge); err != nil {
		return nil, nil, fmt.Errorf("OCSP %s: %w", url, err)
	}
	return resp.Raw, resp, nil
}
