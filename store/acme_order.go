package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ACMEOrder is an ACME order (RFC 8555 §7.1.3). The store owns the columns it queries on;
// Body is the caller's encoding of the rest (identifiers, authorization IDs, validity, error)
// and is stored as given.
type ACMEOrder struct {
	ID        string
	AccountID string
	Status    string
	Expires   time.Time
	CreatedAt time.Time
	Replaces  string // ARI CertID of the certificate this order renews (RFC 9773 §5); "" if none
	// ReplacesAfter is read by CreateACMEOrder only: the order the caller found holding the
	// claim on Replaces and judged no obstacle (it is invalid), or "" if it found none. The
	// claim moves to the new order only if that is still so; otherwise ErrConflict.
	ReplacesAfter string
	CertSerial    string // lowercase hex serial once the certificate is issued
	Body          []byte // JSON
	Version       int64
}

// ACMEAuthz is an ACME authorization (RFC 8555 §7.1.4) with its challenges in Body.
type ACMEAuthz struct {
	ID         string
	AccountID  string
	IdentType  string
	IdentValue string
	Wildcard   bool
	Status     string
	Expires    time.Time
	UpdatedAt  time.Time
	Body       []byte // JSON
	Version    int64
}

const (
	acmeOrderColumns = `id, account_id, status, expires_at, created_at, coalesce(replaces, ''), coalesce(cert_serial, ''), body, version`
	acmeAuthzColumns = `id, account_id, ident_type, ident_value, wildcard, status, expires_at, updated_at, body, version`
)

// CreateACMEOrder records an order and the new authorizations it needs in one transaction,
// each with Version 1: a crash leaves either all of them or none. Authorizations the order
// reuses are not passed again. An order that replaces a certificate takes the claim on it in
// the same transaction (see ReplacesAfter); ErrConflict if another order holds it.
func (db *DB) CreateACMEOrder(ctx context.Context, o ACMEOrder, authzs []ACMEAuthz) (ACMEOrder, error) {
	if o.ID == "" || o.AccountID == "" || o.Status == "" || len(o.Body) == 0 {
		return ACMEOrder{}, fmt.Errorf("%w: an order needs an ID, an account, a status and a body", ErrInvalid)
	}
	if o.CreatedAt.IsZero() {
		o.CreatedAt = db.now()
	}
	o.CreatedAt, o.Expires = o.CreatedAt.Truncate(time.Microsecond).UTC(), o.Expires.Truncate(time.Microsecond).UTC()
	o.Version = 1
	op := "create ACME order " + o.ID
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return ACMEOrder{}, wrap(op, err)
	}
	defer tx.Rollback()
	for _, a := range authzs {
		if a.ID == "" || a.AccountID == "" || a.IdentType == "" || a.IdentValue == "" || a.Status == "" || len(a.Body) == 0 {
			return ACMEOrder{}, fmt.Errorf("%w: authorization %q lacks a field", ErrInvalid, a.ID)
		}
		if a.UpdatedAt.IsZero() {
			a.UpdatedAt = o.CreatedAt
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO acme_authzs
			(id, account_id, ident_type, ident_value, wildcard, status, expires_at, updated_at, body, version)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1)`,
			a.ID, a.AccountID, a.IdentType, a.IdentValue, boolInt(a.Wildcard), a.Status, micros(a.Expires),
			micros(a.UpdatedAt), string(a.Body)); err != nil {
			return ACMEOrder{}, wrap(op, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO acme_orders
		(id, account_id, status, expires_at, created_at, replaces, cert_serial, body, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1)`,
		o.ID, o.AccountID, o.Status, micros(o.Expires), micros(o.CreatedAt), nullText(o.Replaces),
		nullText(o.CertSerial), string(o.Body)); err != nil {
		return ACMEOrder{}, wrap(op, err)
	}
	if o.Replaces != "" {
		if err := claimReplacement(ctx, tx, o); err != nil {
			return ACMEOrder{}, err
		}
	}
	o.ReplacesAfter = ""
	if err := tx.Commit(); err != nil {
		return ACMEOrder{}, wrap(op, err)
	}
	return o, nil
}

// claimReplacement gives o the claim on the certificate it replaces, if nobody holds it or
// o.ReplacesAfter still does. The conditional upsert takes the row's lock, so of two
// transactions expecting the same holder the second sees the first's claim and fails.
func claimReplacement(ctx context.Context, tx *sql.Tx, o ACMEOrder) error {
	op := "create ACME order " + o.ID + ": claim replacement of " + o.Replaces
	res, err := tx.ExecContext(ctx, `INSERT INTO acme_replacements (cert_id, order_id) VALUES ($1, $2)
		ON CONFLICT (cert_id) DO UPDATE SET order_id = excluded.order_id
		WHERE acme_replacements.order_id = $3`, o.Replaces, o.ID, o.ReplacesAfter)
	if err != nil {
		return wrap(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap(op, err)
	}
	if n != 1 {
		return fmt.Errorf("%w: certificate %s is being replaced by another order", ErrConflict, o.Replaces)
	}
	return nil
}

// ACMEOrder returns the order with this ID, or ErrNotFound.
func (db *DB) ACMEOrder(ctx context.Context, id string) (ACMEOrder, error) {
	if id == "" || checkText("order ID", id) != nil {
		return ACMEOrder{}, fmt.Errorf("%w: ACME order %q", ErrNotFound, id)
	}
	o, err := scanACMEOrder(db.sql.QueryRowContext(ctx, `SELECT `+acmeOrderColumns+` FROM acme_orders WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return ACMEOrder{}, fmt.Errorf("%w: ACME order %q", ErrNotFound, id)
	}
	if err != nil {
		return ACMEOrder{}, wrap("ACME order "+id, err)
	}
	return o, nil
}

// UpdateACMEOrder stores o's status, certificate serial and body if the stored order still
// has o.Version, and returns it with the next Version; otherwise ErrConflict.
func (db *DB) UpdateACMEOrder(ctx context.Context, o ACMEOrder) (ACMEOrder, error) {
	op := "update ACME order " + o.ID
	res, err := db.sql.ExecContext(ctx, `UPDATE acme_orders SET status = $1, cert_serial = $2, body = $3,
		version = version + 1 WHERE id = $4 AND version = $5`, o.Status, nullText(o.CertSerial), string(o.Body), o.ID, o.Version)
	if err != nil {
		return ACMEOrder{}, wrap(op, err)
	}
	if err := casResult(res, op); err != nil {
		return ACMEOrder{}, err
	}
	o.Version++
	return o, nil
}

// ACMEOrderIDs returns the IDs of an account's orders, oldest first, at most limit of them
// after the cursor ("" for the first page), and the cursor of the next page ("" when this
// page is the last).
func (db *DB) ACMEOrderIDs(ctx context.Context, accountID, cursor string, limit int) ([]string, string, error) {
	var after int64
	if cursor != "" {
		var err error
		if after, err = decodeCursor(cursor); err != nil {
			return nil, "", err
		}
	}
	if limit <= 0 {
		limit = 100
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT id, seq FROM acme_orders WHERE account_id = $1 AND seq > $2
		ORDER BY seq LIMIT $3`, accountID, after, limit+1)
	if err != nil {
		return nil, "", wrap("ACME orders of "+accountID, err)
	}
	defer rows.Close()
	var ids []string
	var seqs []int64
	for rows.Next() {
		var id string
		var seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			return nil, "", wrap("ACME orders of "+accountID, err)
		}
		ids, seqs = append(ids, id), append(seqs, seq)
	}
	if err := rows.Err(); err != nil {
		return nil, "", wrap("ACME orders of "+accountID, err)
	}
	if len(ids) > limit {
		return ids[:limit], encodeCursor(seqs[limit-1]), nil
	}
	return ids, "", nil
}

// ACMEOrderBySerial returns the order that obtained the certificate with this serial
// (lowercase hex, as CertSerial holds it), or ErrNotFound.
func (db *DB) ACMEOrderBySerial(ctx context.Context, serialHex string) (ACMEOrder, error) {
	o, err := scanACMEOrder(db.sql.QueryRowContext(ctx, `SELECT `+acmeOrderColumns+` FROM acme_orders
		WHERE cert_serial = $1 ORDER BY seq LIMIT 1`, serialHex))
	if errors.Is(err, sql.ErrNoRows) {
		return ACMEOrder{}, fmt.Errorf("%w: ACME order for serial %s", ErrNotFound, serialHex)
	}
	if err != nil {
		return ACMEOrder{}, wrap("ACME order for serial "+serialHex, err)
	}
	return o, nil
}

// ACMEOrdersReplacing returns the orders that name certID in their replaces field (RFC 9773
// §5), oldest first, so the server can refuse a second renewal of one certificate.
func (db *DB) ACMEOrdersReplacing(ctx context.Context, certID string) ([]ACMEOrder, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+acmeOrderColumns+` FROM acme_orders WHERE replaces = $1 ORDER BY seq`, certID)
	if err != nil {
		return nil, wrap("ACME orders replacing "+certID, err)
	}
	defer rows.Close()
	var os []ACMEOrder
	for rows.Next() {
		o, err := scanACMEOrder(rows)
		if err != nil {
			return nil, wrap("ACME orders replacing "+certID, err)
		}
		os = append(os, o)
	}
	return os, wrap("ACME orders replacing "+certID, rows.Err())
}

// CountACMEOrders counts the orders an account created at or after since, for a rate limit.
func (db *DB) CountACMEOrders(ctx context.Context, accountID string, since time.Time) (int, error) {
	var n int
	err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM acme_orders WHERE account_id = $1 AND created_at >= $2`,
		accountID, micros(since)).Scan(&n)
	return n, wrap("count ACME orders of "+accountID, err)
}

// ACMEAuthz returns the authorization with this ID, or ErrNotFound.
func (db *DB) ACMEAuthz(ctx context.Context, id string) (ACMEAuthz, error) {
	if id == "" || checkText("authorization ID", id) != nil {
		return ACMEAuthz{}, fmt.Errorf("%w: ACME authorization %q", ErrNotFound, id)
	}
	a, err := scanACMEAuthz(db.sql.QueryRowContext(ctx, `SELECT `+acmeAuthzColumns+` FROM acme_authzs WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return ACMEAuthz{}, fmt.Errorf("%w: ACME authorization %q", ErrNotFound, id)
	}
	if err != nil {
		return ACMEAuthz{}, wrap("ACME authorization "+id, err)
	}
	return a, nil
}

// UpdateACMEAuthz stores a's status, expiry and body, stamped with a.UpdatedAt (zero: now), if the
// stored authorization still has a.Version, and returns it with the next Version; otherwise
// ErrConflict.
func (db *DB) UpdateACMEAuthz(ctx context.Context, a ACMEAuthz) (ACMEAuthz, error) {
	if a.UpdatedAt.IsZero() {
		a.UpdatedAt = db.now()
	}
	a.UpdatedAt = a.UpdatedAt.Truncate(time.Microsecond).UTC()
	op := "update ACME authorization " + a.ID
	res, err := db.sql.ExecContext(ctx, `UPDATE acme_authzs SET status = $1, body = $2, updated_at = $3, expires_at = $4,
		version = version + 1 WHERE id = $5 AND version = $6`, a.Status, string(a.Body), micros(a.UpdatedAt), micros(a.Expires), a.ID, a.Version)
	if err != nil {
		return ACMEAuthz{}, wrap(op, err)
	}
	if err := casResult(res, op); err != nil {
		return ACMEAuthz{}, err
	}
	a.Version++
	return a, nil
}

// ValidACMEAuthz returns the account's latest authorization for the identifier that is
// valid and unexpired at now, so a new order can reuse it, or ErrNotFound.
func (db *DB) ValidACMEAuthz(ctx context.Context, accountID, identType, identValue string, wildcard bool, now time.Time) (ACMEAuthz, error) {
	a, err := scanACMEAuthz(db.sql.QueryRowContext(ctx, `SELECT `+acmeAuthzColumns+` FROM acme_authzs
		WHERE account_id = $1 AND ident_type = $2 AND ident_value = $3 AND wildcard = $4 AND status = 'valid'
		  AND expires_at > $5 ORDER BY expires_at DESC LIMIT 1`,
		accountID, identType, identValue, boolInt(wildcard), micros(now)))
	if errors.Is(err, sql.ErrNoRows) {
		return ACMEAuthz{}, fmt.Errorf("%w: valid authorization for %s", ErrNotFound, identValue)
	}
	if err != nil {
		return ACMEAuthz{}, wrap("valid authorization for "+identValue, err)
	}
	return a, nil
}

// CountFailedACMEAuthzs counts an account's authorizations for an identifier value that became
// invalid at or after since, for a rate limit on failed validations. Per account, so that no
// account can use up the limit of a name for the others.
func (db *DB) CountFailedACMEAuthzs(ctx context.Context, accountID, identValue string, since time.Time) (int, error) {
	var n int
	err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM acme_authzs WHERE ident_value = $1 AND account_id = $2
		AND status = 'invalid' AND updated_at >= $3`, identValue, accountID, micros(since)).Scan(&n)
	return n, wrap("count failed authorizations of "+identValue, err)
}

func scanACMEOrder(row rowScanner) (ACMEOrder, error) {
	var o ACMEOrder
	var expires, created int64
	var body string
	if err := row.Scan(&o.ID, &o.AccountID, &o.Status, &expires, &created, &o.Replaces, &o.CertSerial, &body, &o.Version); err != nil {
		return ACMEOrder{}, err
	}
	o.Expires, o.CreatedAt, o.Body = fromMicros(expires), fromMicros(created), []byte(body)
	return o, nil
}

func scanACMEAuthz(row rowScanner) (ACMEAuthz, error) {
	var a ACMEAuthz
	var wildcard, expires, updated int64
	var body string
	if err := row.Scan(&a.ID, &a.AccountID, &a.IdentType, &a.IdentValue, &wildcard, &a.Status, &expires, &updated, &body, &a.Version); err != nil {
		return ACMEAuthz{}, err
	}
	a.Wildcard, a.Expires, a.UpdatedAt, a.Body = wildcard != 0, fromMicros(expires), fromMicros(updated), []byte(body)
	return a, nil
}
