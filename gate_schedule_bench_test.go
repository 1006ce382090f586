package dialgate_test

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/schedule"
)

// newBenchGate returns the Gate of the benchmark: the cn profile's
// real calling-window check and an in-memory audit sink.
func newBenchGate(b *testing.B) *dialgate.Gate {
	b.Helper()
	p, err := policy.Builtin("cn")
	if err != nil {
		b.Fatal(err)
	}
	w, err := schedule.NewWindowCheck(*p.Schedule)
	if err != nil {
		b.Fatal(err)
	}
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC) // 18:00 in Shanghai: inside the window
	g, err := dialgate.New([]dialgate.Checker{w}, dialgate.WithClock(fixedClock(at)), dialgate.WithAuditLog(&sinkLog{}))
	if err != nil {
		b.Fatal(err)
	}
	return g
}

// BenchmarkGateCheck is one decision: the Gate, the cn window check, and an
// in-memory audit sink. Target ≤ 1 µs/op and ≤ 5 allocs/op.
func BenchmarkGateCheck(b *testing.B) {
	g := newBenchGate(b)
	d := serviceDial()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if dec, err := g.Check(ctx, d); err != nil || !dec.Allowed {
			b.Fatal(dec.Codes(), err)
		}
	}
}

// BenchmarkGateCheckParallel is BenchmarkGateCheck from GOMAXPROCS goroutines.
func BenchmarkGateCheckParallel(b *testing.B) {
	g := newBenchGate(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		d := serviceDial()
		for pb.Next() {
			if dec, err := g.Check(ctx, d); err != nil || !dec.Allowed {
				b.Error(dec.Codes(), err)
				return
			}
		}
	})
}
