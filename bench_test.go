package dialgate_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// windowCheck is a minimal calling-window check used to measure the Gate's own
// overhead; the schedule package's real check is measured in gate_schedule_bench_test.go.
func windowCheck() dialgate.Checker {
	loc := time.FixedZone("CST", 8*3600)
	return dialgate.CheckerFunc("schedule", func(_ context.Context, d dialgate.Dial) ([]dialgate.Reason, error) {
		h := d.At.In(loc).Hour()
		if h < 9 || h >= 21 {
			return []dialgate.Reason{{Code: dialgate.CodeOutsideWindow}}, nil
		}
		return nil, nil
	})
}

// sinkLog is an in-memory audit sink that keeps only a count, as a ring buffer
// would, so the benchmark measures the gate rather than slice growth. It is
// safe for concurrent use.
type sinkLog struct{ n atomic.Int64 }

func (s *sinkLog) RecordDecision(context.Context, dialgate.Decision) error { s.n.Add(1); return nil }
func (s *sinkLog) RecordOutcome(context.Context, dialgate.Outcome) error   { return nil }

func BenchmarkGateCheckOverhead(b *testing.B) {
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	g, err := dialgate.New([]dialgate.Checker{windowCheck()}, dialgate.WithClock(fixedClock(at)), dialgate.WithAuditLog(&sinkLog{}))
	if err != nil {
		b.Fatal(err)
	}
	d := serviceDial()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if dec, err := g.Check(ctx, d); err != nil || !dec.Allowed {
			b.Fatal(err)
		}
	}
}
