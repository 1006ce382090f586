package recording_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dialgate/dialgate/recording"
)

// TestLinkAfterCallKeepsFromOutcome: a recording registered as its call
// started, without its end, counts its retention from the registration.
// The call's outcome, reported after the call ended, names the recording
// (Link): the call had not ended before some instant up to the report, so
// the recording is kept at least the retention after the report, as a
// recording the report registers is (337号 CN-S6 counts from the end of the
// call). Linked, it was deletable 30 days after the start of a 40-minute
// call: 40 minutes early.
func TestLinkAfterCallKeepsFromOutcome(t *testing.T) {
	f := newFixture(t, recording.Config{}, nil)
	ctx := context.Background()
	f.registerCall(t, "r", time.Time{}, start) // registered at the call's start
	reported := start.Add(40 * time.Minute)    // the outcome, after the call
	if err := f.mgr.Link(ctx, reported, "r", "dec-1", callee, ""); err != nil {
		t.Fatal(err)
	}
	r, err := f.mgr.Get(ctx, "r")
	if err != nil || r.DecisionID != "dec-1" || r.RetainUntil.Before(reported.Add(30*day)) {
		t.Fatalf("linked: %+v, %v; want decision dec-1, kept until at least %s", r, err, reported.Add(30*day))
	}
	if err := f.mgr.Delete(ctx, "r", start.Add(30*day+time.Minute)); !errors.Is(err, recording.ErrRetentionLocked) || !f.mediaExists("r") {
		t.Fatalf("delete 30 days after the start, 39 minutes before 30 days after the outcome: %v", err)
	}
	// A recording whose end is known keeps the retention counted from it.
	end := start.Add(10 * time.Minute)
	e := f.registerCall(t, "ended", end, end)
	if err := f.mgr.Link(ctx, reported, "ended", "dec-2", callee, ""); err != nil {
		t.Fatal(err)
	}
	if got, err := f.mgr.Get(ctx, "ended"); err != nil || !got.RetainUntil.Equal(e.RetainUntil) {
		t.Fatalf("linked with its end known: %+v, %v; want retain_until %s kept", got, err, e.RetainUntil)
	}
}
