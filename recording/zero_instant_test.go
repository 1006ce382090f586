package recording_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/recording"
)

// TestZeroInstantNamed: a Manager call given the zero time.Time as its
// instant t (a time the caller forgot to set) is refused with an error
// wrapping ErrInvalid that names t, not a field of the registration ("started_at
// ... is in the future") that is right; and a sweep at t zero is refused
// rather than reporting nothing due, which looked like a sweep that ran.
func TestZeroInstantNamed(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, recording.Config{}, nil)
	f.register(t, "r1")
	var zero time.Time
	_, regErr := f.mgr.Register(ctx, zero, recording.Registration{ID: "r2", Callee: callee, StartedAt: start, EndedAt: start.Add(time.Minute)})
	_, endErr := f.mgr.End(ctx, zero, "r1", start.Add(time.Minute))
	_, sweepErr := f.mgr.Sweep(ctx, zero)
	_, dueErr := f.mgr.Due(ctx, zero)
	for name, err := range map[string]error{
		"Register": regErr,
		"End":      endErr,
		"Delete":   f.mgr.Delete(ctx, "r1", zero),
		"Sweep":    sweepErr,
		"Due":      dueErr,
	} {
		if !errors.Is(err, recording.ErrInvalid) || !strings.Contains(err.Error(), "t: zero instant") {
			t.Errorf("%s at the zero instant: %v, want an error wrapping ErrInvalid naming t", name, err)
		}
	}
	if _, err := f.mgr.Get(ctx, "r2"); err == nil {
		t.Error("a registration at the zero instant was stored")
	}
}

// TestLinkZeroInstantRefused: Link at the zero instant of a recording whose
// end is not known (registered as its call started) linked it and counted
// its retention "from t": year 1 plus the retention, so its retain-until
// was not lengthened past the call's real end, and a recording the outcome
// said was still needed could be deleted before its retention had run from
// the end of the call. Link refuses a zero t as the other Manager methods
// do, and leaves the recording as it was.
func TestLinkZeroInstantRefused(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, recording.Config{}, nil)
	f.register(t, "r1")
	before, err := f.mgr.Get(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	err = f.mgr.Link(ctx, time.Time{}, "r1", "dec-1", callee, "")
	if !errors.Is(err, recording.ErrInvalid) || !strings.Contains(err.Error(), "t: zero instant") {
		t.Fatalf("Link at the zero instant: %v, want an error wrapping ErrInvalid naming t", err)
	}
	after, err := f.mgr.Get(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if after.DecisionID != "" || !after.RetainUntil.Equal(before.RetainUntil) {
		t.Fatalf("the refused Link changed the recording: decision %q, retain until %v (was %v)", after.DecisionID, after.RetainUntil, before.RetainUntil)
	}
	// At a real instant it links and keeps the recording its retention after t.
	at := start.Add(2 * time.Hour)
	if err := f.mgr.Link(ctx, at, "r1", "dec-1", callee, ""); err != nil {
		t.Fatal(err)
	}
	if r, _ := f.mgr.Get(ctx, "r1"); r.DecisionID != "dec-1" || r.RetainUntil.Before(at.Add(f.mgr.Retention())) {
		t.Fatalf("Link at %v: decision %q, retain until %v", at, r.DecisionID, r.RetainUntil)
	}
}
