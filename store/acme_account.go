package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Sentinel errors of the ACME state.
var (
	// ErrConflict: a compare-and-set update lost (the object's Version moved on), or a
	// unique key is taken. Nothing was changed; the caller re-reads and decides again.
	ErrConflict = errors.New("store: conflicting update")
	// ErrKeyInUse: another ACME account has this key (RFC 8555 §7.3.1, §7.3.5).
	ErrKeyInUse = errors.New("store: account key in use")
	// ErrEABUnusable: the external account key is unknown, revoked or bound already.
	ErrEABUnusable = errors.New("store: external account key unusable")
)

// ACMEAccount is an ACME account (RFC 8555 §7.1.2) as the server stores it.
type ACMEAccount struct {
	ID          string // random, URL-safe; the account URL ends with it
	Thumbprint  string // RFC 7638 thumbprint of the current key; unique
	JWK         []byte // the current public key, JSON
	Status      string // valid, deactivated or revoked
	Contact     []string
	TermsAgreed bool
	EABKeyID    string // the external account key it was bound with; "" if none
	CreatedAt   time.Time
	Version     int64 // compare-and-set token for UpdateACMEAccount
}

const acmeAccountColumns = `id, thumbprint, jwk, status, contact, tos_agreed, coalesce(eab_kid, ''), created_at, version`

// CreateACMEAccount records a new account with Version 1. A key that has an account already
// returns that account with ErrKeyInUse, which is what newAccount answers (RFC 8555 §7.3.1).
// With EABKeyID set, the external account key is bound in the same transaction; a key that
// is unknown, revoked or bound already fails with ErrEABUnusable and creates nothing.
func (db *DB) CreateACMEAccount(ctx context.Context, a ACMEAccount) (ACMEAccount, error) {
	if a.ID == "" || a.Thumbprint == "" || len(a.JWK) == 0 || a.Status == "" {
		return ACMEAccount{}, fmt.Errorf("%w: an account needs an ID, a key and a status", ErrInvalid)
	}
	contact, err := textList("contact", a.Contact)
	if err != nil {
		return ACMEAccount{}, err
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = db.now()
	}
	a.CreatedAt = a.CreatedAt.Truncate(time.Microsecond).UTC()
	a.Version = 1
	op := "create ACME account " + a.ID
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return ACMEAccount{}, wrap(op, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO acme_accounts
		(id, thumbprint, jwk, status, contact, tos_agreed, eab_kid, created_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1) ON CONFLICT DO NOTHING`,
		a.ID, a.Thumbprint, string(a.JWK), a.Status, contact, boolInt(a.TermsAgreed), nullText(a.EABKeyID), micros(a.CreatedAt))
	if err != nil {
		return ACMEAccount{}, wrap(op, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return ACMEAccount{}, wrap(op, err)
	} else if n == 0 {
		tx.Rollback()
		existing, err := db.ACMEAccountByThumbprint(ctx, a.Thumbprint)
		if err != nil {
			return ACMEAccount{}, fmt.Errorf("%w: account ID %s taken", ErrConflict, a.ID)
		}
		return existing, fmt.Errorf("%w: account %s has this key", ErrKeyInUse, existing.ID)
	}
	if a.EABKeyID != "" {
		res, err := tx.ExecContext(ctx, `UPDATE acme_eab_keys SET account_id = $1, bound_at = $2
			WHERE kid = $3 AND account_id IS NULL AND revoked_at IS NULL`, a.ID, micros(a.CreatedAt), a.EABKeyID)
		if err != nil {
			return ACMEAccount{}, wrap(op, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return ACMEAccount{}, wrap(op, err)
		} else if n == 0 {
			return ACMEAccount{}, fmt.Errorf("%w: key %q is unknown, revoked or bound to another account", ErrEABUnusable, a.EABKeyID)
		}
	}
	if err := tx.Commit(); err != nil {
		return ACMEAccount{}, wrap(op, err)
	}
	a.Contact = nonNil(a.Contact)
	return a, nil
}

// ACMEAccount returns the account with this ID, or ErrNotFound.
func (db *DB) ACMEAccount(ctx context.Context, id string) (ACMEAccount, error) {
	return db.acmeAccountWhere(ctx, "id", id)
}

// ACMEAccountByThumbprint returns the account whose current key has this thumbprint, or
// ErrNotFound.
func (db *DB) ACMEAccountByThumbprint(ctx context.Context, thumbprint string) (ACMEAccount, error) {
	return db.acmeAccountWhere(ctx, "thumbprint", thumbprint)
}

func (db *DB) acmeAccountWhere(ctx context.Context, column, value string) (ACMEAccount, error) {
	if value == "" || checkText(column, value) != nil {
		return ACMEAccount{}, fmt.Errorf("%w: ACME account %s %q", ErrNotFound, column, value)
	}
	a, err := scanACMEAccount(db.sql.QueryRowContext(ctx,
		`SELECT `+acmeAccountColumns+` FROM acme_accounts WHERE `+column+` = $1`, value))
	if errors.Is(err, sql.ErrNoRows) {
		return ACMEAccount{}, fmt.Errorf("%w: ACME account %s %q", ErrNotFound, column, value)
	}
	if err != nil {
		return ACMEAccount{}, wrap("ACME account", err)
	}
	return a, nil
}

// UpdateACMEAccount stores a's key, status and contacts if the stored account still has
// a.Version, and returns it with the next Version. A moved Version is ErrConflict; a key
// that another account has is ErrKeyInUse (the key rollover of RFC 8555 §7.3.5 answers 409).
func (db *DB) UpdateACMEAccount(ctx context.Context, a ACMEAccount) (ACMEAccount, error) {
	contact, err := textList("contact", a.Contact)
	if err != nil {
		return ACMEAccount{}, err
	}
	op := "update ACME account " + a.ID
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return ACMEAccount{}, wrap(op, err)
	}
	defer tx.Rollback()
	var other string
	err = tx.QueryRowContext(ctx, `SELECT id FROM acme_accounts WHERE thumbprint = $1 AND id <> $2`, a.Thumbprint, a.ID).Scan(&other)
	switch {
	case err == nil:
		return ACMEAccount{}, fmt.Errorf("%w: account %s has this key", ErrKeyInUse, other)
	case !errors.Is(err, sql.ErrNoRows):
		return ACMEAccount{}, wrap(op, err)
	}
	res, err := tx.ExecContext(ctx, `UPDATE acme_accounts SET thumbprint = $1, jwk = $2, status = $3, contact = $4,
		version = version + 1 WHERE id = $5 AND version = $6`, a.Thumbprint, string(a.JWK), a.Status, contact, a.ID, a.Version)
	if uniqueViolation(err) { // a concurrent rollover took the key between the check and here
		return ACMEAccount{}, fmt.Errorf("%w: another account has this key", ErrKeyInUse)
	}
	if err != nil {
		return ACMEAccount{}, wrap(op, err)
	}
	if err := casResult(res, op); err != nil {
		return ACMEAccount{}, err
	}
	if err := tx.Commit(); err != nil {
		return ACMEAccount{}, wrap(op, err)
	}
	a.Version++
	a.Contact = nonNil(a.Contact)
	return a, nil
}

func scanACMEAccount(row rowScanner) (ACMEAccount, error) {
	var a ACMEAccount
	var jwk, contact string
	var tos, created int64
	if err := row.Scan(&a.ID, &a.Thumbprint, &jwk, &a.Status, &contact, &tos, &a.EABKeyID, &created, &a.Version); err != nil {
		return ACMEAccount{}, err
	}
	a.JWK, a.TermsAgreed, a.CreatedAt = []byte(jwk), tos != 0, fromMicros(created)
	if err := json.Unmarshal([]byte(contact), &a.Contact); err != nil {
		return ACMEAccount{}, fmt.Errorf("store: account %s: contact column: %w", a.ID, err)
	}
	a.Contact = nonNil(a.Contact)
	return a, nil
}

// casResult turns the row count of a compare-and-set UPDATE into ErrConflict.
func casResult(res sql.Result, op string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return wrap(op, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: %s: changed or removed since it was read", ErrConflict, op)
	}
	return nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}
