package sweep

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
)

// fleet is n Gates, each with its own sweep Check, as n sidecars of a fleet
// are; runs is the run store they share (nil: each keeps its runs in
// memory). Decision ids are unique across the fleet.
type fleet struct {
	t     testing.TB
	gates []*dialgate.Gate
	now   time.Time
	next  int
}

func newFleet(t testing.TB, n int, cfg Config, counters storage.Counters, runs storage.Runs) *fleet {
	f := &fleet{t: t, now: t0}
	var id atomic.Int64
	for i := range n {
		c, err := New(cfg, counters, WithRuns(runs))
		if err != nil {
			t.Fatal(err)
		}
		g, err := dialgate.New([]dialgate.Checker{c}, dialgate.WithoutAuditLog(),
			dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return f.now })),
			dialgate.WithDecisionIDs(func() string { return fmt.Sprintf("g%d-d%d", i, id.Add(1)) }))
		if err != nil {
			t.Fatal(err)
		}
		f.gates = append(f.gates, g)
	}
	return f
}

// dial sends the dial to the next Gate, round-robin.
func (f *fleet) dial(to dialgate.Number) dialgate.Decision {
	f.t.Helper()
	g := f.gates[f.next%len(f.gates)]
	f.next++
	dec, err := g.Check(context.Background(), dialgate.Dial{To: to, Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1"})
	if err != nil {
		f.t.Fatal(err)
	}
	return dec
}

// A dialer spreading a sweep round-robin over four sidecars shows each one
// numbers four apart: with the run state in each process's memory none sees
// a run; with a shared run store the twentieth number is denied, as on one
// sidecar, whichever sidecar gets it.
func TestSequentialAcrossFleet(t *testing.T) {
	cfg := cnCfg
	cfg.SegmentRate = nil
	for _, tc := range []struct {
		name   string
		shared bool
	}{{"in memory", false}, {"shared", true}} {
		t.Run(tc.name, func(t *testing.T) {
			var runs storage.Runs
			if tc.shared {
				runs = memstore.New()
			}
			f := newFleet(t, 4, cfg, nil, runs)
			for i := range 40 {
				f.now = t0.Add(time.Duration(i) * 30 * time.Second)
				dec := f.dial(seqNum(861390000, i))
				wantDeny := tc.shared && i >= 19
				if dec.Allowed == wantDeny {
					t.Fatalf("dial %d (run of %d) through sidecar %d: allowed=%v, want %v: %v", i, i+1, i%4, dec.Allowed, !wantDeny, dec.Reasons)
				}
				if wantDeny && !dec.Has(dialgate.CodeSweepSequential) {
					t.Fatalf("dial %d: %v", i, dec.Codes())
				}
			}
		})
	}
}

// A restart builds new Checks on the same store: the segment a run closed
// stays closed, and the numbers dialled before count.
func TestSequentialSurvivesRestart(t *testing.T) {
	cfg := cnCfg
	cfg.SegmentRate = nil
	runs := memstore.New()
	f := newFleet(t, 1, cfg, nil, runs)
	for i := range 20 {
		f.dial(seqNum(861390000, i))
	}
	for i := range 19 {
		f.dial(seqNum(861390001, i))
	}
	f = newFleet(t, 1, cfg, nil, runs) // the restarted sidecar
	f.now = t0.Add(time.Hour)
	if dec := f.dial(seqNum(861390000, 5000)); dec.Allowed || !dec.Has(dialgate.CodeSweepSequential) {
		t.Fatalf("a closed segment after restart: %+v", dec)
	}
	if dec := f.dial(seqNum(861390001, 19)); dec.Allowed || !dec.Has(dialgate.CodeSweepSequential) {
		t.Fatalf("the 20th number after restart: %+v", dec)
	}
}

// brokenRuns fails every call.
type brokenRuns struct{ released atomic.Int64 }

var errDown = fmt.Errorf("runs store down: %w", storage.ErrUnavailable)

func (*brokenRuns) RunLength(context.Context, string, int, time.Time, storage.RunParams) (int, error) {
	return 0, errDown
}

func (*brokenRuns) RecordRun(context.Context, string, string, int, time.Time, storage.RunParams) (int, bool, error) {
	return 0, false, errDown
}

func (b *brokenRuns) ReleaseRun(context.Context, string) error {
	b.released.Add(1)
	return errDown
}

// A run store that fails denies the dial (sweep.unavailable), in Check and
// in Commit.
func TestSharedRunsFailClosed(t *testing.T) {
	cfg := cnCfg
	cfg.SegmentRate = nil
	b := &brokenRuns{}
	f := newFleet(t, 1, cfg, nil, b)
	dec := f.dial(seqNum(861390000, 1))
	if dec.Allowed || !dec.Has(dialgate.UnavailableCode(Name)) {
		t.Fatalf("store down at check: %+v", dec)
	}
	c, err := New(cfg, nil, WithRuns(b))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d := dialgate.Dial{To: seqNum(861390000, 1), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "l", At: t0}
	if rs, err := c.Commit(ctx, d, "d1"); rs != nil || !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("store down at commit: %v %v", rs, err)
	}
	if err := c.Release(ctx, "d1"); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("store down at release: %v", err)
	}
	// A dial whose number has no segment needs no run state.
	d.To = num("+8695555")
	if rs, err := c.Commit(ctx, d, "d2"); rs != nil || err != nil {
		t.Fatalf("no segment: %v %v", rs, err)
	}
}

// A refused segment-rate reservation gives the shared run state back.
func TestSharedRunsRollback(t *testing.T) {
	cfg := cnCfg
	cfg.SegmentRate = &SegmentRate{Max: 1, Window: dialgate.Duration(time.Hour), Cite: uCite}
	store := memstore.New()
	c, err := New(cfg, store, WithRuns(store))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d := dialgate.Dial{To: seqNum(861380013, 5), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "l", At: t0}
	if rs, err := c.Commit(ctx, d, "a"); rs != nil || err != nil {
		t.Fatalf("commit a: %v %v", rs, err)
	}
	d.To = seqNum(861380013, 6)
	if rs, err := c.Commit(ctx, d, "b"); err != nil || len(rs) != 1 || rs[0].Code != dialgate.CodeSweepSegmentRate {
		t.Fatalf("commit b: %v %v", rs, err)
	}
	// 7 makes a run with 5 alone: 6 was given back.
	n, err := store.RunLength(ctx, c.base.storeKey("acme", runSpot{seg: seg(d.To)}), 7, t0, c.base.params)
	if err != nil || n != 2 {
		t.Fatalf("run length = %d, %v; want 2 (5 and the new 7)", n, err)
	}
	n, err = store.RunLength(ctx, c.base.storeKey("acme", runSpot{seg: seg(d.To), across: true}), 5007, t0, c.base.params)
	if err != nil || n != 2 {
		t.Fatalf("run length across the boundary = %d, %v; want 2 (5 and the new 7)", n, err)
	}
}

// storeKey is appendStoreKey's key as a string, for the tests.
func (ru *rules) storeKey(tenant string, sp runSpot) string {
	return string(ru.appendStoreKey(nil, tenant, sp))
}
