package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"math/big"
	"net"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/jackc/pgx/v5"
)

// testNow is the fixed clock of every test DB.
var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// freshSQLite returns the path of a new, empty SQLite database.
func freshSQLite(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "anchor.db")
}

// freshPostgres returns a DSN whose search_path is a new, empty schema, dropped at the end of
// the test, so tests run in parallel (and in parallel processes) without seeing each other.
func freshPostgres(t testing.TB) string {
	t.Helper()
	base := testkit.PostgresDSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	schema := "s_" + randHex(t, 8)
	admin(t, ctx, base, "CREATE SCHEMA "+schema)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		admin(t, ctx, base, "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parsing ANCHOR_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func admin(t testing.TB, ctx context.Context, dsn, stmt string) {
	t.Helper()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connecting to PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, stmt); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

func randHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// openDB opens dsn with the test clock and closes it at the end of the test.
func openDB(t testing.TB, dsn string) *DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	db, err := Open(ctx, dsn, Options{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

var (
	issuerA = []byte{0xaa, 0x01, 0x02, 0x03}
	issuerB = []byte{0xbb, 0x01, 0x02, 0x03}
)

// cert returns a reservation under issuer with serial n, valid for 90 days from testNow.
func cert(issuer []byte, n int64) Certificate {
	return Certificate{
		IssuerKeyID: issuer,
		Serial:      big.NewInt(n),
		Subject:     "CN=host" + big.NewInt(n).String() + ".test",
		SANs:        []string{"Host" + big.NewInt(n).String() + ".test", "192.0.2.1"},
		NotBefore:   testNow,
		NotAfter:    testNow.Add(90 * 24 * time.Hour),
		Profile:     "server",
		Requester:   "test",
		TBS:         []byte("tbs-" + big.NewInt(n).String()),
	}
}

// issue reserves c and records a DER for it, failing the test on any error.
func issue(t testing.TB, db *DB, c Certificate) {
	t.Helper()
	ctx := context.Background()
	if err := db.Reserve(ctx, c); err != nil {
		t.Fatalf("Reserve(%x): %v", c.Serial, err)
	}
	if err := db.RecordIssued(ctx, c.IssuerKeyID, c.Serial, derOf(c)); err != nil {
		t.Fatalf("RecordIssued(%x): %v", c.Serial, err)
	}
}

func derOf(c Certificate) []byte { return append([]byte("der-"), c.TBS...) }

// closedPort returns a loopback port nothing listens on.
func closedPort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// proxy is a loopback TCP relay to a real server. Stop cuts every connection and stops
// listening: to the client it is a database that went down.
type proxy struct {
	addr    string // where clients connect; kept across Restart
	target  string
	mu      sync.Mutex // guards l, conns, stopped
	l       net.Listener
	conns   []net.Conn
	stopped bool
	wg      sync.WaitGroup
}

func startProxy(t testing.TB, target string) *proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{l: l, addr: l.Addr().String(), target: target}
	p.wg.Add(1)
	go p.accept(l)
	t.Cleanup(p.Stop)
	return p
}

func (p *proxy) Addr() string { return p.addr }

// Restart listens again on the same address: the database is back.
func (p *proxy) Restart(t testing.TB) {
	t.Helper()
	l, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatalf("restarting the relay: %v", err)
	}
	p.mu.Lock()
	p.l, p.stopped = l, false
	p.mu.Unlock()
	p.wg.Add(1)
	go p.accept(l)
}

func (p *proxy) accept(l net.Listener) {
	defer p.wg.Done()
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.stopped {
			p.mu.Unlock()
			c.Close()
			s.Close()
			continue
		}
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		p.wg.Add(2)
		go func() { defer p.wg.Done(); io.Copy(s, c); s.Close() }()
		go func() { defer p.wg.Done(); io.Copy(c, s); c.Close() }()
	}
}

// Stop closes the listener and every relayed connection, and waits for the relays to end.
func (p *proxy) Stop() {
	p.mu.Lock()
	p.l.Close()
	p.stopped = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
}
