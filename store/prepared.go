package store

import (
	"context"
	"database/sql"
)

// prepared returns query prepared once for the life of db, for the fixed reads that run on
// every request (OCSP status, API tokens, the revocation epoch): SQLite would otherwise parse
// and plan the statement each time, which costs more than the read itself. database/sql
// re-prepares it on each pooled connection as needed. Only fixed query text belongs here (the
// cache never shrinks), and never from inside a transaction (preparing takes a connection of
// its own). The common case takes no lock, and no lock is held while preparing, which on a
// database that is down waits for a connection: a failure is not kept, and the next call tries
// again.
func (db *DB) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if stmt, ok := db.stmts.Load(query); ok {
		return stmt.(*sql.Stmt), nil
	}
	stmt, err := db.sql.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	db.stmtMu.Lock()
	defer db.stmtMu.Unlock()
	if db.stmtsClosed {
		stmt.Close()
		return nil, ErrClosed
	}
	if prev, loaded := db.stmts.LoadOrStore(query, stmt); loaded {
		stmt.Close() // another caller prepared it first
		return prev.(*sql.Stmt), nil
	}
	return stmt, nil
}
