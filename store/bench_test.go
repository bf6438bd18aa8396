package store

import (
	"bytes"
	"context"
	"math/big"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// benchBackends gives each benchmark a fresh database per backend.
var benchBackends = []struct {
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

// BenchmarkReserveRecord measures durable issuance bookkeeping: one Reserve and one
// RecordIssued per row, each answered only after its commit. The parallel variants show what
// group commit buys over the serial ones, where every write is its own fsync'd transaction.
func BenchmarkReserveRecord(b *testing.B) {
	for _, be := range benchBackends {
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

// BenchmarkLookup compares the two reads an OCSP responder could make per request: Get, the
// whole row with a TBS and DER of a typical size, and Status, the four columns an answer needs.
func BenchmarkLookup(b *testing.B) {
	const rows = 1000
	for _, be := range benchBackends {
		db := openDB(b, be.fresh(b))
		for n := int64(1); n <= rows; n++ {
			c := cert(issuerA, n)
			c.TBS = bytes.Repeat([]byte{byte(n)}, 1200)
			issue(b, db, c)
		}
		lookups := map[string]func(ctx context.Context, s *big.Int) error{
			"Get":    func(ctx context.Context, s *big.Int) error { _, err := db.Get(ctx, issuerA, s); return err },
			"Status": func(ctx context.Context, s *big.Int) error { _, err := db.Status(ctx, issuerA, s); return err },
		}
		for _, name := range []string{"Get", "Status"} {
			b.Run(be.name+"/"+name, func(b *testing.B) {
				var next atomic.Int64
				b.RunParallel(func(pb *testing.PB) {
					ctx := context.Background()
					for pb.Next() {
						if err := lookups[name](ctx, big.NewInt(next.Add(1)%rows+1)); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}
