package dnc_test

import (
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
)

func TestMergeAndReplaceDamaged(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	old := dnc.Entry{Number: dialgate.MustParseNumber("+8613900139055"), Scope: dnc.GlobalScope, List: "opt_out", AddedAt: t0, HoldUntil: t0.AddDate(1, 0, 0)}
	e := old
	e.List, e.AddedAt, e.HoldUntil = "complaints", t0.AddDate(0, 1, 0), time.Time{}
	at := func(m, d int) time.Time { return t0.AddDate(0, m, d) }
	for _, c := range []struct {
		name        string
		added, hold time.Time // e's
		wantAdded   time.Time
		wantHold    time.Time
		wantChanged bool
	}{
		// The very same add (a retry): nothing to write.
		{"Retry", t0, t0.AddDate(1, 0, 0), t0, t0.AddDate(1, 0, 0), false},
		// The same instant in another zone is the same add.
		{"RetryOtherZone", t0.In(time.FixedZone("CST", 8*3600)), time.Time{}, t0, t0.AddDate(1, 0, 0), false},
		// Older and held shorter: the stored entry is the stricter.
		{"OlderShorter", at(-1, 0), at(6, 0), t0, t0.AddDate(1, 0, 0), false},
		// A new refusal: dated again (a configured hold runs from it), its
		// own shorter hold does not shorten the stored one.
		{"LaterNoHold", at(1, 0), time.Time{}, at(1, 0), t0.AddDate(1, 0, 0), true},
		{"LaterLongerHold", at(1, 0), at(24, 0), at(1, 0), at(24, 0), true},
		// Older but held longer: the longer hold, the later date.
		{"OlderLongerHold", at(-1, 0), at(24, 0), t0, at(24, 0), true},
		// A new refusal after the stored hold ended, without a hold: the
		// stored hold (now before added_at) becomes added_at, never a hold
		// before the entry's date (an entry Validate refuses).
		{"LaterThanStoredHold", at(13, 0), time.Time{}, at(13, 0), at(13, 0), true},
	} {
		e.AddedAt, e.HoldUntil = c.added, c.hold
		got, changed := dnc.Merge(old, e)
		if changed != c.wantChanged || !got.AddedAt.Equal(c.wantAdded) || !got.HoldUntil.Equal(c.wantHold) ||
			got.List != old.List || got.Source != old.Source || got.Evidence != old.Evidence || got.Validate() != nil {
			t.Errorf("Merge %s: %+v, changed %v; want added %s, held until %s, changed %v, old's list (and valid)",
				c.name, got, changed, c.wantAdded, c.wantHold, c.wantChanged)
		}
		if !changed && got != old {
			t.Errorf("Merge %s: unchanged but %+v differs from old %+v", c.name, got, old)
		}
		// Merging again what Merge kept changes nothing (a retry).
		if again, ch := dnc.Merge(got, e); ch || again != got {
			t.Errorf("Merge %s again: %+v, changed %v; want unchanged", c.name, again, ch)
		}
	}
	e.AddedAt, e.HoldUntil = t0.AddDate(0, 1, 0), time.Time{}
	for _, c := range []struct {
		name  string
		holds []time.Time
		want  time.Time
	}{
		{"NoHoldRead", nil, time.Time{}},
		{"ZeroHold", []time.Time{{}}, time.Time{}},
		{"LongerHoldKept", []time.Time{t0.AddDate(1, 0, 0), t0.AddDate(0, 6, 0)}, t0.AddDate(1, 0, 0)},
		{"HoldBeforeAddedAtIsAddedAt", []time.Time{t0}, e.AddedAt},
	} {
		got := dnc.ReplaceDamaged(e, c.holds...)
		if !got.HoldUntil.Equal(c.want) || got.List != e.List || got.Validate() != nil {
			t.Errorf("%s: %+v, want e held until %s (and valid)", c.name, got, c.want)
		}
	}
}

func TestStoredHoldUntil(t *testing.T) {
	for raw, want := range map[string]time.Time{
		`{"added_at":12,"hold_until":"2027-03-01T09:00:00Z"}`: time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC),
		`{"hold_until":"2027-13-01"}`:                         {},
		`{"number":`:                                          {},
		`{"list":"opt_out"}`:                                  {},
		`"2027-03-01T09:00:00Z"`:                              {},
	} {
		if got := dnc.StoredHoldUntil([]byte(raw)); !got.Equal(want) {
			t.Errorf("StoredHoldUntil(%s) = %s, want %s", raw, got, want)
		}
	}
}
