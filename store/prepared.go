package store

import (
	"context"
	"database/sql"
)

// prepared returns query prepared once for the life of db, for the reads that run on every
// request (OCSP status, API tokens): SQLite would otherwise parse and plan the statement each
// time, which costs more than the read itself. database/sql re-prepares it on each pooled
// connection as needed. A failure is not kept, so a database that was down at the first
// request recovers on the next. The common case takes no lock: OCSP calls it from every
// request goroutine at once.
func (db *DB) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if stmt, ok := db.stmts.Load(query); ok {
		return stmt.(*sql.Stmt), nil
	}
	db.stmtMu.Lock()
	defer db.stmtMu.Unlock()
	if db.stmtsClosed {
		return nil, ErrClosed
	}
	if stmt, ok := db.stmts.Load(query); ok {
		return stmt.(*sql.Stmt), nil
	}
	stmt, err := db.sql.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	db.stmts.Store(query, stmt)
	return stmt, nil
}
