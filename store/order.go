package store

import (
	"context"
	"slices"
	"strconv"
	"strings"
)

// List positions. A certificate's id is taken when its row is inserted, but on PostgreSQL
// several group-commit writers (and several processes) commit concurrently, so a row with a
// lower id can become visible after one with a higher id. A client that had already paged past
// the higher id would never see it. List therefore pages by a second number, the row's seq in
// certificate_order, which every transaction that inserts certificates takes as its last step
// before COMMIT, by incrementing the single row of certificate_order_last:
//
//  1. The UPDATE locks that row until the transaction ends, so the transactions holding it
//     take their seqs one after another, each above every seq already committed.
//  2. A transaction becomes visible before it releases its locks: PostgreSQL's
//     CommitTransaction ends it in the proc array, which is what snapshots read, "before
//     releasing locks we hold" (xact.c); SQLite has one writer at a time anyway. So when a
//     reader sees a row at seq s, it sees every row below s: a later commit can only land
//     above every cursor already handed out.
//
// The price is that the commits of batches that insert certificates are serialised on
// PostgreSQL; the statements before them still run in parallel, and a batch holds the lock
// for one statement and its COMMIT.
//
// Every insert into certificates must come through insertReservation, in the writer: a row
// without a seq is invisible to List. That includes rows written by a process of a release
// before migration 0003 that was still running when the migration was applied (a process
// started from such a release refuses the newer schema at Open), so stop old processes
// before upgrading the schema.

// maxOrderRowsPerStatement keeps one SQLite INSERT below its 32,766 parameters whatever
// Options.MaxBatch is.
const maxOrderRowsPerStatement = 4096

// assignOrder gives the certificates inserted by this transaction their List positions, in
// the order they were inserted. It must be the last thing the transaction does before COMMIT.
func (b *batchTx) assignOrder(ctx context.Context, backend string) error {
	n := int64(len(b.inserted))
	if n == 0 {
		return nil
	}
	if backend == BackendPostgres {
		// One statement, because the lock is held from here to the end of COMMIT and every
		// round trip in between is time the other writers wait.
		if _, err := b.ExecContext(ctx, `WITH last AS (
				UPDATE certificate_order_last SET seq = seq + $1 WHERE only_row = 1 RETURNING seq)
			INSERT INTO certificate_order (seq, certificate_id)
			SELECT last.seq - $1 + i.ord, i.id FROM last, unnest($2::bigint[]) WITH ORDINALITY AS i (id, ord)`,
			n, b.inserted); err != nil {
			return wrap("ordering the batch", err)
		}
		return nil
	}
	var last int64
	if err := b.QueryRowContext(ctx,
		`UPDATE certificate_order_last SET seq = seq + $1 WHERE only_row = 1 RETURNING seq`, n,
	).Scan(&last); err != nil {
		return wrap("ordering the batch", err)
	}
	seq := last - n
	for ids := range slices.Chunk(b.inserted, maxOrderRowsPerStatement) {
		var q strings.Builder
		q.WriteString(`INSERT INTO certificate_order (seq, certificate_id) VALUES `)
		args := make([]any, 0, 2*len(ids))
		for i, id := range ids {
			if i > 0 {
				q.WriteString(", ")
			}
			seq++
			args = append(args, seq, id)
			q.WriteString("($" + strconv.Itoa(2*i+1) + ", $" + strconv.Itoa(2*i+2) + ")")
		}
		if _, err := b.ExecContext(ctx, q.String(), args...); err != nil {
			return wrap("ordering the batch", err)
		}
	}
	return nil
}
