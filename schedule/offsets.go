package schedule

import (
	"math"
	"slices"
	"time"
)

// offsetTable is a precomputed list of a zone's UTC-offset periods, so that the
// allowed path finds the local time with a binary search instead of
// time.Location's lookup (which caches only the period around the moment the
// zone was loaded).
type offsetTable struct {
	loc    *time.Location
	starts []int64 // start of each period, Unix seconds, ascending; starts[0] = tableFrom
	offs   []int32 // UTC offset in seconds during each period; neighbours differ
	// until is the end of the last period: math.MaxInt64 when the zone's
	// offset never changes again (or std), else tableTo.
	until int64
	// std marks a table of the zone's standard time (newStdOffsetTable):
	// outside [tableFrom, tableTo) it keeps the offset of the nearest end.
	std bool
}

// The table covers these instants; outside, the location is asked directly.
var (
	tableFrom = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	tableTo   = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
)

// zoneOffset returns loc's UTC offset in seconds at Unix second s.
func zoneOffset(loc *time.Location, s int64) int32 {
	_, off := time.Unix(s, 0).In(loc).Zone()
	return int32(off)
}

func newOffsetTable(loc *time.Location) *offsetTable {
	tab := &offsetTable{loc: loc}
	tab.until = walkPeriods(loc, func(start int64, off int32, _ bool) {
		if n := len(tab.offs); n == 0 || tab.offs[n-1] != off {
			tab.starts = append(tab.starts, start)
			tab.offs = append(tab.offs, off)
		}
	})
	return tab
}

// newStdOffsetTable returns the table of loc's standard time: the UTC offset
// of each period with its daylight-saving shift taken out. A period the zone
// database marks as daylight-saving time (time.Time.IsDST) gets the offset of
// the last standard period before it, or when there is none since 1970, of
// the first one after it (or its own offset when the zone has none at all);
// a standard period keeps its offset. Outside the table's span the standard
// offset is that of the nearest end of the table: the standard offset in
// force in 1970 before it, the last one before 2100 after it.
func newStdOffsetTable(loc *time.Location) *offsetTable {
	type period struct {
		start int64
		off   int32
		dst   bool
	}
	var ps []period
	walkPeriods(loc, func(start int64, off int32, dst bool) {
		ps = append(ps, period{start, off, dst})
	})
	// last is the offset of the last standard period so far; before the
	// first one, that first one's (have: the zone has a standard period).
	var last int32
	i := slices.IndexFunc(ps, func(pd period) bool { return !pd.dst })
	have := i >= 0
	if have {
		last = ps[i].off
	}
	std := make([]int32, len(ps))
	for i, pd := range ps {
		switch {
		case !pd.dst:
			last = pd.off
			std[i] = pd.off
		case have:
			std[i] = last
		default: // no standard period at all: its own offset
			std[i] = pd.off
		}
	}
	tab := &offsetTable{loc: loc, std: true, until: math.MaxInt64}
	for i, pd := range ps {
		if n := len(tab.offs); n == 0 || tab.offs[n-1] != std[i] {
			tab.starts = append(tab.starts, pd.start)
			tab.offs = append(tab.offs, std[i])
		}
	}
	return tab
}

// walkPeriods calls f for each period of constant UTC offset and
// daylight-saving flag of loc from tableFrom to tableTo, in order, with its
// start (tableFrom for the first), offset and flag. Neighbouring periods may
// have the same offset (a daylight-saving offset that became standard time).
// It returns the end of the last period: math.MaxInt64 when loc's offset
// never changes again, else tableTo.
func walkPeriods(loc *time.Location, f func(start int64, off int32, dst bool)) int64 {
	for s := tableFrom; s < tableTo; {
		t := time.Unix(s, 0).In(loc)
		_, off := t.Zone()
		f(s, int32(off), t.IsDST())
		_, end := t.ZoneBounds()
		if end.IsZero() {
			return math.MaxInt64 // the offset never changes again
		}
		if e := end.Unix(); e > s {
			s = e
			continue
		}
		// time.ZoneBounds reports an end that is not after s: for a period
		// computed from the zone's TZ string (after its last listed
		// transition; from the start in slim zoneinfo files such as Go's
		// embedded time/tzdata) it gives 31 December 00:00 UTC as the end of
		// the period that spans a leap year's end, even when asked after that
		// instant. Step a day instead, finding a change within it by
		// bisection.
		next := min(s+86400, tableTo)
		if zoneOffset(loc, next) != int32(off) {
			lo, hi := s, next // offset at lo is off, at hi it is not
			for hi-lo > 1 {
				if mid := lo + (hi-lo)/2; zoneOffset(loc, mid) == int32(off) {
					lo = mid
				} else {
					hi = mid
				}
			}
			next = hi
		}
		s = next
	}
	return tableTo
}

// find returns the index of the period holding Unix second s, which must be in
// [tableFrom, tableTo); before tableFrom it returns 0, after tableTo the last.
func (tab *offsetTable) find(s int64) int {
	lo, hi := 0, len(tab.starts) // find the last start ≤ s
	for hi-lo > 1 {
		mid := int(uint(lo+hi) >> 1)
		if tab.starts[mid] <= s {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// offset returns the UTC offset in seconds at Unix second s.
func (tab *offsetTable) offset(s int64) int64 {
	if tab.std {
		return int64(tab.offs[tab.find(s)])
	}
	if s < tableFrom || s >= tableTo {
		return int64(zoneOffset(tab.loc, s))
	}
	return int64(tab.offs[tab.find(s)])
}

// period returns the UTC offset at Unix second s and an instant after s up to
// which it holds at least: the next change of offset, math.MaxInt64 when there
// is none. Outside the table it looks no further than an hour ahead (a
// standard-time table: up to tableFrom before it, for ever after it).
func (tab *offsetTable) period(s int64) (off, end int64) {
	if tab.std && s < tableFrom {
		return int64(tab.offs[0]), tableFrom
	}
	if !tab.std && (s < tableFrom || s >= tableTo) {
		return int64(zoneOffset(tab.loc, s)), s + 3600
	}
	i := tab.find(s)
	if i+1 < len(tab.starts) {
		return int64(tab.offs[i]), tab.starts[i+1]
	}
	return int64(tab.offs[i]), tab.until
}

// dayMinute returns the local date (days since 1970-01-01) and minute of the
// day of t.
func (tab *offsetTable) dayMinute(t time.Time) (int64, int) {
	s := t.Unix()
	s += tab.offset(s)
	day := floorDiv(s, 86400)
	return day, int((s - day*86400) / 60)
}
