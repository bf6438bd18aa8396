package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// EABKey is an external account binding key (RFC 8555 §7.3.4): the CA hands the key ID and
// MAC key to a customer out of band, and newAccount proves possession with a MAC. The MAC key
// is stored as is because the server must compute the MAC; a key binds one account.
type EABKey struct {
	KeyID     string
	Name      string
	HMACKey   []byte
	CreatedAt time.Time
	AccountID string     // "" until a newAccount binds it
	BoundAt   *time.Time // nil until bound
	RevokedAt *time.Time // nil unless revoked
}

const eabColumns = `kid, name, hmac_key, created_at, coalesce(account_id, ''), bound_at, revoked_at`

// CreateEABKey records a new key; a key ID in use is ErrConflict.
func (db *DB) CreateEABKey(ctx context.Context, k EABKey) error {
	if k.KeyID == "" || k.Name == "" || len(k.HMACKey) == 0 {
		return fmt.Errorf("%w: an external account key needs an ID, a name and a MAC key", ErrInvalid)
	}
	if err := checkText("key ID", k.KeyID); err != nil {
		return err
	}
	if err := checkText("key name", k.Name); err != nil {
		return err
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = db.now()
	}
	res, err := db.sql.ExecContext(ctx, `INSERT INTO acme_eab_keys (kid, name, hmac_key, created_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, k.KeyID, k.Name, k.HMACKey, micros(k.CreatedAt))
	if err != nil {
		return wrap("create external account key "+k.KeyID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrap("create external account key "+k.KeyID, err)
	} else if n == 0 {
		return fmt.Errorf("%w: external account key %q exists", ErrConflict, k.KeyID)
	}
	return nil
}

// EABKey returns the key with this ID, whatever its state, or ErrNotFound.
func (db *DB) EABKey(ctx context.Context, kid string) (EABKey, error) {
	if kid == "" || checkText("key ID", kid) != nil {
		return EABKey{}, fmt.Errorf("%w: external account key %q", ErrNotFound, kid)
	}
	k, err := scanEABKey(db.sql.QueryRowContext(ctx, `SELECT `+eabColumns+` FROM acme_eab_keys WHERE kid = $1`, kid))
	if errors.Is(err, sql.ErrNoRows) {
		return EABKey{}, fmt.Errorf("%w: external account key %q", ErrNotFound, kid)
	}
	if err != nil {
		return EABKey{}, wrap("external account key "+kid, err)
	}
	return k, nil
}

// EABKeys returns every key, oldest first.
func (db *DB) EABKeys(ctx context.Context) ([]EABKey, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+eabColumns+` FROM acme_eab_keys ORDER BY seq`)
	if err != nil {
		return nil, wrap("external account keys", err)
	}
	defer rows.Close()
	var ks []EABKey
	for rows.Next() {
		k, err := scanEABKey(rows)
		if err != nil {
			return nil, wrap("external account keys", err)
		}
		ks = append(ks, k)
	}
	return ks, wrap("external account keys", rows.Err())
}

// RevokeEABKey revokes a key so no further account can bind it; an account it bound already
// stays. Unknown: ErrNotFound; revoked before: ErrAlreadyRevoked.
func (db *DB) RevokeEABKey(ctx context.Context, kid string, at time.Time) (EABKey, error) {
	if at.IsZero() {
		at = db.now()
	}
	res, err := db.sql.ExecContext(ctx, `UPDATE acme_eab_keys SET revoked_at = $1 WHERE kid = $2 AND revoked_at IS NULL`, micros(at), kid)
	if err != nil {
		return EABKey{}, wrap("revoke external account key "+kid, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return EABKey{}, wrap("revoke external account key "+kid, err)
	}
	k, err := db.EABKey(ctx, kid)
	if err != nil {
		return EABKey{}, err
	}
	if n == 0 {
		return k, fmt.Errorf("%w: external account key %q was revoked at %s", ErrAlreadyRevoked, kid, k.RevokedAt.Format(time.RFC3339))
	}
	return k, nil
}

func scanEABKey(row rowScanner) (EABKey, error) {
	var k EABKey
	var created int64
	var bound, revoked sql.NullInt64
	if err := row.Scan(&k.KeyID, &k.Name, &k.HMACKey, &created, &k.AccountID, &bound, &revoked); err != nil {
		return EABKey{}, err
	}
	k.CreatedAt, k.BoundAt, k.RevokedAt = fromMicros(created), timePtr(bound), timePtr(revoked)
	return k, nil
}
