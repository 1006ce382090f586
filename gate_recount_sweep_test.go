package dialgate_test

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
	"github.com/dialgate/dialgate/sweep"
)

// TestRecountOverFullSegmentRate: a call placed after its decision was
// released is counted again in its segment's rate even when the segment is
// full at its outcome (other numbers took the slots in between), as the
// frequency caps count it (TestRecountOverFullCap). Refused as a new dial
// would be, it was not counted at all, and the segment took another number
// as soon as the others left the window, while the late call still counts.
func TestRecountOverFullSegmentRate(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	now := placedT0
	g := clockedGate(t, s, 48*time.Hour, &now, twoNumbersASegmentAnHour(t, s))
	check := func(n string) dialgate.Decision {
		t.Helper()
		return checkTo(ctx, t, g, n)
	}
	late := allowReleased(ctx, t, g, "+14055550102")
	for _, n := range []string{"+14055550200", "+14055550300"} {
		now = now.Add(10 * time.Minute)
		dec := check(n)
		if !dec.Allowed {
			t.Fatal(n, dec.Reasons)
		}
		if err := g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Answered: true}); err != nil {
			t.Fatal(err)
		}
	}
	// The released decision's call, placed after all, reported at +30m:
	// the segment is full (…0200, …0300).
	now = placedT0.Add(30 * time.Minute)
	if err := g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: late.ID, Dial: late.Dial, Answered: true}); err != nil {
		t.Fatal(err)
	}
	// At +75m …0200 has left the window; …0300 and the late call have not.
	now = placedT0.Add(75 * time.Minute)
	if dec := check("+14055550400"); dec.Allowed || !dec.Has(dialgate.CodeSweepSegmentRate) {
		t.Fatalf("a third number of the segment within the hour: allowed %v %v, want sweep.segment_rate (the late call was not counted)", dec.Allowed, dec.Reasons)
	}
	// Once the late call has left it too, …0400 may be dialled.
	now = placedT0.Add(91 * time.Minute)
	if dec := check("+14055550400"); !dec.Allowed {
		t.Fatalf("after the window: %v", dec.Reasons)
	}
}

// twoNumbersASegmentAnHour is a sweep check over s letting two numbers of
// a segment be dialled an hour.
func twoNumbersASegmentAnHour(t *testing.T, s storage.Counters) dialgate.Checker {
	t.Helper()
	u := dialgate.Citation{Source: dialgate.SourceConvention, Ref: "test: two numbers a segment an hour"}
	sw, err := sweep.New(sweep.Config{SegmentRate: &sweep.SegmentRate{Max: 2, Window: dialgate.Duration(time.Hour), Cite: u}}, s)
	if err != nil {
		t.Fatal(err)
	}
	return sw
}

// checkTo is g's decision on placedDial() to n (a Check error fails t).
func checkTo(ctx context.Context, t *testing.T, g *dialgate.Gate, n string) dialgate.Decision {
	t.Helper()
	d := placedDial()
	d.To = dialgate.MustParseNumber(n)
	dec, err := g.Check(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	return dec
}

// allowReleased is g's decision on placedDial() to n, which must be an
// allow, released at once (the dialer's call placed after all is the test).
func allowReleased(ctx context.Context, t *testing.T, g *dialgate.Gate, n string) dialgate.Decision {
	t.Helper()
	dec := checkTo(ctx, t, g, n)
	if !dec.Allowed {
		t.Fatal(dec.Reasons)
	}
	if err := g.Release(ctx, dec); err != nil {
		t.Fatal(err)
	}
	return dec
}
