package window

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
)

// The O(log n) path for member-less keys agrees with the general scan.
func TestTallyFastPathAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	for n := range 200 {
		entries := make([]Entry, r.IntN(40))
		at := base.UnixNano()
		for i := range entries {
			at += r.Int64N(int64(10 * time.Minute))
			entries[i] = Entry{At: at}
		}
		l := storage.Limit{Key: "k", Window: time.Duration(1+r.IntN(120)) * time.Minute, Max: 1 + r.IntN(10)}
		now := time.Unix(0, at-r.Int64N(int64(time.Hour)))
		fast, slow := Tally(entries, now, l, false), Tally(entries, now, l, true)
		if fast != slow {
			t.Fatalf("case %d: fast %+v, slow %+v", n, fast, slow)
		}
	}
}

// The window at t is (t-Window, ∞): an entry recorded exactly Window before
// t no longer counts, one a nanosecond later does, and so do entries after
// t. NextAt is the first instant at which the cap has a free slot, not one
// nanosecond later or earlier.
func TestTallyBoundaries(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	w := time.Hour
	l := storage.Limit{Key: "k", Window: w, Max: 2}
	entries := []Entry{{At: t0.UnixNano()}, {At: t0.Add(time.Nanosecond).UnixNano()}, {At: t0.Add(2 * w).UnixNano()}}
	for _, members := range []bool{false, true} {
		at := t0.Add(w) // entries[0] is exactly Window old
		if u := Tally(entries, at, l, members); u.Count != 2 || !u.Exceeded || !u.NextAt.Equal(t0.Add(w+time.Nanosecond)) {
			t.Errorf("members %t: at t0+w: %+v, want 2 counted (the one at t0 no longer), exceeded until t0+w+1ns", members, u)
		}
		before := at.Add(-time.Nanosecond)
		if u := Tally(entries, before, l, members); u.Count != 3 || !u.Exceeded {
			t.Errorf("members %t: a nanosecond before t0+w: %+v, want all 3 counted", members, u)
		}
		// At NextAt the slot is free.
		if u := Tally(entries, t0.Add(w+time.Nanosecond), l, members); u.Count != 1 || u.Exceeded {
			t.Errorf("members %t: at NextAt: %+v, want 1 counted, not exceeded", members, u)
		}
	}
}

// Tally agrees with a direct count: the distinct members (an empty member
// counting on its own) of the entries after t-Window, and NextAt is the
// earliest instant at which one more would fit.
func TestTallyMatchesDirectCount(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	base := time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC) // a DST change in Europe: nothing to do with a window
	members := []string{"", "", "a", "b", "c"}
	for n := range 500 {
		entries := make([]Entry, r.IntN(30))
		at := base.UnixNano()
		for i := range entries {
			at += r.Int64N(int64(5 * time.Minute))
			entries[i] = Entry{At: at, Member: members[r.IntN(len(members))]}
		}
		l := storage.Limit{Key: "k", Window: time.Duration(1+r.IntN(90)) * time.Minute, Max: 1 + r.IntN(6), Member: members[r.IntN(len(members))]}
		now := time.Unix(0, base.UnixNano()+r.Int64N(int64(3*time.Hour)))
		count := func(tn int64) (int, bool) {
			seen := map[string]bool{}
			c, present := 0, false
			for _, e := range entries {
				if e.At <= tn-int64(l.Window) {
					continue
				}
				if e.Member == "" {
					c++
					continue
				}
				if !seen[e.Member] {
					seen[e.Member] = true
					c++
				}
				present = present || e.Member == l.Member
			}
			return c, present
		}
		c, present := count(now.UnixNano())
		u := Tally(entries, now, l, true)
		exceeded := c >= l.Max && !present
		if u.Count != c || u.Exceeded != exceeded {
			t.Fatalf("case %d: %+v, want count %d exceeded %t", n, u, c, exceeded)
		}
		if !exceeded {
			continue
		}
		next := u.NextAt.UnixNano()
		if c, _ := count(next); c >= l.Max {
			t.Fatalf("case %d: at NextAt %v still %d counted (max %d)", n, u.NextAt, c, l.Max)
		}
		if c, _ := count(next - 1); c < l.Max {
			t.Fatalf("case %d: a nanosecond before NextAt %v only %d counted (max %d): NextAt is late", n, u.NextAt, c, l.Max)
		}
	}
}
