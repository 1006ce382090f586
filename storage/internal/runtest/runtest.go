// Package runtest holds what the storage.Runs tests of the shared stores
// (redisstore, pgstore) build alike: the cn profile's sequential rule, a Gate
// of that rule on a store as one sidecar of a fleet builds it, and the dials
// of a sweep through one 号段. It is for tests only.
package runtest

import (
	"fmt"
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
