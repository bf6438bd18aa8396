package store

import (
	"context"
	"errors"
	"io/fs"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anchorpki/anchor/internal/testkit"
)

func TestSQLite(t *testing.T) {
	t.Parallel()
	runConformance(t, freshSQLite)
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	testkit.PostgresDSN(t) // skip (locally) or fail (CI) before any subtest starts
	runConformance(t, func(t *testing.T) string { return freshPostgres(t) })
}

func TestOpenSQLitePaths(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "plain")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		dsn     string
		wantErr error  // nil: opens
		wantMsg string // in the error text
		created string // file that must exist after a successful Open
	}{
		{"plain path", filepath.Join(dir, "a.db"), nil, "", filepath.Join(dir, "a.db")},
		{"sqlite: prefix", "sqlite:" + filepath.Join(dir, "b.db"), nil, "", filepath.Join(dir, "b.db")},
		{"file: prefix", "file:" + filepath.Join(dir, "c.db"), nil, "", filepath.Join(dir, "c.db")},
		{"percent is not URI-decoded", filepath.Join(dir, "d%41.db"), nil, "", filepath.Join(dir, "d%41.db")},
		{"missing directory", filepath.Join(dir, "nope", "x.db"), fs.ErrNotExist, "nope", ""},
		{"parent is a file", filepath.Join(file, "x.db"), fs.ErrInvalid, "not a directory", ""},
		{"empty", "", ErrInvalid, "empty", ""},
		{"memory", ":memory:", ErrInvalid, "not durable", ""},
		{"query string", filepath.Join(dir, "e.db") + "?_pragma=synchronous(OFF)", ErrInvalid, "not allowed", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db, err := Open(context.Background(), tc.dsn, Options{})
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("Open(%q): %v", tc.dsn, err)
				}
				defer db.Close()
				if db.Backend() != BackendSQLite {
					t.Errorf("Backend() = %q", db.Backend())
				}
				if _, err := os.Stat(tc.created); err != nil {
					t.Errorf("database file: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("Open(%q) = %v; want %v mentioning %q", tc.dsn, err, tc.wantErr, tc.wantMsg)
			}
		})
	}
}

// TestSQLitePragmas checks the durability settings on a pooled connection, not just the first.
func TestSQLitePragmas(t *testing.T) {
	t.Parallel()
	db := openDB(t, freshSQLite(t))
	ctx := context.Background()
	for _, p := range []struct{ pragma, want string }{
		{"journal_mode", "wal"}, {"synchronous", "2"}, {"foreign_keys", "1"}, {"busy_timeout", "10000"},
	} {
		var got string
		if err := db.sql.QueryRowContext(ctx, "PRAGMA "+p.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != p.want {
			t.Errorf("PRAGMA %s = %s, want %s", p.pragma, got, p.want)
		}
	}
}

func TestOpenPostgresDown(t *testing.T) {
	t.Parallel()
	addr := closedPort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	db, err := Open(ctx, "postgres://postgres@"+addr+"/test?sslmode=disable", Options{})
	if err == nil {
		db.Close()
		t.Fatal("Open on a closed port succeeded")
	}
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("Open on a closed port = %v; want ErrUnavailable with the cause", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Open on a closed port took %v", d)
	}
	if _, err := Open(ctx, "postgres://postgres@127.0.0.1:bad/x", Options{}); err == nil || errors.Is(err, ErrUnavailable) {
		t.Errorf("Open with a malformed DSN = %v, want a parse error", err)
	}
}

// TestPostgresGoesDown runs through a loopback relay that is then cut: every call fails with
// ErrUnavailable, promptly, and nothing is half-written.
func TestPostgresGoesDown(t *testing.T) {
	t.Parallel()
	dsn := freshPostgres(t)
	u, _ := url.Parse(dsn)
	p := startProxy(t, u.Host)
	direct := u.Host
	u.Host = p.Addr()
	db := openDB(t, u.String())
	if db.Backend() != BackendPostgres {
		t.Errorf("Backend() = %q", db.Backend())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	issue(t, db, cert(issuerA, 1))
	p.Stop()

	start := time.Now()
	calls := map[string]error{
		"Ping":          db.Ping(ctx),
		"Reserve":       db.Reserve(ctx, cert(issuerA, 2)),
		"RecordIssued":  db.RecordIssued(ctx, issuerA, big.NewInt(1), []byte("x")),
		"Get":           func() error { _, err := db.Get(ctx, issuerA, big.NewInt(1)); return err }(),
		"List":          func() error { _, _, err := db.List(ctx, Filter{}); return err }(),
		"Revoke":        db.Revoke(ctx, issuerA, big.NewInt(1), 1, testNow),
		"Revoked":       db.Revoked(ctx, issuerA, testNow, func(Revocation) error { return nil }),
		"NextCRLNumber": func() error { _, err := db.NextCRLNumber(ctx, issuerA); return err }(),
		"Status":        func() error { _, err := db.Status(ctx, issuerA, big.NewInt(1)); return err }(),
		"ReleaseHold":   db.ReleaseHold(ctx, issuerA, big.NewInt(1)),
		"CreateToken":   db.CreateToken(ctx, tokenOf("t", "t")),
		"Token":         func() error { _, err := db.Token(ctx, "t"); return err }(),
		"Tokens":        func() error { _, err := db.Tokens(ctx); return err }(),
		"RevokeToken":   func() error { _, err := db.RevokeToken(ctx, "t", testNow); return err }(),
		"TouchToken":    db.TouchToken(ctx, "t", testNow),
	}
	for name, err := range calls {
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s with the database down = %v, want ErrUnavailable", name, err)
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("failing calls took %v", d)
	}

	// The database comes back: the same handle recovers, without a reopen.
	p.Restart(t)
	time.Sleep(pgIdlePing + 100*time.Millisecond)
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping after the database came back: %v", err)
	}
	issue(t, db, cert(issuerA, 3))

	u.Host = direct
	check := openDB(t, u.String())
	got, err := check.Get(ctx, issuerA, big.NewInt(1))
	if err != nil || got.Status != StatusValid {
		t.Errorf("row written before the outage: %v, %v", got.Status, err)
	}
	if _, err := check.Get(ctx, issuerA, big.NewInt(2)); !errors.Is(err, ErrNotFound) {
		t.Errorf("reservation refused during the outage: Get = %v, want ErrNotFound", err)
	}
}

func TestPostgresConnectTimeout(t *testing.T) {
	t.Parallel()
	// A default bounds connecting when the DSN sets none; the DSN's own value wins.
	for dsn, want := range map[string]time.Duration{
		"postgres://u@127.0.0.1:1/db":                     defaultConnectTimeout,
		"postgresql://u@127.0.0.1:1/db?connect_timeout=2": 2 * time.Second,
	} {
		cfg, err := postgresConfig(dsn)
		if err != nil || cfg.ConnectTimeout != want {
			t.Errorf("postgresConfig(%q) = %v, %v; want connect timeout %v", dsn, cfg, err, want)
		}
	}

	// A server that accepts and never answers: Open gives up after connect_timeout.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	start := time.Now()
	_, err = Open(context.Background(), "postgres://u@"+l.Addr().String()+"/db?sslmode=disable&connect_timeout=1", Options{})
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("Open against a silent server = %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("Open against a silent server took %v, want about 1s", d)
	}
}

// TestSQLiteLocked holds the write lock from another connection, as a second process would:
// writes wait BusyTimeout, then fail with ErrUnavailable and write nothing; once the lock is
// released the same handle works again.
func TestSQLiteLocked(t *testing.T) {
	t.Parallel()
	path := freshSQLite(t)
	ctx := context.Background()
	db, err := Open(ctx, path, Options{BusyTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	other, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	lock, err := other.sql.BeginTx(ctx, nil) // BEGIN IMMEDIATE: takes the write lock
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = db.Reserve(ctx, cert(issuerA, 1))
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "locked") {
		t.Errorf("Reserve while another process writes = %v, want ErrUnavailable (database is locked)", err)
	}
	if _, err := db.NextCRLNumber(ctx, issuerA); !errors.Is(err, ErrUnavailable) {
		t.Errorf("NextCRLNumber while another process writes = %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("locked writes took %v, want about 2 × BusyTimeout", d)
	}
	if _, err := db.Get(ctx, issuerA, big.NewInt(1)); !errors.Is(err, ErrNotFound) { // WAL: reads go on
		t.Errorf("Get during the lock = %v, want ErrNotFound", err)
	}
	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}
	issue(t, db, cert(issuerA, 1))
}

// TestPostgresComesBack fills the pool, restarts the database under it (the relay), and
// expects no call to fail afterwards: a connection idle longer than pgIdlePing is pinged
// before reuse, so the dead ones are dropped instead of failing a caller.
func TestPostgresComesBack(t *testing.T) {
	t.Parallel()
	dsn := freshPostgres(t)
	u, _ := url.Parse(dsn)
	p := startProxy(t, u.Host)
	u.Host = p.Addr()
	db := openDB(t, u.String())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for range defaultMaxConns { // hold every pooled connection at once, so all of them exist
		wg.Go(func() {
			if _, err := db.sql.ExecContext(ctx, "SELECT pg_sleep(0.1)"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := db.sql.Stats().Idle; n < defaultMaxConns/2 {
		t.Fatalf("%d idle connections after warming the pool, want most of %d", n, defaultMaxConns)
	}
	p.Stop()
	p.Restart(t)
	time.Sleep(pgIdlePing + 100*time.Millisecond)
	for i := range int64(2 * defaultMaxConns) {
		if err := db.Ping(ctx); err != nil {
			t.Fatalf("Ping %d after the restart: %v", i, err)
		}
		issue(t, db, cert(issuerA, i+1))
	}
}
