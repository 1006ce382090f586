package dialgate_test

import (
	"context"
	"math/rand/v2"
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

// BenchmarkGateCheckUSDistinct is one decision of a dialer working through
// a national US list: the Gate, the us profile's calling-window check and
// an in-memory audit sink, each decision for another callee (2²⁰ numbers
// of 24 single-zone area codes, random exchanges and lines), so that the
// callee's zone lookup (numbering.LookupZones) nearly always misses its
// cache, as it does in production on such a list.
func BenchmarkGateCheckUSDistinct(b *testing.B) {
	p, err := policy.Builtin("us")
	if err != nil {
		b.Fatal(err)
	}
	w, err := schedule.NewWindowCheck(*p.Schedule)
	if err != nil {
		b.Fatal(err)
	}
	// Friday 20:00 UTC: 15:00 in New York, 12:00 in Los Angeles — inside
	// the window in every zone of these area codes.
	at := time.Date(2026, 12, 4, 20, 0, 0, 0, time.UTC)
	g, err := dialgate.New([]dialgate.Checker{w}, dialgate.WithClock(fixedClock(at)), dialgate.WithAuditLog(&sinkLog{}))
	if err != nil {
		b.Fatal(err)
	}
	npas := []uint64{212, 213, 214, 215, 303, 305, 310, 312, 404, 415, 503, 602, 617, 646, 702, 713, 718, 773, 804, 816, 904, 916, 919, 971}
	r := rand.New(rand.NewPCG(21, 22))
	dials := make([]dialgate.Dial, 1<<20)
	for i := range dials {
		v := 1_000_000_0000 + npas[r.IntN(len(npas))]*1e7 + (200+r.Uint64N(800))*1e4 + r.Uint64N(1e4)
		n, err := dialgate.NumberFromUint64(v)
		if err != nil {
			b.Fatal(err)
		}
		dials[i] = dialgate.Dial{To: n, From: dialgate.MustParseNumber("+12125550100"), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1"}
	}
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if dec, err := g.Check(ctx, dials[i&(1<<20-1)]); err != nil || !dec.Allowed {
			b.Fatal(dec.Codes(), err)
		}
	}
}
