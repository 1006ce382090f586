package schedule_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage"
)

// TestMexicanPrefixOneCountsStillCount: a +52 callee must now have 10
// digits (the withdrawn mobile prefix 1 is dial.invalid, its message telling
// the dialer to drop the 1). The calls and outcomes an earlier build counted
// under the prefix-1 spelling (+52 1 55 …) must still count for the line
// dialled as +52 55 …: a refusal's pause (fr's 61 days) recorded under it was
// missed, and the line called again at once.
func TestMexicanPrefixOneCountsStillCount(t *testing.T) {
	mxOld := dialgate.MustParseNumber("+5215512345678")
	mxNew := dialgate.MustParseNumber("+525512345678")
	for name, open := range spellingStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			t.Run("pause", func(t *testing.T) {
				store := open(t)
				l := storage.Limit{Key: legacyKey(mxOld, "acme", "|pause_refusal|callee|marketing|61d"), Window: 61 * day, Max: 1 << 30}
				if ok, _, err := store.Reserve(ctx, "old-outcome", start, []storage.Limit{l}); err != nil || !ok {
					t.Fatalf("seeding: %v %v", ok, err)
				}
				r := newRig(t, schedule.CapsFR(), store)
				dec := r.want(start.Add(time.Hour), marketingTo(mxNew), false)
				if want := start.Add(61 * day); !dec.Reasons[0].NextAllowedAt.Equal(want) {
					t.Errorf("next allowed at %s, want %s", dec.Reasons[0].NextAllowedAt, want)
				}
			})
			t.Run("cap", func(t *testing.T) {
				store := open(t)
				for i := range 4 {
					l := storage.Limit{Key: legacyKey(mxOld, "acme", "|cap|callee|marketing|30d"), Window: 30 * day, Max: 4}
					if ok, _, err := store.Reserve(ctx, "frequency:old-"+strconv.Itoa(i), start.Add(time.Duration(i)*time.Hour), []storage.Limit{l}); err != nil || !ok {
						t.Fatalf("seeding: %v %v", ok, err)
					}
				}
				r := newRig(t, schedule.CapsFR(), store)
				dec := r.want(start.Add(5*time.Hour), marketingTo(mxNew), false)
				if got := evidence(dec.Reasons[0], "frequency.count"); got != "4" {
					t.Errorf("frequency.count = %q, want 4", got)
				}
			})
		})
	}
}
