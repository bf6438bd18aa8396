package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// certFields is what every read selects after a position (an id or a List seq), in scanCert's order.
const certFields = `c.issuer_key_id, c.serial, c.subject, c.sans, c.not_before, c.not_after, c.profile,
	c.requester, c.status, c.tbs, c.der, c.created_at, c.revoked_at, c.revocation_reason`

// certColumns selects a certificate with its id.
const certColumns = `c.id, ` + certFields

// scanCert reads one row selected as a position followed by certFields and returns the
// certificate with its position.
func scanCert(rows interface{ Scan(...any) error }) (Certificate, int64, error) {
	var (
		c                              Certificate
		pos, notBefore, notAfter, crAt int64
		issuer, serial, sans, status   string
		revokedAt, reason              sql.NullInt64
	)
	if err := rows.Scan(&pos, &issuer, &serial, &c.Subject, &sans, &notBefore, &notAfter, &c.Profile,
		&c.Requester, &status, &c.TBS, &c.DER, &crAt, &revokedAt, &reason); err != nil {
		return Certificate{}, 0, err
	}
	var err error
	if c.IssuerKeyID, err = hexBytes(issuer); err != nil {
		return Certificate{}, 0, err
	}
	if c.Serial, err = parseSerial(serial); err != nil {
		return Certificate{}, 0, err
	}
	if err := json.Unmarshal([]byte(sans), &c.SANs); err != nil {
		return Certificate{}, 0, fmt.Errorf("store: stored SANs of serial %s: %w", serial, err)
	}
	if len(c.SANs) == 0 {
		c.SANs = nil
	}
	c.Status = Status(status)
	c.NotBefore, c.NotAfter, c.CreatedAt = fromMicros(notBefore), fromMicros(notAfter), fromMicros(crAt)
	if revokedAt.Valid {
		c.RevokedAt = fromMicros(revokedAt.Int64)
		c.RevocationReason = int(reason.Int64)
	}
	return c, pos, nil
}

// Get returns one certificate, or ErrNotFound.
func (db *DB) Get(ctx context.Context, issuerKeyID []byte, serial *big.Int) (Certificate, error) {
	k, err := makeKey(issuerKeyID, serial)
	if err != nil {
		return Certificate{}, err
	}
	row := db.sql.QueryRowContext(ctx, `SELECT `+certColumns+` FROM certificates c
		WHERE c.issuer_key_id = $1 AND c.serial = $2`, k.issuer, k.serial)
	c, _, err := scanCert(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Certificate{}, fmt.Errorf("%w: %s", ErrNotFound, k)
	}
	if err != nil {
		return Certificate{}, wrap("get "+k.String(), err)
	}
	return c, nil
}

// FindBySerial returns the certificates with this serial under any issuer, oldest first; an
// empty slice (not an error) when there are none.
func (db *DB) FindBySerial(ctx context.Context, serial *big.Int) ([]Certificate, error) {
	s, err := serialText(serial)
	if err != nil {
		return nil, err
	}
	certs, _, err := db.query(ctx, "find serial "+s,
		`SELECT `+certColumns+` FROM certificates c WHERE c.serial = $1 ORDER BY c.id`, []any{s}, 0)
	return certs, err
}

// List returns the certificates f selects in the order their reservations were committed
// and, when more remain, a cursor to pass as f.After for the next page.
//
// What a walk from the first page to the last (the one that returns no cursor) guarantees,
// on both backends and with any number of processes writing:
//   - no certificate is returned twice;
//   - every certificate committed before the walk started is returned, if f selects it;
//   - so is every certificate committed before the walk requested its last page: a commit
//     always lands after every cursor already handed out (see order.go).
//
// Filters are applied when a page is read, to the row as it is then: a certificate that
// changes status after the walk passed it is not reported again, and one that starts to
// match a Status filter after the walk passed it is not reported at all.
func (db *DB) List(ctx context.Context, f Filter) ([]Certificate, string, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	switch f.Status {
	case "":
	case StatusPending, StatusValid, StatusRevoked:
		add("c.status = ?", string(f.Status))
	default:
		return nil, "", fmt.Errorf("%w: unknown status %q (expired is Filter.ExpiredAt)", ErrInvalid, f.Status)
	}
	// RFC 5280 §4.1.2.5: notAfter is the last instant of validity, so a certificate is
	// expired at t when notAfter < t and still valid when notAfter >= t.
	if !f.ExpiredAt.IsZero() {
		add("c.not_after < ?", micros(f.ExpiredAt))
	}
	if !f.ValidAt.IsZero() {
		add("c.not_after >= ?", micros(f.ValidAt))
	}
	if !f.ExpiringBefore.IsZero() {
		add("c.not_after < ?", micros(f.ExpiringBefore))
	}
	if f.SAN != "" {
		add("EXISTS (SELECT 1 FROM certificate_names n WHERE n.certificate_id = c.id AND n.name = ?)", strings.ToLower(f.SAN))
	}
	if f.Profile != "" {
		add("c.profile = ?", f.Profile)
	}
	if len(f.IssuerKeyID) > 0 {
		iss, err := keyIDText(f.IssuerKeyID)
		if err != nil {
			return nil, "", err
		}
		add("c.issuer_key_id = ?", iss)
	}
	if f.After != "" {
		after, err := decodeCursor(f.After)
		if err != nil {
			return nil, "", err
		}
		add("o.seq > ?", after)
	}
	if f.Limit < 0 {
		return nil, "", fmt.Errorf("%w: negative limit %d", ErrInvalid, f.Limit)
	}
	q := `SELECT o.seq, ` + certFields + ` FROM certificate_order o JOIN certificates c ON c.id = o.certificate_id`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY o.seq"
	if f.Limit > 0 {
		// One row more than asked tells whether another page exists.
		args = append(args, int64(f.Limit)+1)
		q += " LIMIT $" + strconv.Itoa(len(args))
	}
	certs, seqs, err := db.query(ctx, "list", q, args, f.Limit)
	if err != nil || f.Limit == 0 || len(certs) <= f.Limit {
		return certs, "", err
	}
	return certs[:f.Limit], encodeCursor(seqs[f.Limit-1]), nil
}

// query runs a SELECT of a position and certFields and returns the rows and their positions.
func (db *DB) query(ctx context.Context, op, q string, args []any, limit int) ([]Certificate, []int64, error) {
	rows, err := db.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, nil, wrap(op, err)
	}
	defer rows.Close()
	certs := make([]Certificate, 0, min(limit+1, 1024))
	var positions []int64
	for rows.Next() {
		c, pos, err := scanCert(rows)
		if err != nil {
			return nil, nil, wrap(op, err)
		}
		certs = append(certs, c)
		positions = append(positions, pos)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, wrap(op, err)
	}
	return certs, positions, nil
}

// A cursor is the List seq of the last row of a page, versioned and base64url-encoded so
// callers treat it as opaque and a future format can be told apart. Before migration 0003 it
// was the row id; the migration set seq = id for every existing row, so such a cursor still
// names the same position and the version did not change.
const cursorPrefix = "c1:"

func encodeCursor(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(seq, 10)))
}

func decodeCursor(s string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, fmt.Errorf("%w: %q", ErrBadCursor, s)
	}
	num, ok := strings.CutPrefix(string(b), cursorPrefix)
	if !ok {
		return 0, fmt.Errorf("%w: %q", ErrBadCursor, s)
	}
	id, err := strconv.ParseInt(num, 10, 64)
	if err != nil || id < 0 {
		return 0, fmt.Errorf("%w: %q", ErrBadCursor, s)
	}
	return id, nil
}

func hexBytes(s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("store: stored issuer key id %q is not hexadecimal", s)
	}
	return b, nil
}
