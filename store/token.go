package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Token is an API credential of the REST API. The store keeps only a hash of its secret, so
// neither a copy of the database nor a log of its queries lets anyone act as the token.
// Whether a token is expired is for the caller to decide: Token returns expired tokens as
// they are, so a front end can say "expired" rather than "unknown".
type Token struct {
	ID         string     // public identifier, also embedded in the token string by the caller; unique
	Name       string     // unique among tokens that are not revoked
	Hash       []byte     // SHA-256 (or similar) of the secret, computed by the caller
	Scopes     []string   // e.g. issue, revoke, read
	AllowNames []string   // name patterns this token may obtain; empty: any
	CreatedAt  time.Time  // zero in CreateToken: Options.Now
	ExpiresAt  *time.Time // nil: never
	RevokedAt  *time.Time // nil: not revoked
	LastUsedAt *time.Time // nil: never used; advanced by TouchToken
}

const tokenColumns = `id, name, hash, scopes, allow_names, created_at, expires_at, revoked_at, last_used_at`

// CreateToken records a new token. It fails with ErrTokenExists when a token with t.ID exists
// (revoked or not) or a token named t.Name is not revoked, and with ErrInvalid when ID, Name
// or Hash is empty, a scope or name pattern is empty, a text is not storable, or t claims to be
// revoked or used already.
func (db *DB) CreateToken(ctx context.Context, t Token) error {
	if t.ID == "" || t.Name == "" || len(t.Hash) == 0 {
		return fmt.Errorf("%w: a token needs an ID, a name and a hash", ErrInvalid)
	}
	if t.RevokedAt != nil || t.LastUsedAt != nil {
		return fmt.Errorf("%w: a new token cannot be revoked or used already", ErrInvalid)
	}
	if err := checkText("token ID", t.ID); err != nil {
		return err
	}
	if err := checkText("token name", t.Name); err != nil {
		return err
	}
	scopes, err := textList("token scope", t.Scopes)
	if err != nil {
		return err
	}
	allow, err := textList("token name pattern", t.AllowNames)
	if err != nil {
		return err
	}
	created := t.CreatedAt
	if created.IsZero() {
		created = db.now()
	}
	// ON CONFLICT without a target covers both the unique ID and the partial unique index on
	// live names, and leaves nothing for the caller to decode from a driver error. Of two
	// concurrent creations with one name, PostgreSQL makes the second wait for the first.
	res, err := db.sql.ExecContext(ctx, `INSERT INTO api_tokens
		(id, name, hash, scopes, allow_names, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT DO NOTHING`,
		t.ID, t.Name, t.Hash, scopes, allow, micros(created), nullMicros(t.ExpiresAt))
	if err != nil {
		return wrap("create token "+t.Name, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrap("create token "+t.Name, err)
	} else if n == 1 {
		return nil
	}
	if _, err := db.Token(ctx, t.ID); err == nil {
		return fmt.Errorf("%w: a token with ID %q exists", ErrTokenExists, t.ID)
	}
	return fmt.Errorf("%w: a token named %q is not revoked", ErrTokenExists, t.Name)
}

// tokenQuery is prepared once (see prepared): the REST API reads the token on every request.
const tokenQuery = `SELECT ` + tokenColumns + ` FROM api_tokens WHERE id = $1`

// Token returns the token with this ID, whatever its state, or ErrNotFound. Every call reads
// the database, so a revocation by another process counts from its commit on. An ID that
// cannot be stored (empty, not UTF-8) is not found, so a front end may pass one straight
// from a request.
func (db *DB) Token(ctx context.Context, id string) (Token, error) {
	if id == "" || checkText("token ID", id) != nil {
		return Token{}, fmt.Errorf("%w: token %q", ErrNotFound, id)
	}
	stmt, err := db.prepared(ctx, tokenQuery)
	if err != nil {
		return Token{}, wrap("token "+id, err)
	}
	t, err := scanToken(stmt.QueryRowContext(ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, fmt.Errorf("%w: token %q", ErrNotFound, id)
	}
	if err != nil {
		return Token{}, wrap("token "+id, err)
	}
	return t, nil
}

// Tokens returns every token, revoked and expired ones included, oldest first.
func (db *DB) Tokens(ctx context.Context) ([]Token, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens ORDER BY created_at, seq`)
	if err != nil {
		return nil, wrap("tokens", err)
	}
	defer rows.Close()
	var ts []Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, wrap("tokens", err)
		}
		ts = append(ts, t)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("tokens", err)
	}
	return ts, nil
}

// RevokeToken revokes the token with ID idOrName or, if no token has that ID, the live token
// of that name, at at (zero: Options.Now), and returns it. The first revocation stands:
// revoking again returns ErrAlreadyRevoked with the token as stored, which says when; a
// name whose tokens are all revoked does the same with the latest of them. Nothing matching:
// ErrNotFound.
func (db *DB) RevokeToken(ctx context.Context, idOrName string, at time.Time) (Token, error) {
	if idOrName == "" || checkText("token", idOrName) != nil {
		return Token{}, fmt.Errorf("%w: token %q", ErrNotFound, idOrName)
	}
	if at.IsZero() {
		at = db.now()
	}
	op := "revoke token " + idOrName
	// A token created under the name between the two statements below would be found live
	// by the second; the loop then revokes it, as if the call had come a moment later.
	for range 3 {
		// One statement, so of two concurrent revocations exactly one changes the row. The
		// ID wins over a name: at most one row matches.
		t, err := scanToken(db.sql.QueryRowContext(ctx, `UPDATE api_tokens SET revoked_at = $1
			WHERE revoked_at IS NULL
			  AND (id = $2 OR (name = $2 AND NOT EXISTS (SELECT 1 FROM api_tokens i WHERE i.id = $2)))
			RETURNING `+tokenColumns, micros(at), idOrName))
		if err == nil {
			return t, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return Token{}, wrap(op, err)
		}
		t, err = scanToken(db.sql.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens
			WHERE id = $1 OR name = $1
			ORDER BY CASE WHEN id = $1 THEN 0 ELSE 1 END, seq DESC LIMIT 1`, idOrName))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return Token{}, fmt.Errorf("%w: token %q", ErrNotFound, idOrName)
		case err != nil:
			return Token{}, wrap(op, err)
		case t.RevokedAt != nil:
			return t, fmt.Errorf("%w: token %q was revoked at %s", ErrAlreadyRevoked, idOrName,
				t.RevokedAt.Format(time.RFC3339))
		}
	}
	return Token{}, fmt.Errorf("store: %s: tokens of that name keep appearing", op)
}

// TouchToken records that the token was used at at; LastUsedAt only moves forward, so
// concurrent requests cannot set it back. It goes through the group-commit writer: a busy
// API touches tokens on every request, and those writes share commits with each other and
// with issuance instead of paying an fsync each. Unknown ID: ErrNotFound. Callers that must
// not wait for the commit may call it from a goroutine; a lost touch loses nothing else.
func (db *DB) TouchToken(ctx context.Context, id string, at time.Time) error {
	if id == "" || checkText("token ID", id) != nil {
		return fmt.Errorf("%w: token %q", ErrNotFound, id)
	}
	op := &writeOp{apply: func(ctx context.Context, tx *batchTx) (error, error) {
		return touchToken(ctx, tx, id, micros(at))
	}}
	return db.w.submit(ctx, op)
}

func touchToken(ctx context.Context, tx *batchTx, id string, at int64) (outcome, fatal error) {
	res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1
		WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)`, at, id)
	if err != nil {
		return nil, wrap("touch token "+id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, wrap("touch token "+id, err)
	} else if n == 1 {
		return nil, nil
	}
	var one int
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM api_tokens WHERE id = $1`, id).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: token %q", ErrNotFound, id), nil
	case err != nil:
		return nil, wrap("touch token "+id, err)
	}
	return nil, nil // already used at or after at
}

func scanToken(row rowScanner) (Token, error) {
	var (
		t                            Token
		scopes, allow                string
		created                      int64
		expires, revoked, lastUsedAt sql.NullInt64
	)
	if err := row.Scan(&t.ID, &t.Name, &t.Hash, &scopes, &allow, &created, &expires, &revoked, &lastUsedAt); err != nil {
		return Token{}, err
	}
	if err := json.Unmarshal([]byte(scopes), &t.Scopes); err != nil {
		return Token{}, fmt.Errorf("store: stored scopes of token %q: %w", t.ID, err)
	}
	if err := json.Unmarshal([]byte(allow), &t.AllowNames); err != nil {
		return Token{}, fmt.Errorf("store: stored name patterns of token %q: %w", t.ID, err)
	}
	if len(t.Scopes) == 0 {
		t.Scopes = nil
	}
	if len(t.AllowNames) == 0 {
		t.AllowNames = nil
	}
	t.CreatedAt = fromMicros(created)
	t.ExpiresAt, t.RevokedAt, t.LastUsedAt = timePtr(expires), timePtr(revoked), timePtr(lastUsedAt)
	return t, nil
}

// textList checks each entry of a list column and encodes the list as a JSON array.
func textList(field string, list []string) (string, error) {
	for _, s := range list {
		if s == "" {
			return "", fmt.Errorf("%w: empty %s", ErrInvalid, field)
		}
		if err := checkText(field, s); err != nil {
			return "", err
		}
	}
	b, err := json.Marshal(nonNil(list))
	if err != nil {
		return "", fmt.Errorf("store: encoding %s list: %w", field, err)
	}
	return string(b), nil
}

// nullMicros is the stored form of an optional instant: NULL or microseconds.
func nullMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return micros(*t)
}

func timePtr(us sql.NullInt64) *time.Time {
	if !us.Valid {
		return nil
	}
	t := fromMicros(us.Int64)
	return &t
}
