package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// This file adapts a pgx connection to database/sql, so SQLite and PostgreSQL share one code
// path (and database/sql's pool). pgx ships such an adapter (pgx/v5/stdlib), but it imports
// pgxpool and thereby github.com/jackc/puddle/v2, which this module does not require; the
// subset below is all the store uses: Exec, Query, transactions, Ping.

// pgCloseTimeout bounds the goodbye message sent to the server when a connection is closed,
// and the commit or rollback of a transaction, which database/sql issues without a context.
const pgCloseTimeout = 30 * time.Second

// pgConnector opens pgx connections for database/sql.
type pgConnector struct{ cfg *pgx.ConnConfig }

func (c *pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, c.cfg.Copy())
	if err != nil {
		return nil, err
	}
	return &pgConn{c: conn, lastUsed: time.Now()}, nil
}

func (c *pgConnector) Driver() driver.Driver { return pgDriver{} }

// pgDriver exists because driver.Connector must name one; connections come from pgConnector.
type pgDriver struct{}

func (pgDriver) Open(string) (driver.Conn, error) {
	return nil, errors.New("store: the postgres driver opens connections through its connector only")
}

// pgIdlePing: a pooled connection idle longer than this is pinged before reuse. After a
// server restart or a network cut every idle connection is dead, and without the ping each
// would fail one caller's statement (after sending it, so database/sql cannot retry). pgxpool
// uses the same rule and threshold.
const pgIdlePing = time.Second

// pgConn is one pgx connection seen through database/sql/driver. database/sql never uses a
// driver connection from two goroutines at once, so lastUsed needs no lock.
type pgConn struct {
	c        *pgx.Conn
	lastUsed time.Time
}

var (
	_ driver.ExecerContext     = (*pgConn)(nil)
	_ driver.QueryerContext    = (*pgConn)(nil)
	_ driver.ConnBeginTx       = (*pgConn)(nil)
	_ driver.Pinger            = (*pgConn)(nil)
	_ driver.SessionResetter   = (*pgConn)(nil)
	_ driver.Validator         = (*pgConn)(nil)
	_ driver.NamedValueChecker = (*pgConn)(nil)
)

func (c *pgConn) Prepare(query string) (driver.Stmt, error) {
	return &pgStmt{conn: c, query: query}, nil
}

func (c *pgConn) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), pgCloseTimeout)
	defer cancel()
	return c.c.Close(ctx)
}

func (c *pgConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *pgConn) BeginTx(ctx context.Context, o driver.TxOptions) (driver.Tx, error) {
	if o.Isolation != driver.IsolationLevel(0) {
		return nil, fmt.Errorf("store: postgres driver: isolation level %d not supported", o.Isolation)
	}
	opts := pgx.TxOptions{}
	if o.ReadOnly {
		opts.AccessMode = pgx.ReadOnly
	}
	c.lastUsed = time.Now()
	tx, err := c.c.BeginTx(ctx, opts)
	if err != nil {
		return nil, badConn(err)
	}
	return pgTx{tx: tx}, nil
}

func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	c.lastUsed = time.Now()
	tag, err := c.c.Exec(ctx, query, values(args)...)
	if err != nil {
		return nil, badConn(err)
	}
	return driver.RowsAffected(tag.RowsAffected()), nil
}

func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	c.lastUsed = time.Now()
	rows, err := c.c.Query(ctx, query, values(args)...)
	if err != nil {
		return nil, badConn(err)
	}
	return &pgRows{rows: rows}, nil
}

func (c *pgConn) Ping(ctx context.Context) error { return badConn(c.c.Ping(ctx)) }

// ResetSession and IsValid keep database/sql from handing out a connection pgx has closed
// after a network error, or one that sat idle and no longer answers; database/sql then
// discards it and takes another.
func (c *pgConn) ResetSession(ctx context.Context) error {
	if c.c.IsClosed() {
		return driver.ErrBadConn
	}
	if time.Since(c.lastUsed) > pgIdlePing {
		if err := c.c.Ping(ctx); err != nil {
			return fmt.Errorf("%w: %w", driver.ErrBadConn, err)
		}
		c.lastUsed = time.Now()
	}
	return nil
}

func (c *pgConn) IsValid() bool { return !c.c.IsClosed() }

// CheckNamedValue lets every argument through unchanged; pgx encodes it for the parameter
// type the server reports.
func (c *pgConn) CheckNamedValue(*driver.NamedValue) error { return nil }

// badConn tells database/sql to retry on another connection when pgx guarantees nothing was
// sent (a stale pooled connection after a server restart); otherwise the error stands.
func badConn(err error) error {
	if err != nil && pgconn.SafeToRetry(err) {
		return fmt.Errorf("%w: %w", driver.ErrBadConn, err)
	}
	return err
}

func values(args []driver.NamedValue) []any {
	v := make([]any, len(args))
	for i, a := range args {
		v[i] = a.Value
	}
	return v
}

type pgTx struct{ tx pgx.Tx }

func (t pgTx) Commit() error {
	ctx, cancel := context.WithTimeout(context.Background(), pgCloseTimeout)
	defer cancel()
	return t.tx.Commit(ctx)
}

func (t pgTx) Rollback() error {
	ctx, cancel := context.WithTimeout(context.Background(), pgCloseTimeout)
	defer cancel()
	return t.tx.Rollback(ctx)
}

// pgStmt is what database/sql prepares; pgx already caches prepared statements per
// connection, so it only remembers the query text.
type pgStmt struct {
	conn  *pgConn
	query string
}

func (s *pgStmt) Close() error  { return nil }
func (s *pgStmt) NumInput() int { return -1 }

func (s *pgStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.conn.ExecContext(ctx, s.query, args)
}

func (s *pgStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return s.conn.QueryContext(ctx, s.query, args)
}

func (s *pgStmt) CheckNamedValue(*driver.NamedValue) error { return nil }

func (s *pgStmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.conn.ExecContext(context.Background(), s.query, named(args))
}

func (s *pgStmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.conn.QueryContext(context.Background(), s.query, named(args))
}

func named(args []driver.Value) []driver.NamedValue {
	n := make([]driver.NamedValue, len(args))
	for i, a := range args {
		n[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return n
}

// pgRows streams a result set row by row; nothing is buffered beyond what pgx reads.
type pgRows struct {
	rows pgx.Rows
	cols []string
}

func (r *pgRows) Columns() []string {
	if r.cols == nil {
		fds := r.rows.FieldDescriptions()
		r.cols = make([]string, len(fds))
		for i, fd := range fds {
			r.cols[i] = fd.Name
		}
	}
	return r.cols
}

func (r *pgRows) Close() error {
	r.rows.Close()
	return r.rows.Err()
}

func (r *pgRows) Next(dest []driver.Value) error {
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return io.EOF
	}
	vals, err := r.rows.Values()
	if err != nil {
		return err
	}
	for i, v := range vals {
		// The schema uses BIGINT, TEXT and BYTEA; a narrower integer (an expression, a
		// migration count) is widened to what database/sql expects.
		switch x := v.(type) {
		case int16:
			v = int64(x)
		case int32:
			v = int64(x)
		}
		dest[i] = v
	}
	return nil
}
