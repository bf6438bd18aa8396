package store

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strconv"

	"github.com/anchorpki/anchor/revocation"
)

// holdCode is certificateHold as it appears in SQL.
var holdCode = strconv.Itoa(int(revocation.CertificateHold))

// ReleaseHold makes a certificate on hold valid again: RFC 5280 §5.3.1 makes certificateHold
// (6) the one revocation reason that can be reversed (`anchor revoke --reason removeFromCRL`).
// The revocation time and reason are cleared, so the next full CRL omits the certificate and
// OCSP answers good. A certificate that is valid, pending or revoked for another reason gives
// ErrNotOnHold and is left as it is (a pending one also matches ErrNotIssued); an unknown one
// ErrNotFound.
//
// The store keeps no history of the hold: a delta CRL carrying removeFromCRL, if one is ever
// published, needs the release recorded elsewhere (the audit log).
func (db *DB) ReleaseHold(ctx context.Context, issuerKeyID []byte, serial *big.Int) error {
	k, err := makeKey(issuerKeyID, serial)
	if err != nil {
		return err
	}
	op := "release hold of " + k.String()
	// One statement, so a concurrent Revoke that makes the hold permanent either comes first
	// (and this finds no hold) or after (and revokes the now valid certificate): never lost.
	res, err := db.sql.ExecContext(ctx, `UPDATE certificates
		SET status = 'valid', revoked_at = NULL, revocation_reason = NULL
		WHERE issuer_key_id = $1 AND serial = $2 AND status = 'revoked' AND revocation_reason = `+holdCode,
		k.issuer, k.serial)
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
	st, err := db.Status(ctx, issuerKeyID, serial)
	switch {
	case errors.Is(err, ErrNotFound):
		return fmt.Errorf("%w: %s", ErrNotFound, k)
	case err != nil:
		return wrap(op, err)
	case st.Status == StatusPending:
		return fmt.Errorf("%w: %s: %w", ErrNotOnHold, k, ErrNotIssued)
	case st.Status == StatusRevoked:
		return fmt.Errorf("%w: %s is revoked for %s, which is permanent", ErrNotOnHold, k,
			revocation.Reason(st.RevocationReason))
	}
	return fmt.Errorf("%w: %s is %s", ErrNotOnHold, k, st.Status)
}
