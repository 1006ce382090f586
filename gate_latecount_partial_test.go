package dialgate_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
)

// TestLateOutcomePartialRecountCountsEachOnce: a late outcome's recount
// where one Committer succeeded and the other failed returns an error; the
// retry counts the failed one and adds nothing to the one that succeeded
// (each Committer counts the call exactly once), whichever of the two
// failed.
func TestLateOutcomePartialRecountCountsEachOnce(t *testing.T) {
	ctx := context.Background()
	for _, failing := range []string{"frequency:", "sweep:"} {
		t.Run(strings.TrimSuffix(failing, ":"), func(t *testing.T) {
			s := &flakyCounters{Counters: memstore.New()}
			now := placedT0
			g := clockedGate(t, s, 48*time.Hour, &now, capCheck(t, twoADay, s), twoNumbersASegmentAnHour(t, s))
			check := func(n string) dialgate.Decision {
				t.Helper()
				return checkTo(ctx, t, g, n)
			}
			late := allowReleased(ctx, t, g, "+14055550102")
			now = now.Add(time.Minute)
			s.setDown(func(id string) bool { return strings.HasPrefix(id, failing) && strings.Contains(id, "#placed") })
			o := dialgate.Outcome{DecisionID: late.ID, Dial: late.Dial, Answered: true}
			if err := g.ReportOutcome(ctx, o); !errors.Is(err, storage.ErrUnavailable) {
				t.Fatalf("recount with %s down: %v, want storage.ErrUnavailable", failing, err)
			}
			s.setDown(nil)
			for range 2 { // the retry, and a retry of it
				if err := g.ReportOutcome(ctx, o); err != nil {
					t.Fatalf("retry: %v", err)
				}
			}
			// Caps: the late call counts once, so one more call of the callee
			// is allowed, then a third is capped.
			second := check("+14055550102")
			if !second.Allowed {
				t.Fatalf("second call of the callee: %v (the late call counted twice?)", second.Reasons)
			}
			if dec := check("+14055550102"); dec.Allowed || !dec.Has(dialgate.CodeFrequencyCapped) {
				t.Fatalf("third call of the callee within the day: allowed %v %v, want frequency.capped", dec.Allowed, dec.Reasons)
			}
			// Sweep: with the second call released, the segment holds …0102
			// by the late call alone; one other number fits, a third not.
			if err := g.Release(ctx, second); err != nil {
				t.Fatal(err)
			}
			if dec := check("+14055550200"); !dec.Allowed {
				t.Fatalf("second number of the segment: %v", dec.Reasons)
			}
			if dec := check("+14055550300"); dec.Allowed || !dec.Has(dialgate.CodeSweepSegmentRate) {
				t.Fatalf("third number of the segment within the hour: allowed %v %v, want sweep.segment_rate (the late call not counted)", dec.Allowed, dec.Reasons)
			}
		})
	}
}
