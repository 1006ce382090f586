package schedule

import (
	"time"
)

// offsetTable is a precomputed list of a zone's UTC-offset periods, so that the
// allowed path finds the local time with a binary search instead of
// time.Location's lookup (which caches only the period around the moment the
// zone was loaded).
type offsetTable struct {
	loc    *time.Location
	starts []int64 // start of each period, Unix seconds, ascending; starts[0] = tableFrom
	offs   []int32 // UTC offset in seconds during each period
}

// The table covers these instants; outside, the location is asked directly.
var (
	tableFrom = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	tableTo   = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
)

func newOffsetTable(loc *time.Location) *offsetTable {
	tab := &offsetTable{loc: loc}
	t := time.Unix(tableFrom, 0).In(loc)
	for s := tableFrom; s < tableTo; {
		_, off := t.Zone()
		tab.starts = append(tab.starts, s)
		tab.offs = append(tab.offs, int32(off))
		_, end := t.ZoneBounds()
		if end.IsZero() || end.Unix() <= s {
			break
		}
		s = end.Unix()
		t = end.In(loc)
	}
	return tab
}

// offset returns the UTC offset in seconds at Unix second s.
func (tab *offsetTable) offset(s int64) int64 {
	if s < tableFrom || s >= tableTo {
		_, off := time.Unix(s, 0).In(tab.loc).Zone()
		return int64(off)
	}
	lo, hi := 0, len(tab.starts) // find the last start ≤ s
	for hi-lo > 1 {
		mid := int(uint(lo+hi) >> 1)
		if tab.starts[mid] <= s {
			lo = mid
		} else {
			hi = mid
		}
	}
	return int64(tab.offs[lo])
}

// dayMinute returns the local date (days since 1970-01-01) and minute of the
// day of t.
func (tab *offsetTable) dayMinute(t time.Time) (int64, int) {
	s := t.Unix()
	s += tab.offset(s)
	day := floorDiv(s, 86400)
	return day, int((s - day*86400) / 60)
}
