package recording_test

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate/recording"
)

// TestSweepHoldsForOldComplaintIDs: a sweep first holds a recording for its
// callee's open complaints (HoldNew). A complaint an earlier build stored
// with a bidirectional character or a C1 control in its id gives a hold id
// that a new hold (Manager.Hold) would refuse; the sweep must still place it
// — the hold derives from a stored complaint, as HoldCallee's and a new
// recording's do — and skip the recording as held, not fail on it.
func TestSweepHoldsForOldComplaintIDs(t *testing.T) {
	ctx := context.Background()
	for _, id := range []string{"cp\u202e1", "cp\u00851", "cp\u20281"} {
		f := newFixture(t, recording.Config{}, nil)
		var open bool
		f.mgr.HoldNew(func(context.Context, string, time.Time) ([]recording.Hold, error) {
			if !open {
				return nil, nil
			}
			return []recording.Hold{{ID: "complaint:" + id, Reason: "complaint " + id, PlacedAt: start}}, nil
		})
		f.register(t, "r-1")
		open = true // the complaint was stored later (by an earlier build)
		rep, err := f.mgr.Sweep(ctx, start.Add(recording.MinRetention+time.Hour))
		if err != nil || len(rep.Failed) != 0 || len(rep.Deleted) != 0 || len(rep.Skipped) != 1 || rep.Skipped[0].Reason != "held" {
			t.Errorf("complaint %+q: Sweep = %+v, %v; want r-1 skipped as held", id, rep, err)
		}
		if !f.mediaExists("r-1") {
			t.Fatalf("complaint %+q: media of r-1 deleted", id)
		}
		r, err := f.mgr.Get(ctx, "r-1")
		if err != nil || len(r.Holds) != 1 || r.Holds[0].ID != "complaint:"+id {
			t.Errorf("complaint %+q: r-1 = %+v, %v; want it held for the complaint", id, r, err)
		}
	}
}
