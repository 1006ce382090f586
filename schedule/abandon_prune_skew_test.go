package schedule_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
)

// TestAbandonPruneKeepsSkewedClocks: recording an outcome may prune what
// has left the rule's window at the outcome's instant, but a dial decided by
// a clock behind the recording one (another host, or this host after its
// clock was stepped back) counts from an earlier instant. Under 3 % per
// 24 h: A abandoned at T, 40 answered an hour later, B abandoned, recorded
// by a clock 2 s ahead at T+24h1s; a dial decided by the right clock at
// T+24h-1s sees 2 abandoned of 42 answered (4.8 %) and is denied. Records
// used to prune A at B's instant, and the dial saw 1 of 41 (2.4 %).
func TestAbandonPruneKeepsSkewedClocks(t *testing.T) {
	ctx := context.Background()
	cfg := schedule.AbandonConfig{MaxRate: 0.03, Window: dialgate.Duration(24 * time.Hour), Cite: abandonCite}
	for name, open := range spellingStores(t) {
		t.Run(name, func(t *testing.T) {
			c, err := schedule.NewAbandonCheck(cfg, open(t))
			if err != nil {
				t.Fatal(err)
			}
			d := campaignDial()
			report := func(id string, at time.Time, abandoned bool) {
				t.Helper()
				o := dialgate.Outcome{DecisionID: id, Dial: d, At: at, Answered: true, Abandoned: abandoned}
				if err := c.ObserveOutcome(ctx, o); err != nil {
					t.Fatal(err)
				}
			}
			report("a", start, true)
			for i := range 40 {
				report(fmt.Sprint("n", i), start.Add(time.Hour), false)
			}
			report("b", start.Add(24*time.Hour+time.Second), true) // a clock 2 s ahead
			d.At = start.Add(24*time.Hour - time.Second)           // the right clock
			rs, err := c.Check(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) != 1 || rs[0].Code != dialgate.CodeAbandonRateExceeded {
				t.Fatalf("2 abandoned of 42 answered in the window: reasons %+v, want %s", rs, dialgate.CodeAbandonRateExceeded)
			}
		})
	}
}
