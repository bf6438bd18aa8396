package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Reserve records the intent to issue c: status pending, the intended TBS, no DER. It returns
// once the row is committed. A (IssuerKeyID, Serial) already present, in any state and even
// if reserved a moment earlier in the same batch, gives ErrSerialExists. CreatedAt is set
// from Options.Now when zero; Status must be empty or pending. After ErrUnavailable the row
// may or may not exist (the connection can fail during COMMIT): reserve a new serial rather
// than retrying this one; an orphaned pending row records an intent, nothing more.
func (db *DB) Reserve(ctx context.Context, c Certificate) error {
	r, err := newReservation(c, db.now)
	if err != nil {
		return err
	}
	op := &writeOp{apply: func(ctx context.Context, tx *batchTx) (error, error) {
		return insertReservation(ctx, tx, r)
	}}
	return db.w.submit(ctx, op)
}

// insertReservation inserts one reservation and its names. A duplicate key is the caller's
// outcome, not a failure of the transaction: ON CONFLICT DO NOTHING leaves the transaction
// healthy (PostgreSQL would abort it on a unique violation), so batch neighbours commit.
func insertReservation(ctx context.Context, tx *batchTx, r reservation) (outcome, fatal error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO certificates
		(issuer_key_id, serial, subject, sans, not_before, not_after, profile, requester, status, tbs, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10)
		ON CONFLICT (issuer_key_id, serial) DO NOTHING
		RETURNING id`,
		r.issuer, r.serial, r.subject, r.sans, r.notBefore, r.notAfter, r.profile, r.requester, r.tbs, r.createdAt,
	).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %s", ErrSerialExists, r.key), nil
	}
	if err != nil {
		return nil, wrap("reserve "+r.key.String(), err)
	}
	tx.inserted = append(tx.inserted, id)
	if len(r.names) == 0 {
		return nil, nil
	}
	// One statement for all names: a round trip per SAN would dominate a PostgreSQL batch.
	var q strings.Builder
	q.WriteString(`INSERT INTO certificate_names (certificate_id, name) VALUES `)
	args := []any{id}
	for i, n := range r.names {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("($1, $" + strconv.Itoa(i+2) + ")")
		args = append(args, n)
	}
	if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
		return nil, wrap("reserve "+r.key.String()+": names", err)
	}
	return nil, nil
}

// RecordIssued stores the signed DER of a reserved certificate and marks it valid, returning
// once committed. Unknown (issuer, serial): ErrNotFound. Recording the same DER again succeeds
// (a retry after an ambiguous failure); a different DER: ErrAlreadyIssued.
func (db *DB) RecordIssued(ctx context.Context, issuerKeyID []byte, serial *big.Int, der []byte) error {
	k, err := makeKey(issuerKeyID, serial)
	if err != nil {
		return err
	}
	if len(der) == 0 {
		return fmt.Errorf("%w: empty DER for %s", ErrInvalid, k)
	}
	op := &writeOp{apply: func(ctx context.Context, tx *batchTx) (error, error) {
		return recordIssued(ctx, tx, k, der)
	}}
	return db.w.submit(ctx, op)
}

func recordIssued(ctx context.Context, tx *batchTx, k key, der []byte) (outcome, fatal error) {
	res, err := tx.ExecContext(ctx, `UPDATE certificates SET der = $1, status = 'valid'
		WHERE issuer_key_id = $2 AND serial = $3 AND status = 'pending'`, der, k.issuer, k.serial)
	if err != nil {
		return nil, wrap("record "+k.String(), err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, wrap("record "+k.String(), err)
	}
	if n == 1 {
		return nil, nil
	}
	// Nothing pending under that key: say why.
	var have []byte
	err = tx.QueryRowContext(ctx, `SELECT der FROM certificates WHERE issuer_key_id = $1 AND serial = $2`,
		k.issuer, k.serial).Scan(&have)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: %s", ErrNotFound, k), nil
	case err != nil:
		return nil, wrap("record "+k.String(), err)
	case bytes.Equal(have, der):
		return nil, nil
	}
	return fmt.Errorf("%w: %s", ErrAlreadyIssued, k), nil
}
