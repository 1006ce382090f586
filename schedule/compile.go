package schedule

import (
	"fmt"
	"maps"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/decimal"
	"github.com/dialgate/dialgate/internal/zonename"
	"github.com/dialgate/dialgate/numbering"
)

const (
	minutesPerDay = 1440
	dayWords      = (minutesPerDay + 63) / 64
)

// dayBits is one day's calling minutes: bit m set means minute m after local
// midnight is inside a window.
type dayBits [dayWords]uint64

func (b *dayBits) has(m int) bool { return b[m>>6]&(1<<(uint(m)&63)) != 0 }
func (b *dayBits) set(m int)      { b[m>>6] |= 1 << (uint(m) & 63) }

// next returns the first set minute ≥ m, or -1.
func (b *dayBits) next(m int) int {
	for ; m < minutesPerDay; m++ {
		w := b[m>>6] >> (uint(m) & 63)
		if w != 0 {
			for w&1 == 0 {
				w >>= 1
				m++
			}
			if m < minutesPerDay {
				return m
			}
			return -1
		}
		m |= 63 // skip to the end of this word
	}
	return -1
}

// nextUnset returns the first minute ≥ m that is not set, or -1.
func (b *dayBits) nextUnset(m int) int {
	for ; m < minutesPerDay; m++ {
		w := ^b[m>>6] >> (uint(m) & 63)
		if w != 0 {
			if m += bits.TrailingZeros64(w); m < minutesPerDay {
				return m
			}
			return -1
		}
		m |= 63 // skip to the end of this word
	}
	return -1
}

// daySet is a set of dates, as days since 1970-01-01, in a bitmap.
type daySet struct {
	base  int64
	bits  []uint64
	names map[int64]string
}

func (s *daySet) has(day int64) bool {
	i := day - s.base
	if i < 0 || i >= int64(len(s.bits))*64 {
		return false
	}
	return s.bits[i>>6]&(1<<(uint64(i)&63)) != 0
}

func newDaySet(days map[int64]string) daySet {
	if len(days) == 0 {
		return daySet{}
	}
	lo, hi := int64(1<<62), int64(-1<<62)
	for d := range days {
		lo, hi = min(lo, d), max(hi, d)
	}
	s := daySet{base: lo, bits: make([]uint64, (hi-lo)/64+1), names: days}
	for d := range days {
		i := d - lo
		s.bits[i>>6] |= 1 << (uint64(i) & 63)
	}
	return s
}

// dayNumber returns the days since 1970-01-01 of a date given as midnight UTC.
func dayNumber(t time.Time) int64 { return floorDiv(t.Unix(), 86400) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// plan is a compiled Config.
type plan struct {
	days     [7]dayBits // Monday = 0
	purposes uint8      // bit per purpose; 0 means every purpose
	holidays daySet     // no-call dates (empty unless Holidays.Forbid)
	// covered holds every date of the years that all the forbidding
	// calendars cover; with Holidays.Forbid a date outside it cannot be
	// decided (no holiday data) and is never calling time.
	covered   daySet
	needCover bool
	coverDesc string // "us-federal-2026, us-al-2026 cover 2026", for messages
	workdays  daySet // make-up working dates
	workdayAs int    // weekday whose windows a make-up working day uses; -1 none
	cbMax     time.Duration
	defZone   string
	defLoc    *time.Location
	blackouts []blackoutPlan // declared no-call periods; nil for none
	// Config.AlsoInStandardTime: std is set when it is; stdZone names its
	// zone and stdTab is that zone's standard-time table ("" and nil: each
	// callee zone's own standard time).
	std     bool
	stdZone string
	stdTab  *offsetTable
	// regional are the plans of the callees Holidays.Regional covers: this
	// plan with the entry's holidays added. Empty in those plans.
	regional []regionalPlan
}

// regionalPlan is the plan of the callees whose numbers start with one of
// prefixes.
type regionalPlan struct {
	prefixes []e164Prefix
	p        *plan
}

// forCallee returns the plan of callee n: the plan of the Holidays.Regional
// entry whose prefix n's digits start with — or, when none does, the digits
// of the other spelling of its line (calleeHasPrefix) —, or p.
// It does not allocate.
func (p *plan) forCallee(n dialgate.Number) *plan {
	if len(p.regional) == 0 {
		return p
	}
	for i := range p.regional {
		if hasPrefix(n, p.regional[i].prefixes) {
			return p.regional[i].p
		}
	}
	// The other spelling of the line (calleeHasPrefix): an entry given
	// for +596 is the holidays of +33 596 12 34 56 too.
	if alt, ok := numbering.LineAlias(n); ok {
		for i := range p.regional {
			if hasPrefix(alt, p.regional[i].prefixes) {
				return p.regional[i].p
			}
		}
	}
	return p
}

// weekday returns the windows index of a local date: Monday = 0, with make-up
// working days mapped to MakeupWorkdaysAs.
func (p *plan) weekday(day int64) int {
	if p.workdayAs >= 0 && p.workdays.has(day) {
		return p.workdayAs
	}
	return int((day%7 + 7 + 3) % 7) // 1970-01-01 was a Thursday
}

// allowedLocal reports whether the local date and minute is calling time.
func (p *plan) allowedLocal(day int64, minute int) bool {
	return !p.holidays.has(day) && p.days[p.weekday(day)].has(minute) && (!p.needCover || p.covered.has(day))
}

// uncovered reports whether the local date has no holiday data although the
// profile forbids calls on holidays.
func (p *plan) uncovered(day int64) bool { return p.needCover && !p.covered.has(day) }

func purposeBit(p dialgate.Purpose) uint8 {
	switch p {
	case dialgate.PurposeMarketing:
		return 1
	case dialgate.PurposeService:
		return 2
	case dialgate.PurposeCallback:
		return 4
	case dialgate.PurposeCollections:
		return 8
	case dialgate.PurposeSurvey:
		return 16
	}
	return 0
}

// compileConfig validates c and builds its plan, resolving calendar names in cals.
func compileConfig(c Config, cals map[string]*Calendar) (*plan, error) {
	p := &plan{workdayAs: -1}
	var regional []regionalDays
	if len(c.Windows) == 0 {
		return nil, cfgErr("windows", "missing (a profile must list its calling windows; use 00:00-24:00 for any hour)")
	}
	type owner struct{ w, r int }
	var week [7 * minutesPerDay]owner // zero: free; else w+1, r
	for wi, w := range c.Windows {
		field := fmt.Sprintf("windows[%d]", wi)
		if err := w.Cite.Validate("schedule." + field + ".cite"); err != nil {
			return nil, fmt.Errorf("%w: %w", err, ErrInvalidConfig)
		}
		if len(w.Days) == 0 {
			return nil, cfgErr(field+".days", "empty (name at least one day)")
		}
		if len(w.Ranges) == 0 {
			return nil, cfgErr(field+".ranges", "empty (give at least one HH:MM-HH:MM range)")
		}
		var days []int
		seen := [7]bool{}
		for di, ds := range w.Days {
			ds, err := parseDays(ds)
			if err != nil {
				return nil, cfgErr(fmt.Sprintf("%s.days[%d]", field, di), "%v", err)
			}
			for _, d := range ds {
				if seen[d] {
					return nil, cfgErr(fmt.Sprintf("%s.days[%d]", field, di), "%s named twice", dayNames[d])
				}
				seen[d] = true
				days = append(days, d)
			}
		}
		for ri, rs := range w.Ranges {
			rf := fmt.Sprintf("%s.ranges[%d]", field, ri)
			start, end, err := ParseRange(rs)
			if err != nil {
				return nil, cfgErr(rf, "%v", err)
			}
			for _, d := range days {
				for m := start; m < end; m++ {
					abs := (d*minutesPerDay + m) % (7 * minutesPerDay)
					if o := week[abs]; o.w != 0 {
						other := fmt.Sprintf("windows[%d].ranges[%d]", o.w-1, o.r)
						return nil, cfgErr(rf, "%s on %s overlaps %s (%s) at %02d:%02d",
							rs, dayNames[d], other, c.Windows[o.w-1].Ranges[o.r], (abs%minutesPerDay)/60, abs%60)
					}
					week[abs] = owner{wi + 1, ri}
					p.days[abs/minutesPerDay].set(abs % minutesPerDay)
				}
			}
		}
	}
	for i, pu := range c.Purposes {
		b := purposeBit(pu)
		if b == 0 {
			return nil, cfgErr(fmt.Sprintf("purposes[%d]", i), "unknown purpose %q (want marketing, service, callback, collections or survey)", string(pu))
		}
		p.purposes |= b
	}
	if z := c.DefaultZone; z != nil {
		loc, err := loadZone(z.Name)
		if err != nil {
			return nil, cfgErr("default_zone.name", "%v", err)
		}
		if err := z.Cite.Validate("schedule.default_zone.cite"); err != nil {
			return nil, fmt.Errorf("%w: %w", err, ErrInvalidConfig)
		}
		p.defZone, p.defLoc = z.Name, loc
	}
	if h := c.Holidays; h != nil {
		if len(h.Calendars) == 0 {
			return nil, cfgErr("holidays.calendars", "missing (name at least one calendar, or leave holidays out)")
		}
		if err := h.Cite.Validate("schedule.holidays.cite"); err != nil {
			return nil, fmt.Errorf("%w: %w", err, ErrInvalidConfig)
		}
		if h.MakeupWorkdaysAs != "" {
			d, ok := parseDay(h.MakeupWorkdaysAs)
			if !ok {
				return nil, cfgErr("holidays.makeup_workdays_as", "%q is not a day (want mon … sun)", h.MakeupWorkdaysAs)
			}
			p.workdayAs = d
		}
		hol, work := map[int64]string{}, map[int64]string{}
		if err := addCalendarDays(hol, work, h.Calendars, "holidays.calendars", cals); err != nil {
			return nil, err
		}
		p.setHolidays(h.Forbid, hol, work, h.Calendars, cals)
		var err error
		if regional, err = compileRegional(h, hol, work, cals); err != nil {
			return nil, err
		}
	}
	if cb := c.Callback; cb != nil {
		switch age := time.Duration(cb.MaxTriggerAge); {
		case age <= 0:
			return nil, cfgErr("callback.max_trigger_age", "%v is not positive (leave callback out for no exemption)", age)
		case age > 24*time.Hour:
			return nil, cfgErr("callback.max_trigger_age", "%v is longer than 24h; an instant callback is minutes old", age)
		}
		if err := cb.Cite.Validate("schedule.callback.cite"); err != nil {
			return nil, fmt.Errorf("%w: %w", err, ErrInvalidConfig)
		}
		p.cbMax = time.Duration(cb.MaxTriggerAge)
	}
	if st := c.AlsoInStandardTime; st != nil {
		if err := st.Cite.Validate("schedule.also_in_standard_time.cite"); err != nil {
			return nil, fmt.Errorf("%w: %w", err, ErrInvalidConfig)
		}
		p.std = true
		if st.Zone != "" {
			loc, err := loadZone(st.Zone)
			if err != nil {
				return nil, cfgErr("also_in_standard_time.zone", "%v", err)
			}
			p.stdZone, p.stdTab = st.Zone, newStdOffsetTable(loc)
		}
	}
	bs, err := compileBlackouts(c.Blackouts, "schedule.blackouts")
	if err != nil {
		return nil, err
	}
	p.blackouts = bs
	// The regional plans are this plan with their holidays: built once
	// everything else is compiled.
	for i := range regional {
		v := *p
		v.setHolidays(c.Holidays.Forbid, regional[i].hol, regional[i].work, regional[i].names, cals)
		p.regional = append(p.regional, regionalPlan{prefixes: regional[i].prefixes, p: &v})
	}
	return p, nil
}

// addCalendarDays adds the days of the calendars names to the holidays hol
// and make-up working days work (by day number, with their labels); field
// names the list in errors.
func addCalendarDays(hol, work map[int64]string, names []string, field string, cals map[string]*Calendar) error {
	for i, name := range names {
		cal, ok := cals[name]
		if !ok {
			return cfgErr(fmt.Sprintf("%s[%d]", field, i), "unknown calendar %q (built in: %s)", name, strings.Join(builtinNames(), ", "))
		}
		for _, d := range cal.Days {
			n := dayNumber(d.Date)
			label := d.Name + " (" + cal.Name + ")"
			switch d.Kind {
			case Holiday:
				if prev, ok := hol[n]; ok {
					label = prev + "; " + label
				}
				hol[n] = label
			case Workday:
				work[n] = label
			}
		}
	}
	return nil
}

// setHolidays sets p's holidays, coverage and make-up working days from the
// days of the calendars names (a holiday in any calendar wins over a make-up
// working day).
func (p *plan) setHolidays(forbid bool, hol, work map[int64]string, names []string, cals map[string]*Calendar) {
	work = maps.Clone(work)
	for n := range hol {
		delete(work, n)
	}
	if forbid {
		p.holidays = newDaySet(hol)
		p.covered, p.coverDesc = coverage(names, cals)
		p.needCover = true
	}
	p.workdays = newDaySet(work)
}

// regionalDays is a compiled Holidays.Regional entry: its prefixes, and the
// days and calendar names of its callees (the profile's and its own).
type regionalDays struct {
	prefixes  []e164Prefix
	hol, work map[int64]string
	names     []string
}

// compileRegional compiles h.Regional on top of the days hol and work of
// h.Calendars.
func compileRegional(h *Holidays, hol, work map[int64]string, cals map[string]*Calendar) ([]regionalDays, error) {
	var out []regionalDays
	type seenPrefix struct {
		s    string
		x    e164Prefix
		i, j int
	}
	var seen []seenPrefix
	for i, r := range h.Regional {
		field := fmt.Sprintf("holidays.regional[%d]", i)
		if len(r.Prefixes) == 0 {
			return nil, cfgErr(field+".prefixes", "missing (the E.164 prefixes of the callees these holidays are for, e.g. \"+590\")")
		}
		if len(r.Calendars) == 0 {
			return nil, cfgErr(field+".calendars", "missing (name at least one calendar)")
		}
		rd := regionalDays{hol: maps.Clone(hol), work: maps.Clone(work),
			names: append(slices.Clip(h.Calendars), r.Calendars...)}
		for j, ps := range r.Prefixes {
			pf := fmt.Sprintf("%s.prefixes[%d]", field, j)
			x, err := parsePrefix(ps)
			if err != nil {
				return nil, cfgErr(pf, "%v", err)
			}
			for _, o := range seen {
				short, long := o.x, x
				if long.n < short.n {
					short, long = long, short
				}
				if long.v/decimal.Pow10[long.n-short.n] == short.v {
					return nil, cfgErr(pf, "%q overlaps holidays.regional[%d].prefixes[%d] %q: a callee must have at most one entry (merge their calendars)", ps, o.i, o.j, o.s)
				}
			}
			seen = append(seen, seenPrefix{s: ps, x: x, i: i, j: j})
			rd.prefixes = append(rd.prefixes, x)
		}
		if err := addCalendarDays(rd.hol, rd.work, r.Calendars, field+".calendars", cals); err != nil {
			return nil, err
		}
		out = append(out, rd)
	}
	return out, nil
}

// coverage returns the dates of the years every series of the named
// calendars covers (see Calendar.Series: the calendars of one series add their
// years up; every series must cover a year), and a description for messages.
func coverage(names []string, cals map[string]*Calendar) (daySet, string) {
	list := make([]*Calendar, len(names))
	for i, name := range names {
		list[i] = cals[name]
	}
	years := commonYears(groupSeries(list))
	days := map[int64]string{}
	var ystr []string
	for _, y := range years {
		ystr = append(ystr, strconv.Itoa(y))
		from := dayNumber(time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC))
		to := dayNumber(time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC))
		for d := from; d < to; d++ {
			days[d] = ""
		}
	}
	desc := "cover no common year"
	if len(ystr) > 0 {
		desc = "cover " + strings.Join(ystr, ", ")
	}
	return newDaySet(days), strings.Join(names, ", ") + " " + desc
}

func builtinNames() []string {
	var names []string
	for _, c := range Calendars() {
		names = append(names, c.Name)
	}
	return names
}

// loadZone loads an IANA zone by name. "" and the names that are no place
// ("Local", "localtime", "Factory" …: internal/zonename) are refused: a
// profile must name a real zone, not the machine's.
func loadZone(name string) (*time.Location, error) {
	if name == "" {
		return nil, fmt.Errorf("%q is not an IANA zone name", name)
	}
	if p := zonename.NoPlace(name); p != "" {
		return nil, fmt.Errorf("%q is not an IANA zone name: %s", name, p)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown zone %q (want an IANA name such as Asia/Shanghai)", name)
	}
	return loc, nil
}
