package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"math/big"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testListLateCommit reproduces the interleaving that made PostgreSQL pagination skip rows:
// a batch inserts a row (taking a low id) and is held before its commit, while another
// writer commits rows that took higher ids; a client reads a page past them, then the held
// batch commits. The late row must appear on the client's next page, not behind its cursor.
func testListLateCommit(t *testing.T, dsn string) {
	db := openDB(t, dsn)
	if db.w.n < 2 {
		// SQLite admits one writer at a time (across processes too), so a batch cannot commit
		// while another is open: this interleaving cannot happen there.
		t.Skipf("%s runs one writer at a time; commits cannot overtake each other", db.Backend())
	}
	ctx := context.Background()
	for n := int64(1); n <= 10; n++ {
		issue(t, db, cert(issuerA, n))
	}
	r, err := newReservation(cert(issuerA, 100), db.now)
	if err != nil {
		t.Fatal(err)
	}
	inserted, release := make(chan struct{}), make(chan struct{})
	slow := &writeOp{apply: func(ctx context.Context, tx *batchTx) (error, error) {
		out, fatal := insertReservation(ctx, tx, r)
		close(inserted)
		<-release
		return out, fatal
	}}
	slowDone := make(chan error, 1)
	go func() { slowDone <- db.w.submit(ctx, slow) }()
	<-inserted
	for _, n := range []int64{101, 102} { // committed by the other writers meanwhile
		if err := db.Reserve(ctx, cert(issuerA, n)); err != nil {
			close(release)
			t.Fatal(err)
		}
	}

	page, next, err := db.List(ctx, Filter{Limit: 11})
	close(release)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-slowDone; err != nil {
		t.Fatalf("held reservation: %v", err)
	}
	got := serials(page)
	for next != "" {
		if page, next, err = db.List(ctx, Filter{Limit: 11, After: next}); err != nil {
			t.Fatal(err)
		}
		got = append(got, serials(page)...)
	}
	// Pages follow commit order: serial 100 committed last, so it comes last.
	want := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 101, 102, 100}
	if !slices.Equal(got, want) {
		t.Errorf("paging across a late commit = %v, want %v (each row once, in commit order)", got, want)
	}
}

// testListConcurrentPaging pages through the inventory again and again while writers commit
// rows through every group-commit writer of two handles, as two processes sharing the
// database would. Each walk must return every row once at most, and every row committed
// before the walk's last page was requested, which includes every row committed before the
// walk started.
func testListConcurrentPaging(t *testing.T, dsn string) {
	db := openDB(t, dsn)
	other := openDB(t, dsn)
	ctx := context.Background()
	const (
		prefilled = 40
		writers   = 8
		perWriter = 40
		pagers    = 3
	)
	var (
		mu    sync.Mutex
		acked []int64 // serials in the order their Reserve returned nil, i.e. after commit
	)
	ackedPrefix := func() []int64 {
		mu.Lock()
		defer mu.Unlock()
		return acked[:len(acked):len(acked)]
	}
	for n := int64(1); n <= prefilled; n++ {
		issue(t, db, cert(issuerA, n))
		acked = append(acked, n)
	}

	var writing atomic.Bool
	writing.Store(true)
	var ww sync.WaitGroup
	for w := range writers {
		ww.Go(func() {
			for i := range perWriter {
				n := int64(1000 + w*perWriter + i)
				if err := []*DB{db, other}[w%2].Reserve(ctx, cert(issuerA, n)); err != nil {
					t.Errorf("Reserve(%d): %v", n, err)
					return
				}
				mu.Lock()
				acked = append(acked, n)
				mu.Unlock()
			}
		})
	}
	go func() { ww.Wait(); writing.Store(false) }()

	// walk pages to the end and checks what it saw; it reports whether writers were still
	// running when it started.
	walk := func(limit int) (bool, error) {
		during := writing.Load()
		atStart := ackedPrefix()
		seen := map[int64]int{}
		var f Filter
		f.Limit = limit
		var beforeLast []int64
		for pages := 0; ; pages++ {
			beforeLast = ackedPrefix()
			page, next, err := db.List(ctx, f)
			if err != nil {
				return during, err
			}
			for _, n := range serials(page) {
				seen[n]++
			}
			if next == "" {
				break
			}
			if pages > 10000 {
				return during, fmt.Errorf("pagination does not end")
			}
			f.After = next
		}
		for n, k := range seen {
			if k > 1 {
				return during, fmt.Errorf("serial %d returned %d times in one walk", n, k)
			}
		}
		for _, n := range atStart {
			if seen[n] == 0 {
				return during, fmt.Errorf("serial %d, committed before the walk started, is missing", n)
			}
		}
		for _, n := range beforeLast {
			if seen[n] == 0 {
				return during, fmt.Errorf("serial %d, committed before the last page was read, is missing", n)
			}
		}
		return during, nil
	}

	var pw sync.WaitGroup
	var concurrentWalks atomic.Int64
	for p := range pagers {
		pw.Go(func() {
			for {
				during, err := walk(3 + p*2)
				if err != nil {
					t.Error(err)
					return
				}
				if !during {
					return // one full walk after the writers finished
				}
				concurrentWalks.Add(1)
			}
		})
	}
	pw.Wait()
	ww.Wait()
	t.Logf("%d walks overlapped the writers", concurrentWalks.Load())
	assertCount(t, db, Filter{}, prefilled+writers*perWriter)
	if _, err := db.Get(ctx, issuerA, big.NewInt(1000)); err != nil {
		t.Fatal(err)
	}
}

// migratedUpTo opens dsn as the release before migration name left it: every earlier
// migration applied, that one and later ones not. Open it with openDB afterwards to migrate.
func migratedUpTo(t *testing.T, dsn, name string) *DB {
	t.Helper()
	var (
		sdb     *sql.DB
		backend = BackendSQLite
		err     error
	)
	if strings.HasPrefix(dsn, "postgres") {
		backend = BackendPostgres
		sdb, err = openPostgres(dsn)
	} else {
		sdb, err = openSQLite(dsn, defaultBusyTimeout)
	}
	if err != nil {
		t.Fatal(err)
	}
	old := &DB{sql: sdb, backend: backend, log: slog.New(slog.DiscardHandler), now: func() time.Time { return testNow }}
	ms, err := loadMigrations(backend)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(ms, func(m migration) bool { return m.name == name })
	if i < 0 {
		t.Fatalf("no %s migration", name)
	}
	if err := old.applyMigrations(context.Background(), ms[:i]); err != nil {
		t.Fatal(err)
	}
	return old
}

// testOrderMigration builds a database as the release before migration 0003 left it, with
// rows and a cursor into them, and opens it with this one: the rows keep their order, the old
// cursor keeps its position, and new rows follow.
func testOrderMigration(t *testing.T, dsn string) {
	ctx := context.Background()
	old := migratedUpTo(t, dsn, "certificate_order")
	sdb := old.sql
	sqlTx, err := sdb.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	tx := &batchTx{tx: sqlTx, stmts: map[string]*sql.Stmt{}}
	for n := int64(1); n <= 5; n++ {
		r, err := newReservation(cert(issuerA, n), old.now)
		if err != nil {
			t.Fatal(err)
		}
		if out, fatal := insertReservation(ctx, tx, r); out != nil || fatal != nil {
			t.Fatal(out, fatal)
		}
	}
	if err := sqlTx.Commit(); err != nil {
		t.Fatal(err)
	}
	var id2 int64 // that release's cursor after serial 2 was the id of its row
	if err := sdb.QueryRowContext(ctx, `SELECT id FROM certificates WHERE serial = '2'`).Scan(&id2); err != nil {
		t.Fatal(err)
	}
	oldCursor := encodeCursor(id2)
	sdb.Close()

	db := openDB(t, dsn)
	issue(t, db, cert(issuerA, 6))
	issue(t, db, cert(issuerA, 7))
	got, _, err := db.List(ctx, Filter{})
	if want := []int64{1, 2, 3, 4, 5, 6, 7}; err != nil || !slices.Equal(serials(got), want) {
		t.Errorf("List after the migration = %v, %v; want %v", serials(got), err, want)
	}
	got, _, err = db.List(ctx, Filter{After: oldCursor})
	if want := []int64{3, 4, 5, 6, 7}; err != nil || !slices.Equal(serials(got), want) {
		t.Errorf("List after a cursor from before the migration = %v, %v; want %v", serials(got), err, want)
	}
}
