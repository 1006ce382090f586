package countstate

import (
	"slices"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
)

// A journal replays oldest first: a later Restore of an id replaces the
// earlier one (an id whose entries all expired may reserve again), and
// Release returns the tag of the latest.
func TestRestoreReplaces(t *testing.T) {
	s := New()
	t0 := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	s.Restore("a", 1, t0.UnixNano(), []Recorded{{Key: "k", Window: time.Hour}})
	s.Restore("a", 2, t0.Add(3*time.Hour).UnixNano(), []Recorded{{Key: "k", Window: time.Hour}, {Key: "j", Window: time.Hour}})
	us := s.Usage(t0.Add(3*time.Hour+time.Minute), []storage.Limit{{Key: "k", Window: 24 * time.Hour, Max: 5}, {Key: "j", Window: time.Hour, Max: 5}})
	if us[0].Count != 1 || us[1].Count != 1 {
		t.Fatalf("usage = %+v; want one entry under each key (the second restore replaced the first)", us)
	}
	if tag, held := s.Release("a"); !held || tag != 2 {
		t.Fatalf("Release = %d, %v; want 2, true", tag, held)
	}
	if n := s.Expire(t0.Add(100 * time.Hour)); n != 0 {
		t.Fatalf("Expire after release removed %d, want 0", n)
	}
}

// Keys gives each distinct key once, with its longest window.
func TestKeys(t *testing.T) {
	got := Keys([]storage.Limit{
		{Key: "a", Window: time.Minute, Max: 1},
		{Key: "b", Member: "m", Window: time.Hour, Max: 1},
		{Key: "a", Window: 24 * time.Hour, Max: 2},
	})
	want := []Recorded{{Key: "a", Window: 24 * time.Hour}, {Key: "b", Member: "m", Window: time.Hour}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("Keys = %+v, want %+v", got, want)
	}
}

// Drop removes an id only if it is held with the given tag (a replayed
// release of an older reservation leaves a newer one alone); HeldTags
// reports exactly the (id, tag) pairs held.
func TestDropAndHeldTags(t *testing.T) {
	s := NewTracked()
	t0 := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	s.Restore("a", 1, t0.UnixNano(), []Recorded{{Key: "k", Window: time.Hour}})
	s.Restore("a", 5, t0.UnixNano(), []Recorded{{Key: "k", Window: time.Hour}})
	s.Restore("b", 2, t0.UnixNano(), []Recorded{{Key: "k", Window: time.Hour}})
	if f := s.Forgotten(); len(f) != 1 || f[0] != (Forgot{ID: "a", Tag: 1}) {
		t.Fatalf("Forgotten = %+v; want [{a 1}] (replaced by the second restore)", f)
	}
	held := make([]bool, 4)
	s.HeldTags([]string{"a", "a", "b", "c"}, []uint64{1, 5, 2, 3}, held)
	if want := []bool{false, true, true, false}; !slices.Equal(held, want) {
		t.Fatalf("HeldTags = %v, want %v", held, want)
	}
	if s.Drop("a", 1) {
		t.Fatal("Drop of a's older tag removed its newer reservation")
	}
	if !s.Drop("a", 5) || s.Held("a") {
		t.Fatal("Drop of a's tag did not remove it")
	}
	if s.Drop("a", 5) || s.Drop("zz", 1) {
		t.Fatal("Drop of an id not held reported true")
	}
	if us := s.Usage(t0, []storage.Limit{{Key: "k", Window: time.Hour, Max: 5}}); us[0].Count != 1 {
		t.Fatalf("count %d after dropping a, want 1 (b)", us[0].Count)
	}
	if f := s.Forgotten(); len(f) != 0 {
		t.Fatalf("Drop reported %+v as forgotten", f)
	}
}
