package consent

import (
	"context"
	"testing"
	"time"
)

// BenchmarkCheckCacheHit measures a marketing dial whose callee's records are
// cached: one revision read, one LRU lookup, the verdict and the evidence.
// Target ≤ 300 ns/op.
func BenchmarkCheckCacheHit(b *testing.B) {
	ctx := context.Background()
	s := newFakeStore()
	mustAdd(b, s, goodRecord())
	c := mustCheck(b, cnConfig(), s)
	d := marketing(t0.Add(time.Hour))
	if rs, _, err := c.Attest(ctx, d); err != nil || len(rs) != 0 {
		b.Fatal(rs, err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rs, _, err := c.Attest(ctx, d)
		if err != nil || len(rs) != 0 {
			b.Fatal(rs, err)
		}
	}
}

// BenchmarkCheckCacheHitParallel is the cache hit under contention.
func BenchmarkCheckCacheHitParallel(b *testing.B) {
	ctx := context.Background()
	s := newFakeStore()
	mustAdd(b, s, goodRecord())
	c := mustCheck(b, cnConfig(), s)
	d := marketing(t0.Add(time.Hour))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if rs, _, err := c.Attest(ctx, d); err != nil || len(rs) != 0 {
				b.Fatal(rs, err)
			}
		}
	})
}

// BenchmarkCheckNoCache is the same dial reading the store every time.
func BenchmarkCheckNoCache(b *testing.B) {
	ctx := context.Background()
	s := newFakeStore()
	mustAdd(b, s, goodRecord())
	c := mustCheck(b, cnConfig(), s, WithCacheSize(0))
	d := marketing(t0.Add(time.Hour))
	b.ReportAllocs()
	for b.Loop() {
		if rs, _, err := c.Attest(ctx, d); err != nil || len(rs) != 0 {
			b.Fatal(rs, err)
		}
	}
}
