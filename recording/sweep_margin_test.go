package recording_test

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage"
)

// TestSweepWaitsMarginPastRetention: a sweep deletes a recording only once
// its clock reads SweepMargin (storage.PruneMargin, an hour) past
// RetainUntil — neither Due nor SweepDue (given the recording as due by
// a caller) nor Sweep delete it earlier — so a host of a fleet whose clock
// runs up to that much ahead still keeps it the full retention. (The sweep
// deleted at RetainUntil by its own clock: early by the clock's skew.)
func TestSweepWaitsMarginPastRetention(t *testing.T) {
	if recording.SweepMargin != storage.PruneMargin || recording.SweepMargin <= 0 {
		t.Fatalf("SweepMargin %v, want storage.PruneMargin %v", recording.SweepMargin, storage.PruneMargin)
	}
	f := newFixture(t, recording.Config{}, nil)
	ctx := context.Background()
	f.register(t, "a")
	r, err := f.mgr.Get(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []struct {
		name string
		off  time.Duration // after RetainUntil
	}{
		{"at retain_until", 0},
		{"a second later", time.Second},
		{"a nanosecond short of the margin", recording.SweepMargin - 1},
	} {
		now := r.RetainUntil.Add(at.off)
		due, err := f.mgr.Due(ctx, now)
		if err != nil || len(due) != 0 {
			t.Errorf("%s: Due %d recordings (%v), want none", at.name, len(due), err)
		}
		rep, err := f.mgr.SweepDue(ctx, now, []recording.Recording{r})
		if err != nil || len(rep.Deleted) != 0 || !f.mediaExists("a") {
			t.Errorf("%s: SweepDue of it: %+v %v, want it kept", at.name, rep, err)
		}
		rep, err = f.mgr.Sweep(ctx, now)
		if err != nil || len(rep.Deleted) != 0 || !f.mediaExists("a") {
			t.Errorf("%s: Sweep: %+v %v, want it kept", at.name, rep, err)
		}
	}
	rep, err := f.mgr.Sweep(ctx, r.RetainUntil.Add(recording.SweepMargin))
	if err != nil || len(rep.Deleted) != 1 || f.mediaExists("a") {
		t.Fatalf("Sweep at retain_until + SweepMargin: %+v %v, want it deleted", rep, err)
	}
}
