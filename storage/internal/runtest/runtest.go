// Package runtest holds what the storage.Runs tests of the shared stores
// (redisstore, pgstore) build alike: the cn profile's sequential rule, a Gate
// of that rule on a store as one sidecar of a fleet builds it, and the dials
// of a sweep through one 号段. It is for tests only.
package runtest

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/sweep"
)

// SeqConfig is the cn profile's sequential rule (runs of 20, gaps of up to 2,
// 24 hours) with provenance.
var SeqConfig = sweep.Config{
	Provenance: &sweep.Rule{Cite: dialgate.Citation{Source: dialgate.SourceLaw, Ref: "工信厅信管函〔2018〕337号 (CN-S4b)"}},
	Sequential: &sweep.Sequential{MinRun: 20, MaxGap: 2, Window: dialgate.Duration(24 * time.Hour),
		Cite: dialgate.Citation{Source: dialgate.SourceConvention, Ref: "dialgate convention (CN-S4b)"}},
}

// StrideConfig is SeqConfig with the cn profile's stride rule (one suffix
// in 20 successive segments, up to 2 skipped, 24 hours).
var StrideConfig = func() sweep.Config {
	c := SeqConfig
	c.Stride = &sweep.Sequential{MinRun: 20, MaxGap: 2, Window: dialgate.Duration(24 * time.Hour),
		Cite: dialgate.Citation{Source: dialgate.SourceConvention, Ref: "dialgate convention (CN-S4b)"}}
	return c
}()

// Gate is what one sidecar builds for the sweep rule on a shared store: the
// run state in runs, counters (may be nil: SeqConfig counts no segment
// rate), now its clock, ids its decision ids, timeout its check timeout.
func Gate(t testing.TB, runs storage.Runs, counters storage.Counters, now *atomic.Pointer[time.Time], ids *atomic.Int64, timeout time.Duration) *dialgate.Gate {
	return GateOf(t, SeqConfig, runs, counters, now, ids, timeout)
}

// GateOf is Gate with the sweep rules of cfg.
func GateOf(t testing.TB, cfg sweep.Config, runs storage.Runs, counters storage.Counters, now *atomic.Pointer[time.Time], ids *atomic.Int64, timeout time.Duration) *dialgate.Gate {
	t.Helper()
	c, err := sweep.New(cfg, counters, sweep.WithRuns(runs))
	if err != nil {
		t.Fatal(err)
	}
	g, err := dialgate.New([]dialgate.Checker{c}, dialgate.WithoutAuditLog(),
		dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return *now.Load() })),
		dialgate.WithDecisionIDs(func() string { return fmt.Sprintf("d%d", ids.Add(1)) }),
		dialgate.WithCheckTimeout(timeout))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// Number returns the number of suffix x (ABCD) in the 号段 seg ("1390000").
func Number(seg string, x int) dialgate.Number {
	return dialgate.MustParseNumber(fmt.Sprintf("+86%s%04d", seg, x))
}

// Dial is a service dial of tenant acme, with a lead id, to the number of
// suffix x in the 号段 seg.
func Dial(seg string, x int) dialgate.Dial {
	return dialgate.Dial{To: Number(seg, x), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1"}
}

// CheckStride dials, round-robin over gates (GateOf with StrideConfig on
// one shared store), a sequential run of 19 in 号段 1380000 and then a
// stride of suffix 0000 through 1390000, 1390001, …: the stride is denied
// at its twentieth segment (sweep.sequential, evidence sweep.kind
// "stride") whichever gate decides it, and the sequential run, whose values
// are the same, does not mix with it (the two rules' keys are apart).
// t0 is the first dial's instant.
func CheckStride(t testing.TB, gates []*dialgate.Gate, now *atomic.Pointer[time.Time], t0 time.Time) {
	t.Helper()
	ctx := context.Background()
	for i := range 19 {
		at := t0.Add(time.Duration(i) * 30 * time.Second)
		now.Store(&at)
		if dec, err := gates[i%len(gates)].Check(ctx, Dial("1380000", i)); err != nil || !dec.Allowed {
			t.Fatalf("sequential dial %d: %v %v", i, err, dec.Reasons)
		}
	}
	for i := range 21 {
		at := t0.Add(time.Duration(20+i) * 30 * time.Second)
		now.Store(&at)
		g := i % len(gates)
		dec, err := gates[g].Check(ctx, Dial(strconv.Itoa(1390000+i), 0))
		if err != nil {
			t.Fatal(err)
		}
		if wantDeny := i >= 19; dec.Allowed == wantDeny {
			t.Fatalf("stride dial %d at sidecar %d: allowed=%v: %v", i, g, dec.Allowed, dec.Reasons)
		}
		if !dec.Allowed && (!dec.Has(dialgate.CodeSweepSequential) || dec.Reasons[0].Evidence[0] != (dialgate.Evidence{Key: "sweep.kind", Value: "stride"})) {
			t.Fatalf("stride dial %d: %v", i, dec.Reasons)
		}
	}
}
