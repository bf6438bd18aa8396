package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Sentinel errors of tokens and certificate holds; the others are declared with Certificate.
var (
	// ErrTokenExists: CreateToken with an ID already used, or a name a live token has.
	ErrTokenExists = errors.New("store: token exists")
	// ErrNotOnHold: ReleaseHold on a certificate that is not revoked with reason
	// certificateHold (6); nothing was changed.
	ErrNotOnHold = errors.New("store: certificate is not on hold")
)

// wrap turns a driver error into a store error: wrapped in ErrUnavailable when the database
// cannot be reached or cannot take writes now (callers may retry or report 503), otherwise
// prefixed with the operation. No caller ever sees a need to inspect a driver error code.
func wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case closedDB(err):
		return fmt.Errorf("%w: %s", ErrClosed, op)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("store: %s: %w", op, err)
	case unavailable(err):
		return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, err)
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

// unavailable reports whether err says the database is down, unreachable, shutting down or
// locked, rather than that the statement itself was wrong.
func unavailable(err error) bool {
	if errors.Is(err, ErrUnavailable) || errors.Is(err, sql.ErrConnDone) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, pgconn.ErrConnClosed) {
		return true
	}
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return true
	}
	if _, ok := errors.AsType[*net.OpError](err); ok {
		return true
	}
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok {
		// Class 08: connection exception; 57P01–57P03: the server is shutting down or
		// starting; 53300: too many connections (PostgreSQL Appendix A).
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" ||
			pe.Code == "57P03" || pe.Code == "53300"
	}
	if se, ok := errors.AsType[*sqlite.Error](err); ok {
		switch se.Code() & 0xff { // primary result code, without the extended bits
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR,
			sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
			return true
		}
	}
	return false
}

// uniqueViolation reports whether err is a UNIQUE constraint refusing a row: the loser of a
// race that a check before the statement could not close.
func uniqueViolation(err error) bool {
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok {
		return pe.Code == "23505"
	}
	if se, ok := errors.AsType[*sqlite.Error](err); ok {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
	}
	return false
}

// closedDB recognises database/sql's errors for a *sql.DB or a prepared statement that was
// closed, which it does not export: a read after Close is ErrClosed, as a write is, so front
// ends answer 503, not 500.
func closedDB(err error) bool {
	return err != nil && (strings.HasSuffix(err.Error(), "sql: database is closed") ||
		strings.HasSuffix(err.Error(), "sql: statement is closed"))
}
