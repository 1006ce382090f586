package auditlog

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// benchParallelism is the number of goroutines per CPU in the parallel
// benchmarks: a dialer runs many calls at once, and group commit needs
// concurrent appenders to batch.
const benchParallelism = 256

// BenchmarkAppendParallel appends decisions from many goroutines with group
// commit (one sync per batch) and reports records/s and records per sync,
// for several numbers of concurrent appenders per CPU.
func BenchmarkAppendParallel(b *testing.B) {
	for _, p := range []int{16, benchParallelism, 1024} {
		b.Run(fmt.Sprintf("appenders=%dxCPU", p), func(b *testing.B) { benchAppend(b, p) })
	}
}

func benchAppend(b *testing.B, parallelism int) {
	k := newTestKeys(b, "bench-log")
	l := openTest(b, b.TempDir(), testOptions(k))
	decs := make([]dialgate.Decision, 64)
	for i := range decs {
		decs[i] = sampleDecision(i)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.SetParallelism(parallelism)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if err := l.RecordDecision(ctx, decs[i%len(decs)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
	b.StopTimer()
	if st := l.Stats(); st.Batches > 0 {
		b.ReportMetric(float64(st.Records)/float64(st.Batches), "records/sync")
	}
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkAppendSerial appends from one goroutine: one fsync per record,
// the worst case group commit exists to avoid.
func BenchmarkAppendSerial(b *testing.B) {
	k := newTestKeys(b, "bench-log")
	l := openTest(b, b.TempDir(), testOptions(k))
	d := sampleDecision(0)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := l.RecordDecision(ctx, d); err != nil {
			b.Fatal(err)
		}
	}
	l.Close()
}

// BenchmarkEncodeDecision measures building and encoding one decision record
// (redaction, HMAC, JSON) in the caller's goroutine.
func BenchmarkEncodeDecision(b *testing.B) {
	r, _ := NewRedactor(testKey, "k", "")
	d := sampleDecision(1)
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		rec, err := r.Decision(d)
		if err != nil {
			b.Fatal(err)
		}
		buf = appendDecisionBody(buf[:0], rec)
	}
}

// BenchmarkGateCheckParallel compares a Gate with one trivial check without
// and with the audit log: the log must keep at least half the throughput.
func BenchmarkGateCheckParallel(b *testing.B) {
	trivial := dialgate.CheckerFunc("trivial", func(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, error) {
		return nil, nil
	})
	dial := sampleDecision(0).Dial
	clock := dialgate.ClockFunc(func() time.Time { return t0 })
	run := func(b *testing.B, opts ...dialgate.Option) {
		g, err := dialgate.New([]dialgate.Checker{trivial}, append(opts, dialgate.WithClock(clock), dialgate.WithCheckTimeout(time.Hour))...)
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.ReportAllocs()
		b.SetParallelism(benchParallelism)
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				dec, err := g.Check(ctx, dial)
				if err != nil || !dec.Allowed {
					b.Errorf("decision %+v, %v", dec, err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "decisions/s")
	}
	b.Run("audit=off", func(b *testing.B) { run(b, dialgate.WithoutAuditLog()) })
	b.Run("audit=on", func(b *testing.B) {
		k := newTestKeys(b, "bench-log")
		l := openTest(b, b.TempDir(), testOptions(k))
		defer l.Close()
		run(b, dialgate.WithAuditLog(l))
	})
}
