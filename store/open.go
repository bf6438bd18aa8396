package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Options configure Open. The zero value is usable.
type Options struct {
	Logger   *slog.Logger     // nil: discard
	Now      func() time.Time // nil: time.Now; stamps CreatedAt when the caller leaves it zero
	MaxBatch int              // rows per group commit; 0: 256
	MaxConns int              // connections in the pool; 0: 8
	// BusyTimeout is how long a SQLite write waits for another process's write lock before
	// failing with ErrUnavailable; 0: 10s. PostgreSQL ignores it.
	BusyTimeout time.Duration
}

const (
	defaultMaxBatch = 256
	defaultMaxConns = 8
	// defaultConnectTimeout applies when a PostgreSQL DSN sets no connect_timeout, so a
	// server that drops packets fails Open in seconds rather than after the kernel's minutes.
	defaultConnectTimeout = 5 * time.Second
	defaultBusyTimeout    = 10 * time.Second
	// postgresWriters is how many group-commit transactions run at once on PostgreSQL
	// (fewer when MaxConns is small, so reads always find a connection).
	postgresWriters = 4
)

// Backend names, as returned by (*DB).Backend.
const (
	BackendSQLite   = "sqlite"
	BackendPostgres = "postgres"
)

// DB is the inventory on SQLite or PostgreSQL. It is safe for concurrent use.
type DB struct {
	sql     *sql.DB
	backend string
	log     *slog.Logger
	now     func() time.Time
	w       *writer

	closeOnce sync.Once
	closeErr  error

	stmtMu      sync.Mutex // held to add to stmts or close them
	stmts       sync.Map   // query → *sql.Stmt; see prepared
	stmtsClosed bool
}

var _ Inventory = (*DB)(nil)

// Open connects to dsn, applies pending migrations and starts the group-commit writer.
// A dsn beginning with postgres:// or postgresql:// names a PostgreSQL database (libpq URL
// syntax, as pgx reads it); anything else is the path of a SQLite file, optionally prefixed
// with sqlite: or file:. The file is created if missing; its directory must exist.
func Open(ctx context.Context, dsn string, o Options) (*DB, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = defaultMaxBatch
	}
	if o.MaxConns <= 0 {
		o.MaxConns = defaultMaxConns
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = defaultBusyTimeout
	}
	var (
		sdb     *sql.DB
		backend string
		err     error
	)
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		backend = BackendPostgres
		sdb, err = openPostgres(dsn)
	} else {
		backend = BackendSQLite
		sdb, err = openSQLite(dsn, o.BusyTimeout)
	}
	if err != nil {
		return nil, err
	}
	sdb.SetMaxOpenConns(o.MaxConns)
	sdb.SetMaxIdleConns(o.MaxConns)
	sdb.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{sql: sdb, backend: backend, log: o.Logger, now: o.Now}
	if err := db.Ping(ctx); err != nil {
		sdb.Close()
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		sdb.Close()
		return nil, err
	}
	writers := 1
	if backend == BackendPostgres {
		writers = max(1, min(postgresWriters, o.MaxConns-1)) // leave a connection for reads
	}
	db.w = newWriter(db, o.MaxBatch, writers)
	db.log.LogAttrs(ctx, slog.LevelInfo, "store: opened", slog.String("backend", backend))
	return db, nil
}

func openPostgres(dsn string) (*sql.DB, error) {
	cfg, err := postgresConfig(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(&pgConnector{cfg: cfg}), nil
}

func postgresConfig(dsn string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx masks the password in this error's text.
		return nil, fmt.Errorf("store: parsing postgres DSN: %w", err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	return cfg, nil
}

func openSQLite(dsn string, busyTimeout time.Duration) (*sql.DB, error) {
	path := dsn
	for _, p := range []string{"sqlite://", "sqlite:", "file://", "file:"} {
		if strings.HasPrefix(path, p) {
			path = path[len(p):]
			break
		}
	}
	switch {
	case path == "":
		return nil, fmt.Errorf("%w: empty database path", ErrInvalid)
	case strings.ContainsAny(path, "?#"):
		return nil, fmt.Errorf("%w: sqlite path %q: '?' and '#' are not allowed (options are fixed by the store)", ErrInvalid, path)
	case path == ":memory:" || strings.HasPrefix(path, ":"):
		// Every pooled connection would get its own empty database.
		return nil, fmt.Errorf("%w: sqlite path %q: an in-memory database is not durable; give a file", ErrInvalid, path)
	}
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("store: opening sqlite database %s: directory %s: %w", path, dir, err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("store: opening sqlite database %s: %s is not a directory: %w", path, dir, fs.ErrInvalid)
	}
	// WAL lets readers run during a write; synchronous=FULL fsyncs the WAL on every commit,
	// which is what "durable when the call returns" means; busy_timeout makes a second
	// process wait for the write lock instead of failing at once; _txlock=immediate takes
	// the write lock at BEGIN, so a transaction never fails half-way on a lock upgrade.
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", max(1, busyTimeout.Milliseconds())))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Set("_txlock", "immediate")
	// Without a file: prefix, the driver strips the query and SQLite takes the path verbatim
	// (no URI decoding of '%').
	return sql.Open("sqlite", path+"?"+q.Encode())
}

// Backend returns "sqlite" or "postgres".
func (db *DB) Backend() string { return db.backend }

// Ping reports whether the database answers a query; a failure wraps ErrUnavailable.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.sql.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		// Whatever the cause, including a deadline that expired while connecting, the
		// database did not answer.
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}

// Close waits for queued writes to commit, then closes the database. Calls after the first
// return the first result.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		db.w.close()
		db.stmtMu.Lock()
		db.stmts.Range(func(_, stmt any) bool { stmt.(*sql.Stmt).Close(); return true })
		db.stmtsClosed = true
		db.stmtMu.Unlock()
		db.closeErr = db.sql.Close()
		db.log.Info("store: closed", slog.String("backend", db.backend))
	})
	return db.closeErr
}
