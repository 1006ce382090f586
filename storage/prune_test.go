package storage_test

import (
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
)

// TestWithPruneMargin: one pruning limit per recorded key, after the
// limits given (unchanged), with the key's longest window plus PruneMargin
// (at most MaxWindow) and its member; none for a check-only key; valid
// together with the limits given; no allocation when limits has room.
func TestWithPruneMargin(t *testing.T) {
	given := []storage.Limit{
		{Key: "a", Member: "m", Window: time.Hour, Max: 2},
		{Key: "p", Window: time.Minute, Max: 1, CheckOnly: true},
		{Key: "a", Member: "m", Window: 3 * time.Hour, Max: 5},
		{Key: "long", Window: storage.MaxWindow, Max: 1},
	}
	limits := make([]storage.Limit, len(given), 8)
	copy(limits, given)
	var got []storage.Limit
	if a := testing.AllocsPerRun(10, func() { got = storage.WithPruneMargin(limits) }); a != 0 {
		t.Errorf("%v allocations with room for the pruning limits, want 0", a)
	}
	if len(got) != len(given)+2 {
		t.Fatalf("got %d limits, want %d: %+v", len(got), len(given)+2, got)
	}
	for i, l := range given {
		if got[i] != l {
			t.Errorf("limit %d changed: %+v, want %+v", i, got[i], l)
		}
	}
	if l := got[4]; l.Key != "a" || l.Member != "m" || l.Window != 3*time.Hour+storage.PruneMargin || l.CheckOnly || l.Max < 1<<20 {
		t.Errorf("pruning limit of a: %+v", l)
	}
	if l := got[5]; l.Key != "long" || l.Window != storage.MaxWindow {
		t.Errorf("pruning limit of long: %+v, want the window clamped to MaxWindow", l)
	}
	if err := storage.ValidateLimits(got); err != nil {
		t.Errorf("limits with their pruning limits: %v", err)
	}
}
