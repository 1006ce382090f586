package memstore_test

import (
	"context"
	"github.com/dialgate/dialgate/internal/benchcpu"
	"strconv"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
)

// benchLimits returns the cn caps (1/5 min, 2/24 h, 10/30 d) for n callees,
// with each Max multiplied by scale.
func benchLimits(n, scale int) [][]storage.Limit {
	out := make([][]storage.Limit, n)
	for i := range out {
		// One key per callee with three windows, as package schedule does.
		k := "frequency|" + strconv.Itoa(1_000_000_000+i*7919) + "|cap|callee|"
		out[i] = []storage.Limit{
			{Key: k, Window: 5 * time.Minute, Max: 1 * scale},
			{Key: k, Window: 24 * time.Hour, Max: 2 * scale},
			{Key: k, Window: 30 * 24 * time.Hour, Max: 10 * scale},
		}
	}
	return out
}

// BenchmarkReserve is one cn cap reservation (three sliding windows) per op,
// spread over 10,000 callees, time advancing 5 min per op: every reservation
// succeeds (a callee is called every 5 weeks) and old entries are pruned.
func BenchmarkReserve(b *testing.B) {
	benchReserve(b, 10_000, 5*time.Minute, 1)
}

func benchReserve(b *testing.B, callees int, step time.Duration, scale int) {
	s := memstore.New()
	ctx := context.Background()
	limits := benchLimits(callees, scale)
	ids := make([]string, 1<<16)
	for i := range ids {
		ids[i] = "dg-bench-" + strconv.Itoa(i)
	}
	t := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	b.ResetTimer()
	defer benchcpu.Start(b)()
	for i := 0; i < b.N; i++ {
		if ok, _, err := s.Reserve(ctx, ids[i%len(ids)]+strconv.Itoa(i>>16), t.Add(time.Duration(i)*step), limits[i%len(limits)]); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkUsage is the read-only check of the same three windows.
func BenchmarkUsage(b *testing.B) {
	s := memstore.New()
	ctx := context.Background()
	limits := benchLimits(1000, 1)
	t := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	for i := range 5000 {
		s.Reserve(ctx, "pre-"+strconv.Itoa(i), t.Add(time.Duration(i)*time.Second), limits[i%len(limits)])
	}
	b.ReportAllocs()
	b.ResetTimer()
	defer benchcpu.Start(b)()
	for i := 0; i < b.N; i++ {
		if _, err := s.Usage(ctx, t.Add(2*time.Hour), limits[i%len(limits)]); err != nil {
			b.Fatal(err)
		}
	}
}
