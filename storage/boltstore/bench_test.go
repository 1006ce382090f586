package boltstore_test

import (
	"context"
	"github.com/dialgate/dialgate/internal/benchcpu"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/boltstore"
	"github.com/dialgate/dialgate/storage/memstore"
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

// BenchmarkReserveParallel64 is BenchmarkReserveParallel32 at 64 concurrent
// callers (the load of a sidecar at ≈ 15,000 decisions/s): ns/op is the
// wall time per reservation, each fsynced before its Reserve returns.
func BenchmarkReserveParallel64(b *testing.B) {
	benchReserveParallelN(b, boltstore.Options{}, 64)
}

func benchReserveParallel(b *testing.B, opts boltstore.Options) { benchReserveParallelN(b, opts, 32) }

func benchReserveParallelN(b *testing.B, opts boltstore.Options, callers int) {
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
	b.SetParallelism(max(1, callers/max(1, testingProcs())))
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

// BenchmarkJournalReplay reserves 200,000 distinct callees' cn caps (three
// windows on one key, the longest 30 days) and reports the index's heap per
// held reservation and the time Open takes to replay the journal, per record:
//
//	go test -run '^$' -bench JournalReplay -benchtime 1x ./storage/boltstore/
func BenchmarkJournalReplay(b *testing.B) {
	const n = 200_000
	path := filepath.Join(b.TempDir(), "replay.db")
	s, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	t0 := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var wg sync.WaitGroup
	for w := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 64 {
				k := "frequency|" + strconv.Itoa(1_000_000_000+i) + "|cap|callee|"
				l := []storage.Limit{
					{Key: k, Window: 5 * time.Minute, Max: 1},
					{Key: k, Window: 24 * time.Hour, Max: 2},
					{Key: k, Window: 30 * 24 * time.Hour, Max: 10},
				}
				if ok, _, err := s.Reserve(ctx, "dg-0123456789abcdef-"+strconv.Itoa(i), t0.Add(time.Duration(i)*time.Millisecond), l); err != nil || !ok {
					b.Errorf("Reserve %d = %v, %v", i, ok, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap := float64(after.HeapAlloc-before.HeapAlloc) / n
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		s, err := boltstore.Open(path, boltstore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(time.Since(start).Nanoseconds())/n, "open-ns/record")
		s.Close()
	}
	b.ReportMetric(heap, "heap-B/reservation")
}

// BenchmarkRunHeld reports the heap a held sweep run record costs (bytes
// per record, "B/run"), each in a key of its own (the worst case: every dial
// in its own segment), with keys and ids as package sweep makes them under
// cn, on the embedded store (journaled) and in memory (memstore's engine,
// what serve kept before).
func BenchmarkRunHeld(b *testing.B) {
	ctx := context.Background()
	p := storage.RunParams{MinRun: 20, MaxGap: 2, MaxStep: 263, Window: 24 * time.Hour}
	t0 := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	for _, kind := range []string{"boltstore", "memory"} {
		b.Run(kind, func(b *testing.B) {
			const n = 100_000
			for range b.N {
				var rs storage.Runs
				if kind == "boltstore" {
					s, err := boltstore.Open(filepath.Join(b.TempDir(), "runs.db"), boltstore.Options{})
					if err != nil {
						b.Fatal(err)
					}
					defer s.Close()
					rs = s
				} else {
					rs = memstore.New()
				}
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				for i := range n {
					key := "sweep/seq/20/2/86400000000000/1" + strconv.Itoa(3800000+i) + "/acme"
					id := "dg-01JEXAMPLE" + strconv.Itoa(1_000_000+i) + "/s"
					if _, ok, err := rs.RecordRun(ctx, id, key, (i*7919)%10000, t0.Add(time.Duration(i)*time.Millisecond), p); err != nil || !ok {
						b.Fatal(ok, err)
					}
				}
				if s, ok := rs.(storage.RunSyncer); ok {
					if err := s.SyncRuns(ctx); err != nil {
						b.Fatal(err)
					}
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/run")
				runtime.KeepAlive(rs)
			}
		})
	}
}
