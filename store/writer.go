package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// The group-commit writer. A fsync'd commit costs the same for one row as for a hundred, so
// Reserve and RecordIssued do not commit on their own: each caller queues its write and waits;
// one goroutine takes everything queued (up to MaxBatch), applies it in one transaction,
// commits, and only then answers each caller. While one batch commits, the next accumulates,
// so batches grow with the load and a lone caller pays one commit, no added latency.

// batchTimeout bounds one batch transaction, so a database that stops answering mid-batch
// fails the waiting callers instead of holding them forever.
const batchTimeout = 30 * time.Second

// op states: a queued op can be abandoned by its caller (context done) until the writer
// claims it; after that the caller waits for the outcome.
const (
	opQueued int32 = iota
	opClaimed
	opAbandoned
)

// writeOp is one queued write. apply runs inside the batch transaction and returns the
// caller's outcome (nil, ErrSerialExists, ErrNotFound, …) or, as fatal, an error that
// poisons the transaction.
type writeOp struct {
	apply func(ctx context.Context, tx *batchTx) (outcome, fatal error)
	state atomic.Int32
	done  chan error // buffered: the writer never blocks on a caller that left
}

type writer struct {
	db  *DB
	max int // ops per batch
	n   int // writer goroutines

	mu     sync.Mutex
	queue  []*writeOp
	closed bool

	wake    chan struct{} // capacity 1: "the queue may be non-empty"
	stop    chan struct{} // closed by close: drain, then exit
	running sync.WaitGroup

	commits, written atomic.Int64 // batch transactions and the ops in them, for benchmarks
}

// newWriter starts n writer goroutines. SQLite admits one writer at a time, so it gets one;
// PostgreSQL commits concurrent transactions in parallel, and there the cost of a batch is
// mostly round trips, which several writers overlap.
func newWriter(db *DB, max, n int) *writer {
	w := &writer{db: db, max: max, n: n, wake: make(chan struct{}, 1), stop: make(chan struct{})}
	for range n {
		w.running.Go(w.run)
	}
	return w
}

// submit queues op and waits for its outcome. The outcome arrives after the batch holding op
// committed (or failed); a caller whose ctx ends first gets ctx's error, and if the writer had
// not yet claimed op, nothing was written.
func (w *writer) submit(ctx context.Context, op *writeOp) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	op.done = make(chan error, 1)
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	w.queue = append(w.queue, op)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	select {
	case err := <-op.done:
		return err
	case <-ctx.Done():
		if op.state.CompareAndSwap(opQueued, opAbandoned) {
			return ctx.Err()
		}
		// Claimed: the row may be committing right now. Wait (bounded by batchTimeout) so
		// the caller learns what happened instead of guessing.
		return <-op.done
	}
}

// close stops accepting writes, lets the writers drain what is queued, and waits for them.
func (w *writer) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	close(w.stop)
	w.running.Wait()
}

func (w *writer) run() {
	for {
		batch, drained := w.take()
		if len(batch) > 0 {
			w.commit(batch)
			continue
		}
		if drained {
			return
		}
		select {
		case <-w.wake:
		case <-w.stop:
		}
	}
}

// take claims up to max queued ops, skipping abandoned ones. drained reports that the writer
// is closed and nothing is left.
func (w *writer) take() (batch []*writeOp, drained bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for n < len(w.queue) && len(batch) < w.max {
		op := w.queue[n]
		w.queue[n] = nil
		n++
		if op.state.CompareAndSwap(opQueued, opClaimed) {
			batch = append(batch, op)
		}
	}
	w.queue = w.queue[n:]
	if len(w.queue) > 0 {
		// More than one batch is waiting: wake another writer, if one is idle.
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
	return batch, w.closed && len(w.queue) == 0 && len(batch) == 0
}

// commit runs one batch. If the batch transaction fails for a reason other than the database
// being unavailable, one row may be to blame (it cannot be a duplicate: those are answered by
// ON CONFLICT DO NOTHING), so every op is retried in its own transaction and only the guilty
// one fails. If the database is unavailable, every caller in the batch gets that error.
func (w *writer) commit(batch []*writeOp) {
	start := time.Now()
	w.commits.Add(1)
	w.written.Add(int64(len(batch)))
	outcomes, err := w.apply(batch)
	if err != nil && len(batch) > 1 && !errors.Is(err, ErrUnavailable) {
		w.db.log.LogAttrs(context.Background(), slog.LevelWarn, "store: batch failed, retrying its rows one by one",
			slog.Int("rows", len(batch)), slog.Any("error", err))
		for _, op := range batch {
			outs, err := w.apply([]*writeOp{op})
			if err != nil {
				op.done <- err
			} else {
				op.done <- outs[0]
			}
		}
		return
	}
	for i, op := range batch {
		if err != nil {
			op.done <- err
		} else {
			op.done <- outcomes[i]
		}
	}
	w.db.log.LogAttrs(context.Background(), slog.LevelDebug, "store: group commit",
		slog.Int("rows", len(batch)), slog.Duration("took", time.Since(start)), slog.Any("error", err))
}

// apply runs ops in one transaction and returns each op's outcome, or the error that made the
// whole transaction fail.
func (w *writer) apply(ops []*writeOp) ([]error, error) {
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	sqlTx, err := w.db.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil, wrap("group commit: begin", err)
	}
	defer sqlTx.Rollback()
	tx := &batchTx{tx: sqlTx, stmts: map[string]*sql.Stmt{}}
	outcomes := make([]error, len(ops))
	for i, op := range ops {
		out, fatal := safeApply(ctx, tx, op)
		if fatal != nil {
			return nil, fatal
		}
		outcomes[i] = out
	}
	if err := tx.assignOrder(ctx, w.db.backend); err != nil {
		return nil, err
	}
	if err := sqlTx.Commit(); err != nil {
		return nil, wrap("group commit: commit", err)
	}
	return outcomes, nil
}

// safeApply runs op.apply, turning a panic into an error: a panic would kill the writer
// goroutine and leave every later caller waiting forever.
func safeApply(ctx context.Context, tx *batchTx, op *writeOp) (out, fatal error) {
	defer func() {
		if r := recover(); r != nil {
			fatal = fmt.Errorf("store: group commit: panic applying a write: %v", r)
		}
	}()
	return op.apply(ctx, tx)
}

// batchTx is the batch transaction with its statements prepared once per batch: the rows of
// a batch repeat the same few statements, and SQLite would otherwise parse each one per row
// (a fifth of the writer's CPU time). The statements die with the transaction. They are not
// kept on the DB (see prepared): preparing there needs a second connection while this
// transaction holds one (with MaxConns 1, a deadlock), and some of these queries are built
// per batch size, which a lasting cache would hoard.
type batchTx struct {
	tx       *sql.Tx
	stmts    map[string]*sql.Stmt
	inserted []int64 // ids of the certificates inserted, for assignOrder
}

func (b *batchTx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := b.stmts[query]; ok {
		return s, nil
	}
	s, err := b.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	b.stmts[query] = s
	return s, nil
}

func (b *batchTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := b.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

// QueryRowContext returns the row, or the preparation error through Scan like database/sql.
func (b *batchTx) QueryRowContext(ctx context.Context, query string, args ...any) rowScanner {
	s, err := b.stmt(ctx, query)
	if err != nil {
		return errRow{err}
	}
	return s.QueryRowContext(ctx, args...)
}

type rowScanner interface{ Scan(...any) error }

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
