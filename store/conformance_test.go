package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// runConformance runs the Inventory contract against one backend. fresh returns the DSN of a
// new, empty database each time it is called; a test that reopens a database opens the same
// DSN twice.
func runConformance(t *testing.T, fresh func(t *testing.T) string) {
	tests := []struct {
		name string
		run  func(t *testing.T, dsn string)
	}{
		{"ReserveRecordGet", testReserveRecordGet},
		{"RecordIssuedAgain", testRecordIssuedAgain},
		{"RecordIssuedUnknown", testRecordIssuedUnknown},
		{"DuplicateSerial", testDuplicateSerial},
		{"DuplicateInOneBatch", testDuplicateInOneBatch},
		{"DuplicateConcurrent", testDuplicateConcurrent},
		{"BadRowDoesNotFailBatch", testBadRowDoesNotFailBatch},
		{"InvalidInput", testInvalidInput},
		{"CanceledContext", testCanceledContext},
		{"CanceledWhileQueued", testCanceledWhileQueued},
		{"ListFilters", testListFilters},
		{"ListPages", testListPages},
		{"ListLateCommit", testListLateCommit},
		{"ListConcurrentPaging", testListConcurrentPaging},
		{"OrderMigration", testOrderMigration},
		{"Revoke", testRevoke},
		{"RevokedStream", testRevokedStream},
		{"RevokeReasons", testRevokeReasons},
		{"ReleaseHold", testReleaseHold},
		{"HoldThenRevoke", testHoldThenRevoke},
		{"Status", testStatus},
		{"RevocationEpoch", testRevocationEpoch},
		{"CRLNumberConcurrent", testCRLNumberConcurrent},
		{"Tokens", testTokens},
		{"TokenInvalid", testTokenInvalid},
		{"TokenTouch", testTokenTouch},
		{"TokenConcurrent", testTokenConcurrent},
		{"ACMEAccounts", testACMEAccounts},
		{"ACMEExternalAccountKeys", testACMEExternalAccountKeys},
		{"ACMENonces", testACMENonces},
		{"ACMEOrders", testACMEOrders},
		{"ACMEReplacementClaim", testACMEReplacementClaim},
		{"ReplacementMigration", testReplacementMigration},
		{"OneConnection", testOneConnection},
		{"ConcurrentDurable", testConcurrentDurable},
		{"SurvivesReopen", testSurvivesReopen},
		{"CloseDrains", testCloseDrains},
		{"ReadsAfterClose", testReadsAfterClose},
		{"ConcurrentOpen", testConcurrentOpen},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, fresh(t))
		})
	}
}

func testReserveRecordGet(t *testing.T, dsn string) {
	db := openDB(t, dsn)
	ctx := context.Background()
	c := cert(issuerA, 0x0102)
	c.NotAfter = time.Date(2026, 6, 1, 0, 0, 0, 123456789, time.FixedZone("X", 3600))
	if err := db.Reserve(ctx, c); err != nil {
		t.Fatalf("Reserve: %v", err)
	}
	got, err := db.Get(ctx, issuerA, big.NewInt(0x0102))
	if err != nil {
		t.Fatalf("Get pending: %v", err)
	}
	want := c
	want.Status = StatusPending
	want.CreatedAt = testNow
	want.NotAfter = c.NotAfter.Truncate(time.Microsecond).UTC() // microsecond precision, UTC
	assertCert(t, got, want)

	der := []byte{0x30, 0x82, 0x01, 0x00}
	if err := db.RecordIssued(ctx, issuerA, big.NewInt(0x0102), der); err != nil {
		t.Fatalf("RecordIssued: %v", err)
	}
	got, err = db.Get(ctx, issuerA, big.NewInt(0x0102))
	if err != nil {
		t.Fatalf("Get valid: %v", err)
	}
	want.Status, want.DER = StatusValid, der
	assertCert(t, got, want)

	found, err := db.FindBySerial(ctx, big.NewInt(0x0102))
	if err != nil || len(found) != 1 {
		t.Fatalf("FindBySerial = %d certificates, %v; want 1", len(found), err)
	}
	assertCert(t, found[0], want)
	if _, err := db.Get(ctx, issuerB, big.NewInt(0x0102)); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get under another issuer: %v, want ErrNotFound", err)
	}
}

func assertCert(t *testing.T, got, want Certificate) {
	t.Helper()
	problems := []string{}
	check := func(field string, ok bool, g, w any) {
		if !ok {
			problems = append(problems, fmt.Sprintf("%s = %v, want %v", field, g, w))
		}
	}
	check("IssuerKeyID", bytes.Equal(got.IssuerKeyID, want.IssuerKeyID), got.IssuerKeyID, want.IssuerKeyID)
	check("Serial", got.Serial.Cmp(want.Serial) == 0, got.Serial, want.Serial)
	check("Subject", got.Subject == want.Subject, got.Subject, want.Subject)
	check("SANs", slices.Equal(got.SANs, want.SANs), got.SANs, want.SANs)
	check("NotBefore", got.NotBefore.Equal(want.NotBefore) && got.NotBefore.Location() == time.UTC, got.NotBefore, want.NotBefore)
	check("NotAfter", got.NotAfter.Equal(want.NotAfter) && got.NotAfter.Location() == time.UTC, got.NotAfter, want.NotAfter)
	check("Profile", got.Profile == want.Profile, got.Profile, want.Profile)
	check("Requester", got.Requester == want.Requester, got.Requester, want.Requester)
	check("Status", got.Status == want.Status, got.Status, want.Status)
	check("TBS", bytes.Equal(got.TBS, want.TBS), got.TBS, want.TBS)
	check("DER", bytes.Equal(got.DER, want.DER) && (got.DER == nil) == (want.DER == nil), got.DER, want.DER)
	check("CreatedAt", got.CreatedAt.Equal(want.CreatedAt), got.CreatedAt, want.CreatedAt)
	check("RevokedAt", got.RevokedAt.Equal(want.RevokedAt), got.RevokedAt, want.RevokedAt)
	check("RevocationReason", got.RevocationReason == want.RevocationReason, got.RevocationReason, want.RevocationReason)
	for _, p := range problems {
		t.Error(p)
	}
}

func testRecordIssuedAgain(t *testing.T, dsn string) {
	db := openDB(t, dsn)
	ctx := context.Background()
	c := cert(issuerA, 7)
	issue(t, db, c)
	if err := db.RecordIssued(ctx, issuerA, c.Serial, derOf(c)); err != nil {
		t.Errorf("RecordIssued with the same DER: %v, want nil (idempotent retry)", err)
	}
	if err := db.RecordIssued(ctx, issuerA, c.Serial, []byte("other")); !errors.Is(err, ErrAlreadyIssued) {
		t.Errorf("RecordIssued with another DER: %v, want ErrAlreadyIssued", err)
	}
	got, _ := db.Get(ctx, issuerA, c.Serial)
	if !bytes.Equal(got.DER, derOf(c)) {
		t.Errorf("DER after a refused RecordIssued = %q, want the first %q", got.DER, derOf(c))
	}
}

func testRecordIssuedUnknown(t *testing.T, dsn string) {
	db := openDB(t, dsn)
	err := db.RecordIssued(context.Background(), issuerA, big.NewInt(99), []byte("der"))
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("RecordIssued(unknown) = %v, want ErrNotFound", err)
	}
}

func testDuplicateSerial(t *testing.T, dsn string) {
	db := openDB(t, dsn)
	ctx := context.Background()
	if err := db.Reserve(ctx, cert(issuerA, 5)); err != nil {
		t.Fatal(err)
	}
	// Still pending: the serial is taken all the same.
	if err := db.Reserve(ctx, cert(issuerA, 5)); !errors.Is(err, ErrSerialExists) {
		t.Errorf("second Reserve while pending = %v, want ErrSerialExists", err)
	}
	if err := db.RecordIssued(ctx, issuerA, big.NewInt(5), []byte("der")); err != nil {
		t.Fatal(err)
	}
	if err := db.Reserve(ctx, cert(issuerA, 5)); !errors.Is(err, ErrSerialExists) {
		t.Errorf("Reserve after issue = %v, want ErrSerialExists", err)
	}
	// The same number under another issuer is another certificate.
	if err := db.Reserve(ctx, cert(issuerB, 5)); err != nil {
		t.Errorf("same serial, other issuer: %v", err)
	}
	got, err := db.Get(ctx, issuerA, big.NewInt(5))
	if err != nil || got.Status != StatusValid || got.Subject != cert(issuerA, 5).Subject {
		t.Errorf("first row after duplicates = %v, %v; want it unchanged and valid", got.Status, err)
	}
	found, err := db.FindBySerial(ctx, big.NewInt(5))
	if err != nil || len(found) != 2 {
		t.Errorf("FindBySerial = %d rows, %v; want 2", len(found), err)
	}
}

// testDuplicateInOneBatch drives the writer directly so both reservations are, for certain,
// in one transaction: the duplicate fails alone, its neighbours commit.
func testDuplicateInOneBatch(t *testing.T, dsn string) {
	db := openDB(t, dsn)
	var ops []*writeOp
	for _, n := range []int64{1, 2, 1, 3} {
		r, err := newReservation(cert(issuerA, n), db.now)
		if err != nil {
			t.Fatal(err)
		}
		op := &writeOp{apply: func(ctx context.Context, tx *batchTx) (error, error) { return insertReservation(ctx, tx, r) }}
		op.done = make(chan error, 1)
		ops = append(ops, op)
	}
	db.w.commit(ops)
	var got []error
	for _, op := range ops {
		got = append(got, <-op.done)
	}
	for i, want := range []error{nil, nil, ErrSerialExists, nil} {
		if !errors.Is(got[i], want) || (want == nil && got[i] != nil) {
			t.Errorf("op %d = %v, want %v", i, got[i], want)
		}
	}
	assertCount(t, db, Filter{}, 3)
}

func testDuplicateConcurrent(t *testing.T, dsn string) {
	db := openDB(t, dsn)
	const n = 16
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = db.Reserve(context.Background(), cert(issuerA, 42)) })
	}
	wg.Wait()
	ok, dup := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrSerialExists):
			dup++
		default:
			t.Errorf("Reserve: %v", err)
		}
	}
	if ok != 1 || dup != n-1 {
		t.Errorf("%d concurrent reserves of one serial: %d succeeded, %d ErrSerialExists; want 1 and %d", n, ok, dup, n-1)
	}
}

// testBadRowDoesNotFailBatch puts a write that fails in the database (not a duplicate) and
// one that panics in a batch: on PostgreSQL the first aborts the transaction, so the writer
// must retry the others alone; the panic must fail its caller, not kill the writer.
func testBadRowDoesNotFailBatch(t *testing.T, dsn string) {
	db := openDB(t, dsn)
	mk := func(n int64) *writeOp {
		r, err := newReservation(cert(issuerA, n), db.now)
		if err != nil {
			t.Fatal(err)
		}
		return &writeOp{apply: func(ctx context.Context, tx *batchTx) (error, error) { return insertReservation(ctx, tx, r) }, done: make(chan error, 1)}
	}
	bad := &writeOp{done: make(chan error, 1), apply: func(ctx context.Context, tx *batchTx) (error, error) {
		_, err := tx.ExecContext(ctx, `INSERT INTO certificates (issuer_key_id) VALUES ('only')`) // NOT NULL violations
		return nil, wrap("bad row", err)
	}}
	panics := &writeOp{done: make(chan error, 1), apply: func(context.Context, *batchTx) (error, error) {
		panic("boom")
	}}
	ops := []*writeOp{mk(1), bad, mk(2), panics, mk(3)}
	db.w.commit(ops)
	for i, want := range []string{"", "constraint", "", "panic", ""} {
		err := <-ops[i].done
		if want == "" && err != nil {
			t.Errorf("good row %d: %v", i, err)
		}
		if want != "" && (err == nil || !strings.Contains(err.Error(), want) || errors.Is(err, ErrUnavailable)) {
			t.Errorf("bad row %d: %v, want its own error mentioning %q", i, err, want)
		}
	}
	assertCount(t, db, Filter{}, 3)
	if err := db.Reserve(context.Background(), cert(issuerA, 4)); err != nil {
		t.Errorf("the writer after a panic: %v", err)
	}
}

func assertCount(t *testing.T, db *DB, f Filter, want int) {
	t.Helper()
	got, _, err := db.List(context.Background(), f)
	if err != nil {
		t.Fatalf("List(%+v): %v", f, err)
	}
	if len(got) != want {
		t.Fatalf("List(%+v) = %d rows, want %d", f, len(got), want)
	}
}

func testInvalidInput(t *testing.T, dsn string) {
	db := openDB(t, dsn)
	ctx := context.Background()
	with := func(f func(*Certificate)) Certificate {
		c := cert(issuerA, 1)
		f(&c)
		return c
	}
	tests := []struct {
		name string
		c    Certificate
	}{
		{"nil serial", with(func(c *Certificate) { c.Serial = nil })},
		{"zero serial", with(func(c *Certificate) { c.Serial = big.NewInt(0) })},
		{"negative serial", with(func(c *Certificate) { c.Serial = big.NewInt(-5) })},
		{"21-octet serial", with(func(c *Certificate) { c.Serial = new(big.Int).Lsh(big.NewInt(1), 160) })},
		{"no issuer", with(func(c *Certificate) { c.IssuerKeyID = nil })},
		{"NUL in subject", with(func(c *Certificate) { c.Subject = "CN=a\x00b" })},
		{"invalid UTF-8 SAN", with(func(c *Certificate) { c.SANs = []string{"a\xffb.test"} })},
		{"empty SAN", with(func(c *Certificate) { c.SANs = []string{""} })},
		{"no TBS", with(func(c *Certificate) { c.TBS = nil })},
		{"DER in reservation", with(func(c *Certificate) { c.DER = []byte("der") })},
		{"status valid", with(func(c *Certificate) { c.Status = StatusValid })},
	}
	for _, tc := range tests {
		if err := db.Reserve(ctx, tc.c); !errors.Is(err, ErrInvalid) {
			t.Errorf("Reserve(%s) = %v, want ErrInvalid", tc.name, err)
		}
	}
	assertCount(t, db, Filter{}, 0) // nothing partial was written

	// The largest legal serial (20 octets) is accepted and round-trips.
	max := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 160), big.NewInt(1))
	issue(t, db, with(func(c *Certificate) { c.Serial = max }))
	if _, err := db.Get(ctx, issuerA, max); err != nil {
		t.Errorf("Get(20-octet serial): %v", err)
	}

	calls := []struct {
		name string
		err  error
	}{
		{"RecordIssued empty DER", db.RecordIssued(ctx, issuerA, big.NewInt(1), nil)},
		{"RecordIssued nil serial", db.RecordIssued(ctx, issuerA, nil, []byte("x"))},
		{"Get no issuer", func() error { _, err := db.Get(ctx, nil, big.NewInt(1)); return err }()},
		{"FindBySerial zero", func() error { _, err := db.FindBySerial(ctx, new(big.Int)); return err }()},
		{"Revoke reason 7", db.Revoke(ctx, issuerA, max, 7, time.Time{})},
		{"Revoke reason 11", db.Revoke(ctx, issuerA, max, 11, time.Time{})},
		{"List unknown status", func() error { _, _, err := db.List(ctx, Filter{Status: "expired"}); return err }()},
		{"List negative limit", func() error { _, _, err := db.List(ctx, Filter{Limit: -1}); return err }()},
		{"NextCRLNumber no issuer", func() error { _, err := db.NextCRLNumber(ctx, nil); return err }()},
		{"Revoked no issuer", db.Revoked(ctx, nil, testNow, func(Revocation) error { return nil })},
	}
	for _, c := range calls {
		if !errors.Is(c.err, ErrInvalid) {
			t.Errorf("%s = %v, want ErrInvalid", c.name, c.err)
		}
	}
	if got, _ := db.Get(ctx, issuerA, max); got.Status != StatusValid {
		t.Errorf("status after refused revocations = %q, want valid", got.Status)
	}
}

func testCanceledContext(t *testing.T, dsn string) {
	db := openDB(t, dsn)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.Reserve(ctx, cert(issuerA, 1)); !errors.Is(err, context.Canceled) {
		t.Errorf("Reserve(canceled) = %v, want context.Canceled", err)
	}
	if _, err := db.Get(ctx, issuerA, big.NewInt(1)); !errors.Is(err, context.Canceled) {
		t.Errorf("Get(canceled) = %v, want context.Canceled", err)
	}
	assertCount(t, db, Filter{}, 0)
}

// testCanceledWhileQueued holds every writer inside a batch, queues a Reserve behind them
// and cancels it: the caller returns at once and the abandoned write is never applied.
func testCanceledWhileQueued(t *testing.T, dsn string) {
	db := openDB(t, dsn)
	release := make(chan struct{})
	blocked := make(chan error, db.w.n)
	for range db.w.n {
		// One at a time, each held by a writer before the next is queued, so every writer
		// ends up holding one.
		inBatch := make(chan struct{})
		blocker := &writeOp{apply: func(context.Context, *batchTx) (error, error) {
			close(inBatch)
			<-release
			return nil, nil
		}}
		go func() { blocked <- db.w.submit(context.Background(), blocker) }()
		<-inBatch
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- db.Reserve(ctx, cert(issuerA, 1)) }()
	time.Sleep(20 * time.Millisecond) // let it queue
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Reserve canceled while queued = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("Reserve canceled while queued did not return while the writer was busy")
	}
	close(release)
	for range db.w.n {
		if err := <-blocked; err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Reserve(context.Background(), cert(issuerA, 2)); err != nil { // the writer goes on
		t.Fatal(err)
	}
	if _, err := db.Get(context.Background(), issuerA, big.NewInt(1)); !errors.Is(err, ErrNotFound) {
		t.Errorf("abandoned reservation: Get = %v, want ErrNotFound", err)
	}
}
