package schedule

import (
	"math/rand"
	"testing"
	"time"
)

// refAllowed is the calling-time rule read naively: the wall clock of t in
// every zone (time.Time.In), its date and minute, judged by the plan.
func refAllowed(p *plan, t time.Time, locs []*time.Location) bool {
	for _, loc := range locs {
		lt := t.In(loc)
		day := dayNumber(time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, time.UTC))
		if !p.allowedLocal(day, lt.Hour()*60+lt.Minute()) {
			return false
		}
	}
	return true
}

// refNext is the earliest instant ≥ t that refAllowed allows, found minute
// by minute (every zone's offset is a whole number of minutes), within 20
// days.
func refNext(p *plan, t time.Time, locs []*time.Location) (time.Time, bool) {
	if refAllowed(p, t, locs) {
		return t, true
	}
	c := t.Truncate(time.Minute).Add(time.Minute)
	for range 20 * 24 * 60 {
		if refAllowed(p, c, locs) {
			return c, true
		}
		c = c.Add(time.Minute)
	}
	return time.Time{}, false
}

// TestWindowsMatchNaiveReference compares the compiled check (offset tables,
// minute bitmaps, the next-instant search) with the naive reading above, at
// random instants of 2026–2027, for zones with daylight saving (north and
// south), half- and quarter-hour offsets, and pairs of zones (the
// intersection).
func TestWindowsMatchNaiveReference(t *testing.T) {
	zones := []string{"America/New_York", "Europe/Paris", "Europe/London", "Australia/Lord_Howe",
		"Asia/Kolkata", "America/St_Johns", "Pacific/Chatham", "Australia/Sydney", "America/Santiago",
		"Asia/Shanghai", "America/Havana"}
	cfgs := []Config{
		{Windows: []Window{{Days: []string{"mon-sun"}, Ranges: []string{"09:00-12:00", "14:00-21:00"}, Cite: citeU}}},
		{Windows: []Window{{Days: []string{"mon-fri"}, Ranges: []string{"10:00-13:00", "14:00-20:00"}, Cite: citeU}},
			Holidays: &Holidays{Forbid: true, Calendars: []string{"fr-2026", "fr-2027"}, Cite: citeU}},
		{Windows: []Window{{Days: []string{"mon-sun"}, Ranges: []string{"00:30-03:00", "23:00-24:00"}, Cite: citeU}}},
		{Windows: []Window{{Days: []string{"fri"}, Ranges: []string{"21:00-02:30"}, Cite: citeU}}},
	}
	r := rand.New(rand.NewSource(1))
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	to := time.Date(2027, 12, 1, 0, 0, 0, 0, time.UTC).Unix()
	for ci, cfg := range cfgs {
		p, err := compileConfig(cfg, builtinCalendars())
		if err != nil {
			t.Fatal(err)
		}
		for zi := range zones {
			for _, set := range [][]string{{zones[zi]}, {zones[zi], zones[(zi+3)%len(zones)]}} {
				var locs []*time.Location
				for _, z := range set {
					loc, err := time.LoadLocation(z)
					if err != nil {
						t.Fatal(err)
					}
					locs = append(locs, loc)
				}
				zp := newZonePlan(p, set, locs, nil)
				for n := range 40 {
					at := time.Unix(from+r.Int63n(to-from), int64(r.Intn(1e9)))
					if n%3 == 0 {
						at = at.Truncate(time.Minute)
					}
					got := true
					for _, tab := range zp.clocks {
						if day, minute := tab.dayMinute(at); !p.allowedLocal(day, minute) {
							got = false
						}
					}
					if want := refAllowed(p, at, locs); got != want {
						t.Errorf("config %d, zones %v, at %v: allowed %v, want %v", ci, set, at, got, want)
					}
					gn, gok := p.nextInWindows(at, zp.clocks)
					if wn, wok := refNext(p, at, locs); wok && (!gok || !gn.Equal(wn)) {
						t.Errorf("config %d, zones %v, at %v: next %v (%v), want %v", ci, set, at, gn, gok, wn)
					}
				}
			}
		}
	}
}
