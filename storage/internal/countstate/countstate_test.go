package countstate

import (
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
