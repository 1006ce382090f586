package storage

import (
	"slices"
	"time"
)

// PruneMargin is how long past the longest window a caller counts a key
// with its reservations keep the key's entries (WithPruneMargin). A Reserve
// may prune the entries that have left its window (see Counters), but a
// dial decided by a clock behind the reserving one — another host of a
// fleet, or this host after its clock was stepped back — counts from an
// earlier instant: pruned at the reservation's instant, an entry still
// inside that dial's window would no longer count, and a limit let one call
// too many through. Kept PruneMargin longer, every entry such a dial's
// window holds counts for clocks up to PruneMargin behind.
const PruneMargin = time.Hour

// pruneLimitMax is the Max of the limits WithPruneMargin adds: no count
// reaches it, so that they refuse nothing.
const pruneLimitMax = 1 << 30

// WithPruneMargin appends to limits, for each key a limit of them records
// under (not check-only), a limit that widens the key's pruning horizon by
// PruneMargin: the longest window limits give the key plus PruneMargin (at
// most MaxWindow), with the key's Member and a Max no count reaches, so
// that it refuses nothing and counts nothing the caller reads. Their usages
// follow those of limits, which are unchanged: callers read the first
// len(limits) usages. When limits has the capacity for them, appending
// allocates nothing.
func WithPruneMargin(limits []Limit) []Limit {
	n := len(limits)
	for i := 0; i < n; i++ {
		l := limits[i]
		if l.CheckOnly || slices.ContainsFunc(limits[n:], func(h Limit) bool { return h.Key == l.Key }) {
			continue
		}
		w := l.Window
		for _, o := range limits[i+1 : n] {
			if o.Key == l.Key {
				w = max(w, o.Window)
			}
		}
		limits = append(limits, Limit{Key: l.Key, Member: l.Member, Window: min(w+PruneMargin, MaxWindow), Max: pruneLimitMax})
	}
	return limits
}
