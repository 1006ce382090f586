package schedule_test

import (
	"context"
	"github.com/dialgate/dialgate/internal/benchcpu"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage/boltstore"
	"github.com/dialgate/dialgate/storage/memstore"
)

func benchDials(n int) []dialgate.Dial {
	ds := make([]dialgate.Dial, n)
	for i := range ds {
		num, err := dialgate.NumberFromUint64(8613900000000 + uint64(i))
		if err != nil {
			panic(err)
		}
		ds[i] = dialgate.Dial{To: num, Purpose: dialgate.PurposeService, Tenant: "acme"}
	}
	return ds
}

// BenchmarkCapCommitMemstore is one cn cap reservation (keyed hash of the
// callee, three sliding windows) in memstore, over 10,000 callees with time
// advancing 5 minutes per op, so every reservation succeeds.
func BenchmarkCapCommitMemstore(b *testing.B) {
	caps, err := schedule.NewCapCheck(schedule.CapsCN(), memstore.New(), schedule.WithCapHashKey(testHK))
	if err != nil {
		b.Fatal(err)
	}
	ds := benchDials(10_000)
	ctx := context.Background()
	ids := make([]string, 1<<14)
	for i := range ids {
		ids[i] = "dg-" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	defer benchcpu.Start(b)()
	for i := 0; i < b.N; i++ {
		d := ds[i%len(ds)]
		d.At = start.Add(time.Duration(i) * 5 * time.Minute)
		if rs, err := caps.Commit(ctx, d, ids[i%len(ids)]+"-"+strconv.Itoa(i>>14)); err != nil || rs != nil {
			b.Fatal(rs, err)
		}
	}
}

// BenchmarkCapCheckMemstore is the read-only check (Attest) of the cn caps.
func BenchmarkCapCheckMemstore(b *testing.B) {
	caps, err := schedule.NewCapCheck(schedule.CapsCN(), memstore.New(), schedule.WithCapHashKey(testHK))
	if err != nil {
		b.Fatal(err)
	}
	ds := benchDials(10_000)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	defer benchcpu.Start(b)()
	for i := 0; i < b.N; i++ {
		d := ds[i%len(ds)]
		d.At = start
		if rs, _, err := caps.Attest(ctx, d); err != nil || rs != nil {
			b.Fatal(rs, err)
		}
	}
}

// BenchmarkCapCommitBoltstore32 reserves cn caps in boltstore from 32
// concurrent callers; each reservation is fsynced (group commit) before it
// returns.
func BenchmarkCapCommitBoltstore32(b *testing.B) {
	s, err := boltstore.Open(filepath.Join(b.TempDir(), "caps.db"), boltstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	caps, err := schedule.NewCapCheck(schedule.CapsCN(), s, schedule.WithCapHashKey(testHK))
	if err != nil {
		b.Fatal(err)
	}
	ds := benchDials(10_000)
	ctx := context.Background()
	var n, failed atomic.Int64
	b.SetParallelism(max(1, 32/benchProcs()))
	b.ReportAllocs()
	t0 := time.Now()
	b.ResetTimer()
	defer benchcpu.Start(b)()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			d := ds[i%int64(len(ds))]
			d.At = start.Add(time.Duration(i) * 5 * time.Minute)
			if rs, err := caps.Commit(ctx, d, "dg-"+strconv.FormatInt(i, 10)); err != nil || rs != nil {
				failed.Add(1)
			}
		}
	})
	b.StopTimer()
	if failed.Load() > 0 {
		b.Fatalf("%d reservations failed", failed.Load())
	}
	b.ReportMetric(float64(n.Load())/time.Since(t0).Seconds(), "reservations/s")
}

func benchProcs() int { return runtime.GOMAXPROCS(0) }
