// Package window holds the sliding-window arithmetic of a Counters
// implementation that reads a key's entries and tallies them itself
// (storage/pgstore); storage/internal/countstate's reference model checks
// its own tally against it. The other back-ends (boltstore, redisstore,
// memstore) count in their own structures; storetest's counter suite holds
// every back-end to the same window: an entry counts at t while it is less
// than Window old (At > t−Window), and no longer once it is exactly Window
// old.
package window

import (
	"sort"
	"time"

	"github.com/dialgate/dialgate/storage"
)

// Entry is one recorded reservation under a key: its instant in Unix
// nanoseconds and its member ("" for a reservation that counts on its own).
type Entry struct {
	At     int64  // the reservation's instant, Unix nanoseconds
	Member string // the Limit.Member value counted distinctly; "" for a reservation that counts on its own
}

// Start returns the index of the first entry that counts in a window of
// length w at t: the first with At > t-w. entries must be sorted by At.
func Start(entries []Entry, t int64, w time.Duration) int {
	lo := t - int64(w)
	return sort.Search(len(entries), func(i int) bool { return entries[i].At > lo })
}

// Tally reports the usage of l at t over entries, which must be sorted by At
// (ascending) and hold only entries of l.Key. members reports whether any
// entry has a non-empty Member; when false Tally takes O(log n).
func Tally(entries []Entry, t time.Time, l storage.Limit, members bool) storage.Usage {
	u := storage.Usage{Limit: l}
	tn := t.UnixNano()
	i := Start(entries, tn, l.Window)
	if !members {
		u.Count = len(entries) - i
		if u.Count >= l.Max {
			u.Exceeded = true
			u.NextAt = time.Unix(0, entries[len(entries)-l.Max].At+int64(l.Window)).In(t.Location())
		}
		return u
	}
	var (
		small   [16]string
		seen    = small[:0]
		seenMap map[string]struct{}
		present bool
		nth     int64 // the instant of the l.Max-th latest distinct member
	)
	for j := len(entries) - 1; j >= i; j-- {
		e := entries[j]
		if e.Member != "" {
			dup := false
			if seenMap != nil {
				_, dup = seenMap[e.Member]
			} else {
				for _, s := range seen {
					if s == e.Member {
						dup = true
						break
					}
				}
			}
			if dup {
				continue
			}
			if seenMap == nil && len(seen) == cap(small) {
				seenMap = make(map[string]struct{}, 2*len(seen))
				for _, s := range seen {
					seenMap[s] = struct{}{}
				}
			}
			if seenMap != nil {
				seenMap[e.Member] = struct{}{}
			} else {
				seen = append(seen, e.Member)
			}
			if e.Member == l.Member {
				present = true
			}
		}
		u.Count++
		if u.Count == l.Max {
			nth = e.At
		}
	}
	if u.Count >= l.Max && !present {
		u.Exceeded = true
		u.NextAt = time.Unix(0, nth+int64(l.Window)).In(t.Location())
	}
	return u
}
