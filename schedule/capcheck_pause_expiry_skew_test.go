package schedule_test

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage"
)

// A store's periodic expiry (storage.CounterExpirer) drops an entry past the
// longest window its key was recorded with. A cap's reservations record its
// key an hour (storage.PruneMargin) past its counted window, so that an
// expiry made by a clock ahead — this host before its clock was stepped
// back — drops no call a dial decided by the right clock still counts. An
// outcome starting a pause was recorded with the pause's window alone: an
// expiry made by a clock 40 minutes ahead dropped uk's abandoned call 72
// hours after it as the clock read it, and, the clock stepped back, the
// callee could be called again 71 h 50 min after the abandoned call.
func TestPauseSurvivesExpiryByAClockAhead(t *testing.T) {
	ctx := context.Background()
	for name, open := range spellingStores(t) {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			ex, ok := st.(storage.CounterExpirer)
			if !ok {
				t.Skip("the store does not expire by ExpireCounters")
			}
			c, err := schedule.NewCapCheck(schedule.CapsUK(), st, schedule.WithCapHashKey(testHK))
			if err != nil {
				t.Fatal(err)
			}
			d := dialgate.Dial{To: callee, From: from1, Purpose: dialgate.PurposeMarketing, Tenant: "acme"}
			if err := c.ObserveOutcome(ctx, dialgate.Outcome{DecisionID: "d-1", Dial: d, At: start, Answered: true, Abandoned: true}); err != nil {
				t.Fatal(err)
			}
			real := start.Add(72*time.Hour - 10*time.Minute)
			if _, err := ex.ExpireCounters(ctx, real.Add(40*time.Minute)); err != nil {
				t.Fatal(err)
			}
			d.At = real
			rs, err := c.Check(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) != 1 || rs[0].Code != dialgate.CodeFrequencyCapped {
				t.Fatalf("10 min before the 72 h pause ends: reasons %+v, want frequency.capped", rs)
			}
		})
	}
}
