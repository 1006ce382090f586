package sweep

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
)

// aliasGate returns a Gate of cfg's sweep check alone whose clock is *now,
// with the run state in memory or, shared, in a memstore.
func aliasGate(t *testing.T, cfg Config, shared bool, now *time.Time) *dialgate.Gate {
	t.Helper()
	var opts []Option
	if shared {
		opts = append(opts, WithRuns(memstore.New()))
	}
	var counters storage.Counters
	if cfg.SegmentRate != nil {
		counters = memstore.New()
	}
	c, err := New(cfg, counters, opts...)
	if err != nil {
		t.Fatal(err)
	}
	var id atomic.Int64
	g, err := dialgate.New([]dialgate.Checker{c}, dialgate.WithoutAuditLog(),
		dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return *now })),
		dialgate.WithDecisionIDs(func() string { return fmt.Sprintf("dg-%d", id.Add(1)) }))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// A Release names one decision and gives back only what that decision
// recorded. The ids of a decision's records in its other spots ("~" for the
// block across a segment boundary, "/s" for the stride) must not be the
// records of another decision id: releasing "dg-7~" or "dg-7/s" — ids no
// decision has, which a placed-call guard therefore does not refuse — gave
// back decision dg-7's across-boundary run record or its stride records,
// and the sweep they belonged to was no longer seen.
func TestReleaseOfAliasIDKeepsRecords(t *testing.T) {
	ctx := context.Background()
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprint("stride/shared=", shared), func(t *testing.T) {
			cfg := strideCfg()
			cfg.SegmentRate = nil
			var now time.Time
			g := aliasGate(t, cfg, shared, &now)
			dial := func(seg uint64) dialgate.Decision {
				t.Helper()
				dec, err := g.Check(ctx, dialgate.Dial{To: seqNum(861380000+seg, 1234), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1"})
				if err != nil {
					t.Fatal(err)
				}
				return dec
			}
			for i := range 19 {
				now = t0.Add(time.Duration(i) * time.Minute)
				dec := dial(uint64(i))
				if !dec.Allowed {
					t.Fatalf("dial %d: denied %v", i, dec.Reasons)
				}
				for _, alias := range []string{dec.ID + "/s", dec.ID + "/s~", dec.ID + "~"} {
					if err := g.Release(ctx, dialgate.Decision{ID: alias}); err != nil {
						t.Fatalf("release %q: %v", alias, err)
					}
				}
			}
			now = t0.Add(30 * time.Minute)
			wantStride(t, dial(19), 20)
		})
		t.Run(fmt.Sprint("across/shared=", shared), func(t *testing.T) {
			cfg := cnCfg
			cfg.SegmentRate = nil
			var now time.Time
			g := aliasGate(t, cfg, shared, &now)
			bc := boundaryCases[0] // …139990 up to …140009
			dial := func(i int) dialgate.Decision {
				t.Helper()
				dec, err := g.Check(ctx, dialgate.Dial{To: bc.number(i), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1"})
				if err != nil {
					t.Fatal(err)
				}
				return dec
			}
			for i := range 19 {
				now = t0.Add(time.Duration(i) * time.Minute)
				dec := dial(i)
				if !dec.Allowed {
					t.Fatalf("dial %d: denied %v", i, dec.Reasons)
				}
				for _, alias := range []string{dec.ID + "~", dec.ID + "/s", dec.ID + "/s~"} {
					if err := g.Release(ctx, dialgate.Decision{ID: alias}); err != nil {
						t.Fatalf("release %q: %v", alias, err)
					}
				}
			}
			now = t0.Add(30 * time.Minute)
			if dec := dial(19); dec.Allowed || len(dec.Reasons) != 1 || dec.Reasons[0].Code != dialgate.CodeSweepSequential {
				t.Fatalf("20th number of a run across a boundary: allowed %v %v, want sweep.sequential", dec.Allowed, dec.Reasons)
			}
		})
	}
}

// A decision whose id ends like another's record ids ("dg-1~", from a
// WithDecisionIDs source) records its own dial: before, its record in its
// segment took the id of decision dg-1's record in the block across the
// nearest boundary, which was held, so nothing was recorded for it in its
// segment, and a run in the middle of the segment (…4990 to …5009, whose
// halves lie in two different boundary blocks) was not seen.
func TestDecisionIDsEndingLikeRecordIDs(t *testing.T) {
	ctx := context.Background()
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprint("shared=", shared), func(t *testing.T) {
			cfg := cnCfg
			cfg.SegmentRate = nil
			var opts []Option
			if shared {
				opts = append(opts, WithRuns(memstore.New()))
			}
			c, err := New(cfg, nil, opts...)
			if err != nil {
				t.Fatal(err)
			}
			// Ids dg-1, dg-1~, dg-1~~, …: each one the previous one's
			// across-boundary record id.
			id := "dg-1"
			next := func() string { s := id; id += "~"; return s }
			var now time.Time
			g, err := dialgate.New([]dialgate.Checker{c}, dialgate.WithoutAuditLog(),
				dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return now })),
				dialgate.WithDecisionIDs(next))
			if err != nil {
				t.Fatal(err)
			}
			number := func(i int) dialgate.Number { return seqNum(861380000, 4990+i) }
			for i := range 19 {
				now = t0.Add(time.Duration(i) * time.Minute)
				dec, err := g.Check(ctx, dialgate.Dial{To: number(i), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1"})
				if err != nil || !dec.Allowed {
					t.Fatalf("dial %d: %v %v", i, dec.Reasons, err)
				}
			}
			now = t0.Add(30 * time.Minute)
			dec, err := g.Check(ctx, dialgate.Dial{To: number(19), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1"})
			if err != nil {
				t.Fatal(err)
			}
			if dec.Allowed || len(dec.Reasons) != 1 || dec.Reasons[0].Code != dialgate.CodeSweepSequential {
				t.Fatalf("20th number of a run in the middle of a segment: allowed %v %v, want sweep.sequential", dec.Allowed, dec.Reasons)
			}
		})
	}
}
