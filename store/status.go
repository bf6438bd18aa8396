package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// CertStatus is what an OCSP or CRL answer needs to know about one certificate, without the
// TBS and DER that make a full row a few kilobytes.
type CertStatus struct {
	Status           Status
	NotAfter         time.Time
	RevokedAt        time.Time // zero unless revoked
	RevocationReason int       // RFC 5280 CRLReason code; meaningful only when revoked
}

// Status returns the status of one certificate, or ErrNotFound; it reads what Get would for
// these fields, from the same row, at the same moment.
func (db *DB) Status(ctx context.Context, issuerKeyID []byte, serial *big.Int) (CertStatus, error) {
	k, err := makeKey(issuerKeyID, serial)
	if err != nil {
		return CertStatus{}, err
	}
	var (
		s                 CertStatus
		status            string
		notAfter          int64
		revokedAt, reason sql.NullInt64
	)
	stmt, err := db.prepared(ctx, statusQuery)
	if err != nil {
		return CertStatus{}, wrap("status of "+k.String(), err)
	}
	err = stmt.QueryRowContext(ctx, k.issuer, k.serial).Scan(&status, &notAfter, &revokedAt, &reason)
	if errors.Is(err, sql.ErrNoRows) {
		return CertStatus{}, fmt.Errorf("%w: %s", ErrNotFound, k)
	}
	if err != nil {
		return CertStatus{}, wrap("status of "+k.String(), err)
	}
	s.Status, s.NotAfter = Status(status), fromMicros(notAfter)
	if revokedAt.Valid {
		s.RevokedAt, s.RevocationReason = fromMicros(revokedAt.Int64), int(reason.Int64)
	}
	return s, nil
}

// statusQuery is prepared once (see prepared): OCSP asks for a status on every request.
const statusQuery = `SELECT status, not_after, revoked_at, revocation_reason
		FROM certificates WHERE issuer_key_id = $1 AND serial = $2`

// RevocationEpoch returns a number that changes whenever any certificate is revoked, has its
// revocation changed, or is released from hold, by any process sharing the database. A cache of
// statuses (the OCSP responder's) tagged with the epoch it read them under knows it may be
// stale when the epoch moves; reading it is one row, far cheaper than the statuses it guards.
func (db *DB) RevocationEpoch(ctx context.Context) (int64, error) {
	var n int64
	stmt, err := db.prepared(ctx, `SELECT n FROM revocation_epoch WHERE id = 1`) // read every 50 ms by OCSP
	if err != nil {
		return 0, wrap("revocation epoch", err)
	}
	if err := stmt.QueryRowContext(ctx).Scan(&n); err != nil {
		return 0, wrap("revocation epoch", err)
	}
	return n, nil
}
