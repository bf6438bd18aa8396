// Package server is the composition root of `anchor serve`. It creates the data directory and
// the CA on first run, opens the inventory, and serves the authority's front ends on two
// listeners: HTTPS for the REST API, /healthz and /metrics, and plain HTTP for what relying
// parties fetch (OCSP, CRLs and CA certificates: RFC 5280 §4.2.1.13 and §4.2.2.1, RFC 6960
// Appendix A.1, which a client must be able to reach without trusting TLS to the CA it is
// checking). It keeps the published CRLs current, counts what happens for Prometheus, logs one
// event per request, and drains in-flight requests on shutdown. It decides nothing about
// certificates: package ca does.
package server

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anchorpki/anchor/acmeserver"
	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/config"
	"github.com/anchorpki/anchor/lint"
	"github.com/anchorpki/anchor/ocspresponder"
	"github.com/anchorpki/anchor/store"
)

// Options configure a Server.
type Options struct {
	DataDir string // required; created (0700) on first run
	// Config is what to serve; New validates it. Start from config.Default or LoadConfig: the
	// zero Config is not the default one.
	Config     config.Config
	Passphrase []byte       // encrypts the CA keys on first run, decrypts them later; nil: unencrypted
	Logger     *slog.Logger // nil: discard; NewLogger makes the one the config asks for
	Stdout     io.Writer    // the first run's message (root fingerprint, trust command); nil: discard
	Now        func() time.Time
	// CheckInterval is how often the server looks for revocations recorded by other processes
	// (to re-sign the CRL), for CRLs nearing nextUpdate and for certificates nearing expiry
	// (the metrics). 0: DefaultCheckInterval.
	CheckInterval time.Duration
	// ShutdownTimeout bounds the drain of in-flight requests once Run's context is done.
	// 0: DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
}

// epochInterval is how often the CRL publisher looks at the revocation epoch for revocations by
// other processes: one single-row read, so a relying party fetching the CRL a second after
// `anchor revoke` finds the certificate listed.
const epochInterval = time.Second

// Defaults for zero Options fields.
const (
	DefaultCheckInterval   = time.Minute
	DefaultShutdownTimeout = 30 * time.Second
)

// Server is a running CA: its listeners are bound by New and served by Run.
type Server struct {
	o       Options
	cfg     config.Config
	log     *slog.Logger
	layout  ca.Layout
	baseURL string

	db     *store.DB
	loaded *ca.Loaded
	// auth serves requests under the configured policy; self issues the server's own TLS and
	// OCSP responder certificates, which the policy (written for users' names and key types)
	// must not be able to refuse.
	auth, self *ca.Authority

	responder *ocspresponder.Responder
	statuses  *ocspresponder.StatusCache
	acme      *acmeserver.Server // nil when acme.enabled is false
	crls      *crlPublisher
	tls       *tlsCert
	health    *health
	metrics   *metrics
	bg        background

	httpsLn, httpLn net.Listener
	https, plain    *http.Server
	rootFP          string

	ran       atomic.Bool
	closeOnce sync.Once
}

// New prepares a server: it binds both listeners (so that a port in use is reported before
// anything is created), creates the data directory and the CA on first run, loads the CA and
// the inventory, and issues or reuses the HTTPS certificate. Nothing is served until Run.
// An invalid Options.Config is a *config.Error listing every problem.
func New(ctx context.Context, o Options) (_ *Server, err error) {
	if o.DataDir == "" {
		return nil, errors.New("server: Options.DataDir is required")
	}
	if err := o.Config.Validate(); err != nil {
		return nil, err
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.CheckInterval <= 0 {
		o.CheckInterval = DefaultCheckInterval
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = DefaultShutdownTimeout
	}
	s := &Server{o: o, cfg: o.Config, log: o.Logger, layout: ca.Layout{Dir: o.DataDir}, metrics: newMetrics()}
	defer func() {
		if err != nil {
			s.closeResources()
		}
	}()

	if s.httpsLn, err = net.Listen("tcp", s.cfg.Listen); err != nil {
		return nil, fmt.Errorf("server: HTTPS listener (listen %s): %w", s.cfg.Listen, err)
	}
	if s.httpLn, err = net.Listen("tcp", s.cfg.HTTPListen); err != nil {
		return nil, fmt.Errorf("server: HTTP listener (http_listen %s): %w", s.cfg.HTTPListen, err)
	}
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	dsn := s.cfg.DB
	if dsn == "" {
		dsn = s.layout.Database()
	}
	if s.db, err = store.Open(ctx, dsn, store.Options{Logger: s.log, Now: o.Now}); err != nil {
		return nil, err
	}
	linter, err := lint.New(lint.Options{})
	if err != nil {
		return nil, err
	}
	firstRun := !s.layout.Exists()
	if firstRun {
		if err := s.createCA(ctx, linter); err != nil {
			return nil, err
		}
	}
	if err := s.loadCA(ctx, linter); err != nil {
		return nil, err
	}
	if err := s.writeConfig(); err != nil {
		return nil, err
	}
	if err := s.wire(ctx); err != nil {
		return nil, err
	}
	if firstRun {
		s.printWelcome()
	}
	return s, nil
}

// loadCA reads the CA back from the data directory, the same way on the first run as on every
// later one, and checks that the inventory is the one this CA recorded its certificates in.
func (s *Server) loadCA(ctx context.Context, linter *lint.Linter) error {
	meta, err := s.layout.Meta()
	if err != nil {
		return err
	}
	s.baseURL = meta.BaseURL
	if s.cfg.URL != "" {
		if meta.BaseURL != "" && strings.TrimRight(s.cfg.URL, "/") != meta.BaseURL {
			s.log.Warn("url differs from the one the CA was created with; certificates issued before keep the old one",
				slog.String("url", s.cfg.URL), slog.String("created_with", meta.BaseURL))
		}
		s.baseURL = strings.TrimRight(s.cfg.URL, "/")
	}
	if s.baseURL == "" {
		s.log.Warn("no url is configured: certificates will carry no OCSP, CRL or CA-issuers URL; set url in config.yaml")
	}
	s.loaded, err = s.layout.Load(ca.LoadOptions{Passphrase: s.o.Passphrase, Linter: linter, BaseURL: s.baseURL, Now: s.o.Now})
	if err != nil {
		return err
	}
	// A server pointed at another database (a --db given on the first run and forgotten
	// since) would answer "unknown" for every certificate issued so far and publish CRLs
	// without their revocations: refuse instead.
	_, err = s.db.Get(ctx, s.loaded.Root.SubjectKeyId, s.loaded.Intermediate.SerialNumber)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("server: the inventory (%s) has no record of this CA's intermediate (serial %x): "+
			"it belongs to another CA; check db in config.yaml or --db", s.db.Backend(), s.loaded.Intermediate.SerialNumber)
	}
	if err != nil {
		return err
	}
	fp := sha256.Sum256(s.loaded.Root.Raw)
	s.rootFP = hex.EncodeToString(fp[:])
	return nil
}

// wire builds the authority and everything that serves it.
func (s *Server) wire(ctx context.Context) error {
	rules, err := s.cfg.Policy.Rules()
	if err != nil {
		return err
	}
	chain := []*x509.Certificate{s.loaded.Intermediate}
	s.auth, err = ca.New(ca.Options{Inventory: s.db, Issuer: s.loaded.Issuer, Chain: chain, Policy: &rules,
		Logger: s.log, Now: s.o.Now, OnIssued: s.onIssued, OnRevoked: s.onRevoked})
	if err != nil {
		return err
	}
	s.self, err = ca.New(ca.Options{Inventory: s.db, Issuer: s.loaded.Issuer, Chain: chain,
		Logger: s.log, Now: s.o.Now, OnIssued: s.onIssued, OnRevoked: s.onRevoked})
	if err != nil {
		return err
	}
	signer, err := s.self.NewOCSPSigner(ctx, ca.OCSPSignerOptions{Layout: s.layout, Passphrase: s.o.Passphrase})
	if err != nil {
		return err
	}
	// Statuses are cached so a busy responder reads nothing per request; the cache re-reads
	// the store's revocation epoch every 50 ms, and onRevoked invalidates it at once.
	s.statuses = ocspresponder.NewStatusCache(s.db, ocspresponder.StatusCacheOptions{})
	s.responder, err = ocspresponder.New(ocspresponder.Options{Source: s.statuses, Issuers: chain, Signer: signer.ForIssuer,
		Validity: time.Duration(s.cfg.OCSP.Validity), Now: s.o.Now, Logger: s.log, Observe: s.metrics.observeOCSP})
	if err != nil {
		return err
	}
	s.crls = newCRLPublisher(crlPublisherOptions{DB: s.db, Layout: s.layout, Loaded: s.loaded, Passphrase: s.o.Passphrase,
		Validity: time.Duration(s.cfg.CRL.Validity), RefreshBefore: time.Duration(s.cfg.CRL.RefreshBefore), Now: s.o.Now, Logger: s.log})
	if err := s.crls.start(ctx); err != nil {
		return err
	}
	s.tls, err = newTLSCert(ctx, tlsCertOptions{Authority: s.self, Inventory: s.db, Dir: s.layout.Dir,
		Names: tlsNames(s.cfg.Listen, s.baseURL), Now: s.o.Now, Logger: s.log, Background: &s.bg})
	if err != nil {
		return err
	}
	if s.acme, err = s.acmeHandler(&rules); err != nil {
		return err
	}
	s.health = newHealth(s.db, s.loaded.Issuer.CheckKey, s.o.Now, s.log)
	s.refreshExpiring(ctx)
	return s.buildHTTPServers()
}

// HTTPSAddr is the address the HTTPS listener is bound to (the port chosen for ":0").
func (s *Server) HTTPSAddr() string { return s.httpsLn.Addr().String() }

// HTTPAddr is the address the plain-HTTP listener is bound to.
func (s *Server) HTTPAddr() string { return s.httpLn.Addr().String() }

// Authority is the authority requests are served by, for callers that embed the server.
func (s *Server) Authority() *ca.Authority { return s.auth }

// Root is the root certificate clients trust.
func (s *Server) Root() *x509.Certificate { return s.loaded.Root }

// BaseURL is the public base URL written into certificates ("" when none).
func (s *Server) BaseURL() string { return s.baseURL }

// Run serves until ctx is done, then stops accepting connections, lets in-flight requests
// finish (at most Options.ShutdownTimeout), stops the background work and closes the
// inventory last, so that a request being answered when the signal came is recorded in full.
// It returns nil after a clean shutdown, or the error that stopped a listener.
func (s *Server) Run(ctx context.Context) error {
	if !s.ran.CompareAndSwap(false, true) {
		return errors.New("server: Run called twice")
	}
	tickCtx, stopTicks := context.WithCancel(context.WithoutCancel(ctx))
	var ticks sync.WaitGroup
	ticks.Go(func() { s.tickLoop(tickCtx) })

	errc := make(chan error, 2)
	go func() { errc <- s.https.ServeTLS(s.httpsLn, "", "") }()
	go func() { errc <- s.plain.Serve(s.httpLn) }()
	s.log.LogAttrs(ctx, slog.LevelInfo, "serving", slog.String("https", s.HTTPSAddr()), slog.String("http", s.HTTPAddr()),
		slog.String("url", s.baseURL), slog.String("root_sha256", s.rootFP), slog.String("data", s.layout.Dir),
		slog.String("store", s.db.Backend()))

	var runErr error
	select {
	case <-ctx.Done():
		s.log.Info("shutting down: draining in-flight requests", slog.Duration("timeout", s.o.ShutdownTimeout))
	case err := <-errc:
		runErr = fmt.Errorf("server: %w", err)
		s.log.Error("listener failed; shutting down", slog.String("error", err.Error()))
	}
	s.shutdown()
	stopTicks()
	ticks.Wait()
	s.closeResources()
	if runErr == nil {
		s.log.Info("stopped")
	}
	return runErr
}

// shutdown drains both listeners at once, so a slow API call does not eat the time of OCSP.
func (s *Server) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), s.o.ShutdownTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, srv := range []*http.Server{s.https, s.plain} {
		wg.Go(func() {
			if err := srv.Shutdown(ctx); err != nil {
				// The deadline passed with requests still running: cut them off. An issuance
				// cut off here leaves at most a pending row, by design (ca.Authority.Issue).
				s.log.Warn("drain timed out; closing the remaining connections", slog.String("error", err.Error()))
				srv.Close()
			}
		})
	}
	wg.Wait()
}

// Close releases what New acquired, for a Server that is not going to Run. Run does it itself.
func (s *Server) Close() error {
	if s.ran.Load() {
		return nil
	}
	return s.closeResources()
}

func (s *Server) closeResources() error {
	var err error
	s.closeOnce.Do(func() {
		for _, ln := range []net.Listener{s.httpsLn, s.httpLn} {
			if ln != nil {
				ln.Close()
			}
		}
		// Background work (a TLS renewal, an ACME validation) may still be writing to the
		// inventory.
		if s.acme != nil {
			s.acme.Close()
		}
		s.bg.stop()
		if s.db != nil {
			err = s.db.Close()
		}
	})
	return err
}

// tickLoop runs the periodic checks until ctx is done.
func (s *Server) tickLoop(ctx context.Context) {
	t := time.NewTicker(s.o.CheckInterval)
	defer t.Stop()
	epoch := time.NewTicker(epochInterval)
	defer epoch.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-epoch.C:
			s.crls.followEpoch(ctx)
		case <-t.C:
			s.crls.check(ctx)
			s.tls.check(ctx)
			s.refreshExpiring(ctx)
		}
	}
}

// onIssued counts every certificate the authority records, whatever front end asked.
func (s *Server) onIssued(i *ca.Issued) { s.metrics.issued.WithLabelValues(i.Profile).Inc() }

// onRevoked counts a revocation and re-signs the CRL before the revoking request is answered,
// so that whoever revoked can fetch a CRL that lists the certificate at once.
func (s *Server) onRevoked(r *ca.Revoked) {
	if s.statuses != nil {
		s.statuses.Invalidate()
	}
	if s.crls == nil {
		return // not serving yet: New revokes nothing
	}
	if !r.Released {
		s.metrics.revoked.WithLabelValues(r.Reason.String()).Inc()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s.crls.refresh(ctx)
}
