package store

import (
	"context"
	"errors"
	"math/big"
	"time"
)

// Sentinel errors. Callers test them with errors.Is; the backends wrap driver errors in them so
// no caller ever inspects a SQLite or PostgreSQL error code.
var (
	ErrNotFound       = errors.New("store: not found")
	ErrSerialExists   = errors.New("store: serial already issued by this issuer")
	ErrAlreadyRevoked = errors.New("store: certificate already revoked")
	ErrNotIssued      = errors.New("store: certificate was reserved but never issued")
	ErrUnavailable    = errors.New("store: database unavailable")
)

// Status is the lifecycle state recorded for a certificate. Expiry is not a stored state: it is
// derived from NotAfter at query time, so nothing has to sweep the table.
type Status string

const (
	// StatusPending: the serial is reserved and the intended TBS recorded, but no signed DER has
	// been recorded yet. A crash between signing and recording leaves a row in this state.
	StatusPending Status = "pending"
	StatusValid   Status = "valid"
	StatusRevoked Status = "revoked"
)

// Certificate is one row of the inventory, keyed by (IssuerKeyID, Serial).
type Certificate struct {
	IssuerKeyID []byte   // subject key identifier of the issuing CA certificate
	Serial      *big.Int // positive, at most 20 octets
	Subject     string   // RFC 4514 string of the subject
	SANs        []string // DNS names, IP addresses, emails and URIs as text
	NotBefore   time.Time
	NotAfter    time.Time
	Profile     string // root, intermediate, server, client, ocsp, …
	Requester   string // who asked: "cli", a token name, an ACME account URL
	Status      Status
	TBS         []byte // the to-be-signed certificate recorded with the reservation
	DER         []byte // the signed certificate; nil while pending
	CreatedAt   time.Time

	RevokedAt        time.Time // zero unless revoked
	RevocationReason int       // RFC 5280 CRLReason code; meaningful only when revoked
}

// Filter selects certificates for List. Zero fields do not filter.
type Filter struct {
	Status         Status    // valid, revoked, pending; "expired" is ExpiredAt
	ExpiredAt      time.Time // non-zero: only certificates with NotAfter before this instant
	ValidAt        time.Time // non-zero: only certificates not yet expired at this instant
	ExpiringBefore time.Time // non-zero: only certificates with NotAfter before this instant (and ValidAt honoured)
	SAN            string    // exact SAN match, case-insensitive for DNS names
	Profile        string
	IssuerKeyID    []byte
	After          string // opaque cursor returned by a previous List
	Limit          int    // 0: no limit
}

// Revocation is one entry of a CRL.
type Revocation struct {
	Serial    *big.Int
	RevokedAt time.Time
	Reason    int
}

// Inventory is what every backend provides. Writes are durable when the call returns.
type Inventory interface {
	// Reserve records the intent to issue c (Status pending, TBS set, DER nil). It fails with
	// ErrSerialExists when (IssuerKeyID, Serial) is already present, whatever its status.
	Reserve(ctx context.Context, c Certificate) error
	// RecordIssued stores the signed DER for a reserved serial and marks it valid.
	RecordIssued(ctx context.Context, issuerKeyID []byte, serial *big.Int, der []byte) error
	// Get returns one certificate or ErrNotFound.
	Get(ctx context.Context, issuerKeyID []byte, serial *big.Int) (Certificate, error)
	// FindBySerial returns the certificates with this serial under any issuer (normally one).
	FindBySerial(ctx context.Context, serial *big.Int) ([]Certificate, error)
	// List returns certificates in the order their reservations were committed, and a cursor
	// for the next page ("" at the end). A walk through the pages returns each certificate at
	// most once, and every one committed before it requested its last page.
	List(ctx context.Context, f Filter) ([]Certificate, string, error)
	// Revoke marks a valid certificate revoked. Revoking again returns ErrAlreadyRevoked and
	// keeps the first time and reason, except that a certificate on hold (reason 6) may be
	// revoked for another reason; a pending one returns ErrNotIssued; unknown ErrNotFound.
	Revoke(ctx context.Context, issuerKeyID []byte, serial *big.Int, reason int, at time.Time) error
	// Revoked calls fn for every revoked, unexpired-at-asOf certificate of an issuer, streaming
	// rows so a CRL of a million entries does not sit in memory twice.
	Revoked(ctx context.Context, issuerKeyID []byte, asOf time.Time, fn func(Revocation) error) error
	// NextCRLNumber atomically increments and returns the CRL number of an issuer (first call: 1).
	NextCRLNumber(ctx context.Context, issuerKeyID []byte) (*big.Int, error)
	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
	Close() error
}

// More sentinel errors, added with the SQL backends.
var (
	// ErrInvalid wraps a rejected argument (a serial that is not positive, a missing issuer key
	// id, text PostgreSQL cannot store); the message says which.
	ErrInvalid = errors.New("store: invalid argument")
	// ErrAlreadyIssued: RecordIssued for a serial that already has a different DER recorded.
	// Recording the same DER again succeeds, so a caller may retry after an ambiguous error.
	ErrAlreadyIssued = errors.New("store: certificate already recorded with a different DER")
	// ErrBadCursor: Filter.After is not a cursor returned by List.
	ErrBadCursor = errors.New("store: invalid list cursor")
	// ErrClosed: the DB was closed.
	ErrClosed = errors.New("store: closed")
)
