package crl_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"io"
	"math/big"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/anchorpki/anchor/crl"
	"github.com/anchorpki/anchor/store"
)

// Benchmarks: this package's Write and Create against x509.CreateRevocationList, on the same
// generated entries and P-256 key, each at 10k, 100k and 1M entries:
//
//	go test -run '^$' -bench . -benchtime 1x ./crl
//
// Besides ns/op each reports two peak-memory figures for one operation, both as the increase
// over the state just before it (after a GC):
//
//	peak-MB      highest "/memory/classes/heap/objects:bytes" (live and not yet swept objects)
//	             sampled every 500 µs by a goroutine during the operation;
//	peak-RSS-MB  growth of the process's peak resident set (VmHWM, reset through
//	             /proc/self/clear_refs after debug.FreeOSMemory); Linux only.
//
// The source generates each row when asked, allocating a fresh *big.Int the way a database
// driver does, so neither side is charged for a pre-built input slice; the standard library
// side must first collect the rows into []x509.RevocationListEntry, which is part of its cost.

var benchSizes = []struct {
	name string
	n    int
}{{"10k", 10_000}, {"100k", 100_000}, {"1M", 1_000_000}}

// genSource yields n revocations computed from their index: 16-octet pseudo-random serials,
// times within the last year, a mix of reasons.
type genSource struct{ n int }

func (g genSource) Revoked(ctx context.Context, _ []byte, _ time.Time, fn func(store.Revocation) error) error {
	reasons := [...]int{0, 1, 4, 5, 0, 3, 9, 0}
	var buf [16]byte
	for i := range g.n {
		binary.BigEndian.PutUint64(buf[:8], splitmix(uint64(i)))
		binary.BigEndian.PutUint64(buf[8:], splitmix(uint64(i)^0x9e3779b97f4a7c15))
		r := store.Revocation{
			Serial:    new(big.Int).SetBytes(buf[:]),
			RevokedAt: revokedAt.Add(-time.Duration(i%31_536_000) * time.Second),
			Reason:    reasons[i%len(reasons)],
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func BenchmarkWrite(b *testing.B) {
	c := testCA(b, "P-256")
	for _, size := range benchSizes {
		b.Run(size.name, func(b *testing.B) {
			benchPeak(b, func() {
				if _, err := crl.Write(b.Context(), io.Discard, genSource{size.n}, opts(c, 1)); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

func BenchmarkCreate(b *testing.B) {
	c := testCA(b, "P-256")
	for _, size := range benchSizes {
		b.Run(size.name, func(b *testing.B) {
			benchPeak(b, func() {
				if _, err := crl.Create(b.Context(), genSource{size.n}, opts(c, 1)); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

func BenchmarkCreateRevocationListStd(b *testing.B) {
	c := testCA(b, "P-256")
	for _, size := range benchSizes {
		b.Run(size.name, func(b *testing.B) {
			benchPeak(b, func() {
				var entries []x509.RevocationListEntry
				err := genSource{size.n}.Revoked(b.Context(), nil, thisUpdate, func(r store.Revocation) error {
					entries = append(entries, x509.RevocationListEntry{SerialNumber: r.Serial, RevocationTime: r.RevokedAt, ReasonCode: r.Reason})
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				_, err = x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
					RevokedCertificateEntries: entries, Number: big.NewInt(1), ThisUpdate: thisUpdate, NextUpdate: nextUpdate,
				}, c.cert, c.key)
				if err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkSignBaseline is one raw P-256 signature over a SHA-256 digest: the floor under every
// CRL above (STYLE.md §12).
func BenchmarkSignBaseline(b *testing.B) {
	c := testCA(b, "P-256")
	digest := sha256.Sum256([]byte("tbs"))
	for b.Loop() {
		if _, err := c.key.Sign(rand.Reader, digest[:], crypto.SHA256); err != nil {
			b.Fatal(err)
		}
	}
}

// benchPeak times op b.N times and reports the highest peak memory of one run.
func benchPeak(b *testing.B, op func()) {
	b.ReportAllocs()
	var peakHeap, peakRSS uint64
	rssOK := true
	for range b.N {
		b.StopTimer()
		runtime.GC()
		debug.FreeOSMemory()
		baseRSS, ok := resetPeakRSS()
		rssOK = rssOK && ok
		sampler := startHeapSampler()
		b.StartTimer()

		op()

		b.StopTimer()
		peakHeap = max(peakHeap, sampler.stop())
		if rss, ok := peakRSSNow(); ok && rss > baseRSS {
			peakRSS = max(peakRSS, rss-baseRSS)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(peakHeap)/1e6, "peak-MB")
	if rssOK {
		b.ReportMetric(float64(peakRSS)/1e6, "peak-RSS-MB")
	}
}

type heapSampler struct {
	base, peak uint64
	done       chan struct{}
	wg         sync.WaitGroup
}

const heapObjects = "/memory/classes/heap/objects:bytes"

func readHeapObjects() uint64 {
	s := []metrics.Sample{{Name: heapObjects}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func startHeapSampler() *heapSampler {
	h := &heapSampler{base: readHeapObjects(), done: make(chan struct{})}
	h.peak = h.base
	h.wg.Go(func() {
		t := time.NewTicker(500 * time.Microsecond)
		defer t.Stop()
		for {
			h.peak = max(h.peak, readHeapObjects())
			select {
			case <-h.done:
				return
			case <-t.C:
			}
		}
	})
	return h
}

// stop returns the peak increase over the base.
func (h *heapSampler) stop() uint64 {
	close(h.done)
	h.wg.Wait()
	h.peak = max(h.peak, readHeapObjects())
	return h.peak - h.base
}

// resetPeakRSS resets VmHWM to the current RSS (Linux: "5" > /proc/self/clear_refs) and returns
// that RSS.
func resetPeakRSS() (uint64, bool) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return 0, false
	}
	return procStatus("VmRSS:")
}

func peakRSSNow() (uint64, bool) { return procStatus("VmHWM:") }

func procStatus(field string) (uint64, bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := bytes.CutPrefix(sc.Bytes(), []byte(field)); ok {
			kb, err := strconv.ParseUint(string(bytes.TrimSuffix(bytes.TrimSpace(rest), []byte(" kB"))), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}
