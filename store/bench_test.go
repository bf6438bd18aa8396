package store

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// BenchmarkReserveRecord measures durable issuance bookkeeping: one Reserve and one
// RecordIssued per row, each answered only after its commit. The parallel variants show what
// group commit buys over the serial ones, where every write is its own fsync'd transaction.
func BenchmarkReserveRecord(b *testing.B) {
	backends := []struct {
		name  string
		fresh func(b *testing.B) string
	}{
		{"sqlite", func(b *testing.B) string { return filepath.Join(b.TempDir(), "bench.db") }},
		{"postgres", func(b *testing.B) string {
			if os.Getenv("ANCHOR_TEST_POSTGRES") == "" {
				b.Skip("ANCHOR_TEST_POSTGRES not set")
			}
			return freshPostgres(b)
		}},
	}
	for _, be := range backends {
		b.Run(be.name+"/parallel16", func(b *testing.B) {
			db := openDB(b, be.fresh(b))
			var next atomic.Int64
			b.SetParallelism(16) // 16 × GOMAXPROCS concurrent issuers
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					reserveRecord(b, db, next.Add(1))
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(db.w.written.Load())/float64(db.w.commits.Load()), "writes/commit")
		})
		b.Run(be.name+"/serial", func(b *testing.B) {
			db := openDB(b, be.fresh(b))
			var n int64
			for b.Loop() {
				n++
				reserveRecord(b, db, n)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

func reserveRecord(b *testing.B, db *DB, n int64) {
	c := cert(issuerA, n)
	ctx := context.Background()
	if err := db.Reserve(ctx, c); err != nil {
		b.Error(err)
		return
	}
	if err := db.RecordIssued(ctx, issuerA, c.Serial, derOf(c)); err != nil {
		b.Error(err)
	}
}
