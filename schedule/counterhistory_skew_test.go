package schedule_test

import (
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage/memstore"
)

// A transition is carried until its start plus the windows and the longest
// allow lifetime — measured by the clock of the host that started with the
// new configuration. Counting tolerates clocks up to storage.PruneMargin
// apart (a host behind the one that recorded a call, or this host after its
// clock was stepped), so the carrying does too: a start whose clock was half
// an hour behind (then corrected), or an earlier run whose clock was half an
// hour ahead when it recorded the callee's last call, ended the carrying
// while that call was still inside the new cap's window, and the callee was
// called again within it.
func TestCounterHistoryCarriesOverClockSkew(t *testing.T) {
	const skew = 30 * time.Minute
	old, cur := capsOf(oneCap(1, day)), capsOf(oneCap(1, 2*day))
	d := dialgate.Dial{To: callee, From: from1}
	for _, tc := range []struct {
		name          string
		called, since time.Time // the last call under the old key; the transition's start
	}{
		{"start behind", start.Add(-time.Minute), start.Add(-skew)},
		{"earlier run ahead", start.Add(skew), start},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := memstore.New()
			newRig(t, old, store).want(tc.called, d, true)
			h := history(t, old, cur, tc.since)
			if len(h.Transitions) != 1 {
				t.Fatalf("transitions %+v", h.Transitions)
			}
			r := newHistoryRig(t, cur, store, h)
			// 30 s before the call leaves the 2-day cap counted over its
			// window plus the 60 s allow lifetime.
			at := tc.called.Add(2*day + 30*time.Second)
			r.want(at, d, false)
			if until := h.Transitions[0].Until(cur); !until.After(at) {
				t.Errorf("Until = %s: the carrying ends before the call it carries leaves the window (%s)", until, at)
			}
		})
	}
}
