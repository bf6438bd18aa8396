package tlsproxy

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anchorpki/anchor/keys"
	"github.com/anchorpki/anchor/pemfile"
)

// CertSource supplies the proxy's server certificate for each handshake. It is the seam between
// the proxy and where certificates come from: files (FileSource), an ACME client, or a wrapper
// that adds an OCSP staple (Stapled).
//
// Contract: GetCertificate is called concurrently from every handshake and must be fast (no
// I/O); it returns a certificate whose Certificate[0] is the leaf, followed by the chain a
// client needs (not the root). An empty ClientHelloInfo asks for the default certificate. The
// source must not modify a *tls.Certificate after returning it: a new certificate is a new
// value, so handshakes in progress keep a consistent one.
type CertSource interface {
	GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error)
}

// Runner is implemented by a CertSource that works in the background (watching files,
// renewing, refreshing staples). Proxy.Serve calls Run and cancels its context when it stops
// serving; Run returns when ctx is done.
type Runner interface {
	Run(ctx context.Context)
}

// DefaultReloadInterval is how often a FileSource looks at its files when Interval is zero.
const DefaultReloadInterval = 5 * time.Second

// FileSourceOptions configure a FileSource.
type FileSourceOptions struct {
	CertFile string // required: PEM, the leaf first, then the intermediates
	KeyFile  string // required: the leaf's private key in any form package keys reads
	// Passphrase decrypts an encrypted KeyFile; it is kept for reloads.
	Passphrase []byte
	Interval   time.Duration // how often Run compares the files; zero: DefaultReloadInterval
	Logger     *slog.Logger  // nil: discard
	Now        func() time.Time
}

// FileSource serves a certificate and key read from files and reloads them when their content
// changes. A reload that fails (a half-written pair, a key that does not match, a wrong
// passphrase) keeps the certificate already served and logs why; open connections are never
// affected, since a certificate only matters during a handshake.
type FileSource struct {
	o   FileSourceOptions
	log *slog.Logger
	cur atomic.Pointer[tls.Certificate]

	mu        sync.Mutex // serialises reloads
	triedCert []byte     // SHA-256 of the contents last attempted, so a bad pair is logged once
	triedKey  []byte
}

// NewFileSource loads the files once; an error here is the caller's to report.
func NewFileSource(o FileSourceOptions) (*FileSource, error) {
	if o.CertFile == "" || o.KeyFile == "" {
		return nil, errors.New("tlsproxy: a file source needs a certificate file and a key file")
	}
	if o.Interval == 0 {
		o.Interval = DefaultReloadInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &FileSource{o: o, log: loggerOrDiscard(o.Logger)}
	if err := s.Reload(); err != nil {
		return nil, err
	}
	return s, nil
}

// GetCertificate returns the current certificate.
func (s *FileSource) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return s.cur.Load(), nil
}

// Certificate is the certificate currently served.
func (s *FileSource) Certificate() *tls.Certificate { return s.cur.Load() }

// Reload reads both files now and serves them from the next handshake on. On error the current
// certificate stays.
func (s *FileSource) Reload() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	certPEM, keyPEM, err := s.read()
	if err != nil {
		return err
	}
	return s.load(certPEM, keyPEM)
}

// Run compares the files with what was last loaded every Interval and reloads them when they
// changed. Content, not the modification time, decides: editors and `cp` can keep mtimes, and
// a pair written in two steps is retried until both halves match.
func (s *FileSource) Run(ctx context.Context) {
	if s.o.Interval < 0 {
		return
	}
	t := time.NewTicker(s.o.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.poll()
		}
	}
}

func (s *FileSource) poll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	certPEM, keyPEM, err := s.read()
	if err != nil {
		// A file being replaced may be missing for a moment; the next poll sees it.
		s.log.LogAttrs(context.Background(), slog.LevelDebug, "tlsproxy: certificate files unreadable", slog.String("error", err.Error()))
		return
	}
	ch, kh := sha256.Sum256(certPEM), sha256.Sum256(keyPEM)
	if bytes.Equal(ch[:], s.triedCert) && bytes.Equal(kh[:], s.triedKey) {
		return
	}
	if err := s.load(certPEM, keyPEM); err != nil {
		s.log.LogAttrs(context.Background(), slog.LevelError, "tlsproxy: certificate reload failed, keeping the current certificate",
			slog.String("cert_file", s.o.CertFile), slog.String("key_file", s.o.KeyFile), slog.String("error", err.Error()))
	}
}

func (s *FileSource) read() (certPEM, keyPEM []byte, err error) {
	if certPEM, err = os.ReadFile(s.o.CertFile); err != nil {
		return nil, nil, fmt.Errorf("tlsproxy: reading certificate: %w", err)
	}
	if keyPEM, err = os.ReadFile(s.o.KeyFile); err != nil {
		return nil, nil, fmt.Errorf("tlsproxy: reading key: %w", err)
	}
	return certPEM, keyPEM, nil
}

// load parses and installs a pair; the caller holds mu.
func (s *FileSource) load(certPEM, keyPEM []byte) error {
	ch, kh := sha256.Sum256(certPEM), sha256.Sum256(keyPEM)
	s.triedCert, s.triedKey = ch[:], kh[:]
	cert, err := parsePair(s.o.CertFile, certPEM, s.o.KeyFile, keyPEM, s.o.Passphrase)
	if err != nil {
		return err
	}
	old := s.cur.Swap(cert)
	attrs := []slog.Attr{slog.String("serial", serialHex(cert.Leaf)), slog.String("subject", cert.Leaf.Subject.String()),
		slog.Time("not_after", cert.Leaf.NotAfter)}
	if now := s.o.Now(); now.After(cert.Leaf.NotAfter) || now.Before(cert.Leaf.NotBefore) {
		s.log.LogAttrs(context.Background(), slog.LevelWarn, "tlsproxy: serving a certificate outside its validity period", attrs...)
	}
	if old != nil {
		s.log.LogAttrs(context.Background(), slog.LevelInfo, "tlsproxy: certificate reloaded", attrs...)
	}
	return nil
}

// parsePair builds a tls.Certificate from a PEM chain and a private key that must belong to
// its first certificate.
func parsePair(certFile string, certPEM []byte, keyFile string, keyPEM, passphrase []byte) (*tls.Certificate, error) {
	blocks, err := pemfile.Decode(certPEM)
	if err != nil {
		return nil, fmt.Errorf("tlsproxy: %s: %w", certFile, err)
	}
	certs, err := pemfile.ParseCertificates(blocks)
	if err != nil {
		return nil, fmt.Errorf("tlsproxy: %s: %w", certFile, err)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("tlsproxy: %s holds no certificate", certFile)
	}
	key, err := keys.ParsePrivateKey(keyPEM, passphrase)
	if err != nil {
		return nil, fmt.Errorf("tlsproxy: %s: %w", keyFile, err)
	}
	leaf := certs[0]
	pub, ok := leaf.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(key.Public()) {
		return nil, fmt.Errorf("tlsproxy: the key in %s does not belong to the first certificate of %s (serial %s)", keyFile, certFile, serialHex(leaf))
	}
	c := &tls.Certificate{PrivateKey: key, Leaf: leaf}
	for _, x := range certs {
		if isSelfSigned(x) && x != leaf {
			continue // a root in the chain file is useless to a client that does not already trust it
		}
		c.Certificate = append(c.Certificate, x.Raw)
	}
	return c, nil
}

func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignatureFrom(c) == nil
}

func loggerOrDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
