package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/anchorpki/anchor/revocation"
)

// Revoke marks a valid certificate revoked at at (zero: Options.Now) for reason, an RFC 5280
// CRLReason code other than 7 (unused) and 8 (removeFromCRL: see ReleaseHold); those give
// ErrInvalid. The first revocation stands: revoking again returns ErrAlreadyRevoked and
// changes nothing, so a CRL never shows a revocation date moving, with one exception. A
// certificate on hold (reason certificateHold, 6, the only reversible one) may be revoked
// for good: a reason other than 6 replaces the hold's reason and time. A pending certificate
// gives ErrNotIssued (nothing signed, nothing to revoke); an unknown one ErrNotFound.
//
// Revoke commits on its own rather than through the group-commit writer: revocations are
// rare and a caller wants the answer now.
func (db *DB) Revoke(ctx context.Context, issuerKeyID []byte, serial *big.Int, reason int, at time.Time) error {
	k, err := makeKey(issuerKeyID, serial)
	if err != nil {
		return err
	}
	if err := checkReason(reason); err != nil {
		return err
	}
	if at.IsZero() {
		at = db.now()
	}
	op := "revoke " + k.String()
	// The status condition makes the check and the change one atomic statement: of two
	// concurrent revocations exactly one updates the row, and a hold released or made
	// permanent meanwhile is seen as it now is.
	revocable := `status = 'valid'`
	if reason != int(revocation.CertificateHold) {
		revocable = `(status = 'valid' OR (status = 'revoked' AND revocation_reason = ` + holdCode + `))`
	}
	res, err := db.sql.ExecContext(ctx, `UPDATE certificates
		SET status = 'revoked', revoked_at = $1, revocation_reason = $2
		WHERE issuer_key_id = $3 AND serial = $4 AND `+revocable,
		micros(at), int64(reason), k.issuer, k.serial)
	if err != nil {
		return wrap(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap(op, err)
	}
	if n == 1 {
		return nil
	}
	var status string
	err = db.sql.QueryRowContext(ctx, `SELECT status FROM certificates WHERE issuer_key_id = $1 AND serial = $2`,
		k.issuer, k.serial).Scan(&status)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: %s", ErrNotFound, k)
	case err != nil:
		return wrap(op, err)
	case Status(status) == StatusPending:
		return fmt.Errorf("%w: %s", ErrNotIssued, k)
	case Status(status) == StatusRevoked:
		return fmt.Errorf("%w: %s", ErrAlreadyRevoked, k)
	}
	return fmt.Errorf("store: %s: unexpected status %q", op, status)
}

// Revoked calls fn for each certificate of the issuer that is revoked and not expired at
// asOf (RFC 5280 §3.3 lets a CRL drop entries once the certificate has expired), in
// revocation-record order. Rows are read from the database as fn consumes them; an error
// from fn stops the scan and is returned unchanged.
func (db *DB) Revoked(ctx context.Context, issuerKeyID []byte, asOf time.Time, fn func(Revocation) error) error {
	iss, err := keyIDText(issuerKeyID)
	if err != nil {
		return err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT serial, revoked_at, revocation_reason FROM certificates
		WHERE issuer_key_id = $1 AND status = 'revoked' AND not_after >= $2 ORDER BY id`, iss, micros(asOf))
	if err != nil {
		return wrap("revoked "+iss, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			serial     string
			at, reason int64
		)
		if err := rows.Scan(&serial, &at, &reason); err != nil {
			return wrap("revoked "+iss, err)
		}
		n, err := parseSerial(serial)
		if err != nil {
			return err
		}
		if err := fn(Revocation{Serial: n, RevokedAt: fromMicros(at), Reason: int(reason)}); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return wrap("revoked "+iss, err)
	}
	return nil
}
