package ocspresponder

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/anchorpki/anchor/store"
)

// StatusSource is the inventory as the responder sees it: read-only. It returns
// store.ErrNotFound for a serial this issuer never issued, which is answered "unknown"
// (RFC 6960 §2.2), never "good". *store.DB satisfies it.
type StatusSource interface {
	Status(ctx context.Context, issuerKeyID []byte, serial *big.Int) (store.CertStatus, error)
}

// Status is the outcome of one request, for metrics and the request log.
type Status string

// The outcomes. The first three are signed CertStatus values (RFC 6960 §4.2.1); the others are
// unsigned OCSPResponseStatus errors (RFC 6960 §4.2.1, OCSPResponseStatus).
const (
	StatusGood         Status = "good"
	StatusRevoked      Status = "revoked"
	StatusUnknown      Status = "unknown"
	StatusMalformed    Status = "malformed"
	StatusUnauthorized Status = "unauthorized"
	StatusInternal     Status = "internal"
)

// Sentinel errors.
var (
	// ErrInvalidOptions: New was given options it cannot work with; the message says which.
	ErrInvalidOptions = errors.New("ocspresponder: invalid options")
	// ErrResponderCert: Options.Signer returned a certificate or key that cannot sign responses
	// for the issuer (RFC 6960 §4.2.2.2): wrong key, missing OCSPSigning EKU, not issued by the
	// issuer, or outside its validity.
	ErrResponderCert = errors.New("ocspresponder: unusable responder certificate")
	// ErrInventoryStatus: the inventory returned a status this package does not know.
	ErrInventoryStatus = errors.New("ocspresponder: unexpected inventory status")
)

// Defaults for zero Options fields.
const (
	DefaultValidity        = 24 * time.Hour
	DefaultMaxRequestBytes = 8 << 10
	DefaultCacheSize       = 100_000
)

// Options configure a Responder. Zero values mean the defaults above.
type Options struct {
	Source StatusSource // required
	// Issuers are the CA certificates whose leaves this responder answers for; at least one.
	Issuers []*x509.Certificate
	// Signer returns the delegated responder certificate and key for an issuer. It is called
	// for every signature (not for cached responses), so the CA may rotate the delegated
	// certificate at any time. A nil certificate means key is the issuer's own key, which then
	// signs directly (RFC 6960 §4.2.2.2, first case). Required.
	Signer func(issuer *x509.Certificate) (cert *x509.Certificate, key crypto.Signer, err error)
	// Validity is nextUpdate - thisUpdate. Zero: DefaultValidity (RFC 5019 §2.2.4 wants a
	// nextUpdate in every response).
	Validity        time.Duration
	Now             func() time.Time // nil: time.Now
	Logger          *slog.Logger     // nil: discard
	MaxRequestBytes int64            // zero: DefaultMaxRequestBytes
	// CacheSize bounds the number of signed responses kept. Zero: DefaultCacheSize; negative:
	// no cache (every good or revoked response is signed anew).
	CacheSize int
	// Observe, when set, is called once per answered request with its outcome, for metrics:
	// by Respond, and by ServeHTTP after the response is written (not for a bare 405). It
	// runs on the request's goroutine, so it must be fast. nil: nothing.
	Observe func(Status)
}

// Responder answers OCSP requests. It is safe for concurrent use.
type Responder struct {
	o       Options
	issuers *issuerSet
	cache   *cache // nil when disabled
	log     *slog.Logger
}

// New checks o and returns a Responder.
func New(o Options) (*Responder, error) {
	switch {
	case o.Source == nil:
		return nil, fmt.Errorf("%w: Source is required", ErrInvalidOptions)
	case o.Signer == nil:
		return nil, fmt.Errorf("%w: Signer is required", ErrInvalidOptions)
	case len(o.Issuers) == 0:
		return nil, fmt.Errorf("%w: at least one issuer is required", ErrInvalidOptions)
	case o.Validity < 0:
		return nil, fmt.Errorf("%w: negative Validity %v", ErrInvalidOptions, o.Validity)
	case o.MaxRequestBytes < 0:
		return nil, fmt.Errorf("%w: negative MaxRequestBytes %d", ErrInvalidOptions, o.MaxRequestBytes)
	}
	if o.Validity == 0 {
		o.Validity = DefaultValidity
	}
	if o.MaxRequestBytes == 0 {
		o.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.CacheSize == 0 {
		o.CacheSize = DefaultCacheSize
	}
	set, err := newIssuerSet(o.Issuers)
	if err != nil {
		return nil, err
	}
	r := &Responder{o: o, issuers: set, log: o.Logger}
	if o.CacheSize > 0 {
		r.cache = newCache(o.CacheSize)
	}
	return r, nil
}

// result is everything known about one answer: what Respond returns, and what ServeHTTP needs
// for its headers and its log line.
type result struct {
	der    []byte
	status Status
	err    error  // internal failure: returned by Respond
	detail error  // why a request was malformed or unauthorized: logged only
	signed *entry // the signed response; nil for unsigned error responses
	serial *big.Int
	cached bool
}

func failure(s Status, detail error) result {
	switch s {
	case StatusMalformed:
		return result{der: ocsp.MalformedRequestErrorResponse, status: s, detail: detail}
	case StatusUnauthorized:
		return result{der: ocsp.UnauthorizedErrorResponse, status: s, detail: detail}
	}
	return result{der: ocsp.InternalErrorErrorResponse, status: StatusInternal, err: detail}
}

// Respond answers one DER OCSPRequest with a DER OCSPResponse. The response is always a valid
// OCSPResponse, also for a malformed request; the error is non-nil only for an internal
// failure (inventory or signer), when the response is internalError.
func (r *Responder) Respond(ctx context.Context, der []byte) ([]byte, Status, error) {
	res := r.respond(ctx, der)
	r.observe(res.status)
	return res.der, res.status, res.err
}

func (r *Responder) observe(s Status) {
	if r.o.Observe != nil {
		r.o.Observe(s)
	}
}

func (r *Responder) respond(ctx context.Context, der []byte) result {
	if int64(len(der)) > r.o.MaxRequestBytes {
		return failure(StatusMalformed, fmt.Errorf("request of %d bytes exceeds the limit of %d", len(der), r.o.MaxRequestBytes))
	}
	req, err := parseRequest(der)
	if err != nil {
		return failure(StatusMalformed, err)
	}
	iss := r.issuers.match(req)
	if iss == nil {
		return failure(StatusUnauthorized, fmt.Errorf("CertID names none of this responder's issuers (serial %x)", req.serial))
	}
	st, err := r.lookup(ctx, iss, req.serial)
	if err != nil {
		res := failure(StatusInternal, err)
		res.serial = req.serial
		return res
	}
	now := r.o.Now()
	// "unknown" is not cached: a flood of random serials would evict every useful entry, and a
	// serial that is unknown now (in flight, not yet replicated) must be "good" the moment its
	// DER is recorded.
	cacheable := st.status != ocsp.Unknown
	var key string
	if cacheable {
		key = cacheKey(iss, req.hash, req.serial)
		if e := r.cache.get(key, st, now); e != nil {
			return result{der: e.der, status: st.outcome(), signed: e, serial: req.serial, cached: true}
		}
	}
	e, err := r.sign(iss, req.hash, req.serial, st, now)
	if err != nil {
		res := failure(StatusInternal, err)
		res.serial = req.serial
		return res
	}
	if cacheable {
		r.cache.put(key, e)
	}
	return result{der: e.der, status: st.outcome(), signed: e, serial: req.serial}
}
