package boltstore_test

import (
	"context"
	"github.com/dialgate/dialgate/internal/benchcpu"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/boltstore"
)

// BenchmarkReserveParallel32 runs cn cap reservations (three sliding windows
// on one key, each reservation committed and fsynced) from 32 concurrent callers, spread over 10,000
// callees. It reports reservations per second; bbolt group commit shares one
// fsync among the reservations of a batch.
func BenchmarkReserveParallel32(b *testing.B) {
	for _, o := range []boltstore.Options{
		{},
		{MaxBatchDelay: time.Millisecond},
	} {
		b.Run("delay="+o.MaxBatchDelay.String()+"/size="+strconv.Itoa(o.MaxBatchSize), func(b *testing.B) { benchReserveParallel(b, o) })
	}
}

func benchReserveParallel(b *testing.B, opts boltstore.Options) {
	s, err := boltstore.Open(filepath.Join(b.TempDir(), "bench.db"), opts)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	const callees = 10_000
	limits := make([][]storage.Limit, callees)
	for i := range limits {
		// Keys laid out as package schedule does: callee hash first.
		k := "frequency|" + strconv.Itoa(1_000_000_000+i*7919) + "|cap|callee|"
		limits[i] = []storage.Limit{
			{Key: k, Window: 5 * time.Minute, Max: 1},
			{Key: k, Window: 24 * time.Hour, Max: 2},
			{Key: k, Window: 30 * 24 * time.Hour, Max: 10},
		}
	}
	t0 := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	var n, failed atomic.Int64
	b.SetParallelism(32 / max(1, testingProcs()))
	b.ReportAllocs()
	start := time.Now()
	b.ResetTimer()
	defer benchcpu.Start(b)()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			// A callee is reached again only after 10,000 × 5 min: every
			// reservation succeeds.
			ok, _, err := s.Reserve(ctx, "dg-"+strconv.FormatInt(i, 10), t0.Add(time.Duration(i)*5*time.Minute), limits[i%callees])
			if err != nil || !ok {
				failed.Add(1)
			}
		}
	})
	b.StopTimer()
	if failed.Load() > 0 {
		b.Fatalf("%d reservations failed", failed.Load())
	}
	b.ReportMetric(float64(n.Load())/time.Since(start).Seconds(), "reservations/s")
}

func testingProcs() int { return runtime.GOMAXPROCS(0) }
