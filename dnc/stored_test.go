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
	if got, changed := dnc.Merge(old, e); changed || got != old {
		t.Errorf("Merge of a shorter hold: %+v, %v; want old unchanged", got, changed)
	}
	e.HoldUntil = t0.AddDate(2, 0, 0)
	if got, changed := dnc.Merge(old, e); !changed || got.List != old.List || !got.HoldUntil.Equal(e.HoldUntil) {
		t.Errorf("Merge of a longer hold: %+v, %v; want old held until e's", got, changed)
	}
	e.HoldUntil = time.Time{}
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
