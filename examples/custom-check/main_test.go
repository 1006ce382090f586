package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

func TestRun(t *testing.T) {
	var b strings.Builder
	if err := run(&b); err != nil {
		t.Fatal(err)
	}
	want := "Fri 22:30 allowed=false schedule.outside_window(schedule) campaigns.paused(campaigns)\n" +
		"Sat 10:30 allowed=false campaigns.paused(campaigns)\n"
	if b.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", b.String(), want)
	}
}

// TestReleaseOfPlacedCallRefused: a Gate built from policy.Checks and
// dialgate.New, as this example builds it, must refuse the Release of a
// decision whose call was placed (an outcome reported), as a Gate of
// policy.Build does: a placed call counts against cn's cap, and giving its
// slot back would allow a second call to the callee within 5 minutes.
func TestReleaseOfPlacedCallRefused(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 12, 5, 10, 30, 0, 0, time.FixedZone("CST", 8*3600))
	gate, _, err := newGate(ctx, dialgate.ClockFunc(func() time.Time { return at }))
	if err != nil {
		t.Fatal(err)
	}
	d := dialgate.Dial{
		To: dialgate.MustParseNumber("+8613900139000"), From: dialgate.MustParseNumber("+861058001234"),
		Purpose: dialgate.PurposeService, LeadID: "crm-7",
	}
	dec, err := gate.Check(ctx, d)
	if err != nil || !dec.Allowed {
		t.Fatalf("first dial: %v %v", dec.Codes(), err)
	}
	if err := gate.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Answered: true}); err != nil {
		t.Fatal(err)
	}
	if err := gate.Release(ctx, dec); !errors.Is(err, dialgate.ErrPlaced) {
		t.Errorf("Release of a placed call: %v, want an error wrapping ErrPlaced", err)
	}
	at = at.Add(time.Minute)
	again, err := gate.Check(ctx, d)
	if err != nil || again.Allowed {
		t.Errorf("second dial within cn's 5 minutes: allowed=%v %v %v, want denied frequency.capped", again.Allowed, again.Codes(), err)
	}
}
