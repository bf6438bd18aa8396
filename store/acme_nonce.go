package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrNonceSpent: SpendNonce with a nonce that was spent before.
var ErrNonceSpent = errors.New("store: nonce already used")

// SpendNonce records that an ACME nonce was used, and fails with ErrNonceSpent if it was used
// before, by this process or any other sharing the database: RFC 8555 §6.5 makes each nonce
// single-use. The server checks the nonce's own MAC and age first, so only genuine, live nonces
// get this far; the row is kept until expires, after which the MAC check refuses the nonce
// anyway. Now and then the call also deletes rows past their expiry.
func (db *DB) SpendNonce(ctx context.Context, nonce string, expires time.Time) error {
	if nonce == "" || checkText("nonce", nonce) != nil {
		return fmt.Errorf("%w: nonce", ErrInvalid)
	}
	res, err := db.sql.ExecContext(ctx, `INSERT INTO acme_spent_nonces (nonce, expires_at) VALUES ($1, $2)
		ON CONFLICT DO NOTHING`, nonce, micros(expires))
	if err != nil {
		return wrap("spend nonce", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrap("spend nonce", err)
	} else if n == 0 {
		return ErrNonceSpent
	}
	var b [1]byte
	rand.Read(b[:])
	if b[0] == 0 { // one call in 256 sweeps, so the table stays about as big as an hour's traffic
		if _, err := db.sql.ExecContext(ctx, `DELETE FROM acme_spent_nonces WHERE expires_at < $1`, micros(db.now())); err != nil {
			return wrap("sweep spent nonces", err)
		}
	}
	return nil
}

// ACMESecret returns the server secret called name, creating it with generate on first use.
// Every process sharing the database gets the same value, which is what lets a nonce issued
// by one process be checked by another.
func (db *DB) ACMESecret(ctx context.Context, name string, generate func() ([]byte, error)) ([]byte, error) {
	op := "ACME secret " + name
	var v []byte
	err := db.sql.QueryRowContext(ctx, `SELECT value FROM acme_secrets WHERE name = $1`, name).Scan(&v)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, wrap(op, err)
	}
	fresh, err := generate()
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", op, err)
	}
	// Of two processes creating the secret at once, the first insert wins and both read it.
	if _, err := db.sql.ExecContext(ctx, `INSERT INTO acme_secrets (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		name, fresh); err != nil {
		return nil, wrap(op, err)
	}
	if err := db.sql.QueryRowContext(ctx, `SELECT value FROM acme_secrets WHERE name = $1`, name).Scan(&v); err != nil {
		return nil, wrap(op, err)
	}
	return v, nil
}
