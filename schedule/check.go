package schedule

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	_ "time/tzdata" // zone data for machines without a zoneinfo database

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/numbering"
)

// Name is the check's name and the prefix of its reason codes.
const Name = "schedule"

// Evidence keys the check reports.
const (
	EvidenceZone           = "schedule.zone"            // an IANA zone of the callee
	EvidenceLocalTime      = "schedule.local_time"      // the decision instant in that zone, RFC 3339
	EvidenceNextAllowedAt  = "schedule.next_allowed_at" // RFC 3339 (with a fraction of a second when it has one), in the first zone
	EvidenceHoliday        = "schedule.holiday"         // the holiday's name and calendar
	EvidenceCallbackExempt = "schedule.callback_exempt" // "true" when the instant-callback exemption applied
	EvidenceSegment        = "schedule.segment"         // the callee's segment when its zone is unknown
	EvidenceZoneSource     = "schedule.zone_source"     // "default_zone" when the profile's default was used
	EvidenceBlackout       = "schedule.blackout"        // the reason of a declared no-call period in force
	EvidenceBlackoutUntil  = "schedule.blackout_until"  // its end, RFC 3339 with the profile's offset (and fraction of a second, if any)
	// EvidenceCalleeZone is the zone of the callee's known location the
	// dial named (dialgate.Dial.CalleeZone), judged as well as the number's.
	EvidenceCalleeZone = "schedule.callee_zone"
	// EvidenceStandardZone names a zone whose standard time the dial was
	// also judged in (Config.AlsoInStandardTime).
	EvidenceStandardZone = "schedule.standard_zone"
	// EvidenceStandardTime is the decision instant in that zone's standard
	// time, RFC 3339 with the standard offset.
	EvidenceStandardTime = "schedule.standard_time"
)

// horizonDays bounds the search for the next allowed instant.
const horizonDays = 400

// ErrNoInstant is returned (wrapped) by Check for a Dial whose At is zero: the
// check needs the decision instant the Gate sets.
var ErrNoInstant = errors.New("schedule: dial has no decision instant (Dial.At)")

// Option configures NewWindowCheck.
type Option func(*options)

type options struct {
	cals map[string]*Calendar
}

// WithCalendars makes calendars available to Config.Holidays.Calendars besides
// the built-in ones. A calendar with a built-in's name replaces it.
func WithCalendars(cals ...*Calendar) Option {
	return func(o *options) {
		for _, c := range cals {
			if c != nil {
				o.cals[c.Name] = c
			}
		}
	}
}

// WindowCheck is the calling-time check (dialgate.Checker,
// dialgate.Attester and dialgate.Expirer, name "schedule"): calling windows in the callee's local
// time, holidays, declared no-call periods (blackouts), and the
// instant-callback exemption.
//
// For each dial it finds the callee's candidate zones (numbering.LookupZones;
// +86 is Asia/Shanghai) and allows the dial only when the local time is inside
// a window in every candidate zone (the intersection) and the local date is no
// forbidden holiday in any — and, with Config.AlsoInStandardTime, only when
// the same holds in standard time too (StandardTime). Otherwise it reports
// schedule.outside_window or schedule.holiday with the zone, the local time
// and the next instant at which every zone allows the dial (zero when none is
// found within 400 days). A number with no known zone is schedule.zone_unknown
// unless the Config names a default zone.
//
// A dial whose instant is inside a blackout covering the callee (Blackout) is
// schedule.outside_window too, whatever the windows say and whether or not
// the callee's zone is known, callbacks included; the reason names the
// blackout's reason and end, and its next instant is after the blackout.
// Every next instant skips the blackouts covering the callee.
//
// Everything is compiled at construction; the allowed path does not allocate.
// A WindowCheck is safe for concurrent use. Create it with NewWindowCheck; the
// zero WindowCheck is not usable.
type WindowCheck struct {
	base   *plan                       // compiled from the Config
	mu     sync.Mutex                  // serialises building zone plans
	declMu sync.Mutex                  // serialises Declare and DeclarationsFailed
	st     atomic.Pointer[windowState] // in force
}

// windowState is what a WindowCheck decides by: its plan (the Config's, with
// the Declarations in force added) and the zone plans built for it.
// Declare and DeclarationsFailed swap in a new one; a decision reads one.
type windowState struct {
	p    *plan
	def  *zonePlan                   // the default zone, or nil
	byID atomic.Pointer[[]*zonePlan] // indexed by numbering.ZoneSet.ID
	// located holds the plans of dials naming the callee's location
	// (dialgate.Dial.CalleeZone): locatedKey → *zonePlan.
	located sync.Map
	// declEv is the evidence naming the Declarations in force (nil: none
	// declared), added to the evidence of every dial the schedule judges.
	declEv []dialgate.Evidence
	// failed, when not nil, is why the Declarations to be in force could not
	// be loaded: every dial the schedule judges is undecidable (denied
	// schedule.unavailable).
	failed error
}

// zonePlan is the locations of one zone set and its precomputed evidence.
type zonePlan struct {
	locs  []*time.Location
	tabs  []*offsetTable // one per location
	names []string
	// clocks are the tables a dial is judged by: tabs, then the
	// standard-time tables of Config.AlsoInStandardTime (one per location,
	// or the one of its zone), whose zones stdNames gives.
	clocks   []*offsetTable
	stdNames []string
	attest   []dialgate.Evidence // shared, returned for passing dials
	exempt   []dialgate.Evidence // shared, returned for exempt callbacks
	def      bool                // the profile's default zone
	failed   bool                // a zone did not load: treat as unknown
	located  string              // the callee's known zone (Dial.CalleeZone) judged too, or ""
	set      int                 // the numbering.ZoneSet.ID of a number's zones (0: the default zone's plan)
}

// locatedKey names the plan of a number's zone set with a callee zone.
type locatedKey struct {
	set  int // numbering.ZoneSet.ID; 0: the default zone
	zone string
}

// NewWindowCheck validates cfg (as Config.Validate, also knowing calendars given
// with WithCalendars) and compiles it.
func NewWindowCheck(cfg Config, opts ...Option) (*WindowCheck, error) {
	o := options{cals: maps.Clone(builtinCalendars())}
	for _, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("schedule: nil option: %w", ErrInvalidConfig)
		}
		opt(&o)
	}
	p, err := compileConfig(cfg, o.cals)
	if err != nil {
		return nil, err
	}
	w := &WindowCheck{base: p}
	w.install(&windowState{p: p})
	return w, nil
}

// install completes st (its default zone's plan, the zone set every +86
// number has) and puts it in force.
func (w *WindowCheck) install(st *windowState) {
	empty := make([]*zonePlan, 0)
	st.byID.Store(&empty)
	if p := st.p; p.defLoc != nil {
		st.def = newZonePlan(p, []string{p.defZone}, []*time.Location{p.defLoc}, st.declEv)
		st.def.def = true
		st.def.attest = append(st.def.attest, dialgate.Evidence{Key: EvidenceZoneSource, Value: "default_zone"})
		st.def.exempt = append(st.def.exempt, dialgate.Evidence{Key: EvidenceZoneSource, Value: "default_zone"})
	}
	// Precompute the zone set every +86 number has.
	w.zonePlanFor(st, dialgate.MustParseNumber("+8613800138000"))
	w.st.Store(st)
}

// newZonePlan builds the plan of the zones names (loaded as locs) under p;
// decl is the evidence of the Declarations in force (nil: none), added to
// every dial's.
func newZonePlan(p *plan, names []string, locs []*time.Location, decl []dialgate.Evidence) *zonePlan {
	zp := &zonePlan{locs: locs, names: names}
	for _, loc := range locs {
		zp.tabs = append(zp.tabs, newOffsetTable(loc))
	}
	for _, n := range names {
		zp.attest = append(zp.attest, dialgate.Evidence{Key: EvidenceZone, Value: n})
	}
	zp.attest = append(zp.attest, decl...)
	zp.exempt = append(append([]dialgate.Evidence(nil), zp.attest...), dialgate.Evidence{Key: EvidenceCallbackExempt, Value: "true"})
	zp.clocks = zp.tabs
	if p.std {
		zp.clocks = append([]*offsetTable(nil), zp.tabs...)
		if p.stdTab != nil {
			zp.clocks = append(zp.clocks, p.stdTab)
			zp.stdNames = []string{p.stdZone}
		} else {
			for i, loc := range locs {
				zp.clocks = append(zp.clocks, newStdOffsetTable(loc))
				zp.stdNames = append(zp.stdNames, names[i])
			}
		}
		for _, n := range zp.stdNames {
			zp.attest = append(zp.attest, dialgate.Evidence{Key: EvidenceStandardZone, Value: n})
		}
	}
	return zp
}

// Name returns "schedule".
func (w *WindowCheck) Name() string { return Name }

// Check reports why d is outside calling time (nil when it is not). It returns
// an error only for a Dial without At.
func (w *WindowCheck) Check(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, error) {
	rs, _, _, err := w.attest(ctx, d, false)
	return rs, err
}

// Attest is Check, and for a passing dial also returns the evidence it relied
// on: the callee's zones ("schedule.zone"), "schedule.zone_source" when the
// default zone was used, "schedule.standard_zone" for each zone whose
// standard time it was also judged in (Config.AlsoInStandardTime), and
// "schedule.callback_exempt" for an exempt callback. The returned evidence
// slice is shared: do not modify it.
func (w *WindowCheck) Attest(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, []dialgate.Evidence, error) {
	rs, ev, _, err := w.attest(ctx, d, false)
	return rs, ev, err
}

// AttestUntil is Attest that also returns, for a passing dial, the instant
// its pass ends (dialgate.Expirer): the end of the calling window the dial
// is in, in every one of the callee's zones (and standard times) — the
// earliest of them —, or the start of the next declared blackout covering
// the callee, whichever comes first; for an exempt callback, the end of its
// exemption (1 ns after the trigger's age reaches Callback.MaxTriggerAge) or,
// when the windows allow it too, the window's end if later. The instant is never
// later than the true end: at a change of a zone's UTC offset, or two local
// days ahead (a window through midnight), it may be earlier. It is zero for
// a dial of a purpose the windows do not cover and for a failing dial. It
// does not allocate on the allowed path.
func (w *WindowCheck) AttestUntil(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, []dialgate.Evidence, time.Time, error) {
	return w.attest(ctx, d, true)
}

// attest decides d; with until it also computes the end of a pass.
func (w *WindowCheck) attest(_ context.Context, d dialgate.Dial, until bool) ([]dialgate.Reason, []dialgate.Evidence, time.Time, error) {
	var none time.Time
	if d.At.IsZero() {
		return nil, nil, none, ErrNoInstant
	}
	st := w.st.Load()
	p := st.p.forCallee(d.To)
	if p.purposes != 0 && p.purposes&purposeBit(d.Purpose) == 0 {
		return nil, nil, none, nil
	}
	if st.failed != nil {
		return nil, nil, none, st.failed
	}
	zp := w.zonePlanFor(st, d.To)
	if d.CalleeZone != "" && zp != nil {
		zp = w.locatedPlan(st, zp, d.CalleeZone)
	}
	// A declared no-call period comes first: the callback exemption is from
	// rest hours, not from a declared emergency.
	if len(p.blackouts) != 0 && p.blackoutAt(d.At, d.To) >= 0 {
		if zp == nil {
			active := p.activeBlackouts(d.At, d.To)
			return st.mark(append([]dialgate.Reason{p.blackoutReason(active, time.Time{},
				"; no allowed time: the callee's zone is unknown", nil)}, w.zoneUnknown(d)...)), nil, none, nil
		}
		return st.mark(p.deny(d.At, zp, d.To)), nil, none, nil
	}
	if zp == nil {
		return st.mark(w.zoneUnknown(d)), nil, none, nil
	}
	if p.cbMax > 0 && d.Purpose == dialgate.PurposeCallback && !d.TriggerAt.IsZero() &&
		!d.TriggerAt.After(d.At) && d.At.Sub(d.TriggerAt) <= p.cbMax {
		if !until {
			return nil, zp.exempt, none, nil
		}
		// Exempt up to and including TriggerAt+cbMax: the exemption ends 1
		// ns after (a callback decided at that very instant is exempt, for
		// 1 ns). Inside the windows too, the later end.
		end := d.TriggerAt.Add(p.cbMax + time.Nanosecond)
		if we, ok := p.windowEnd(d.At, zp.clocks); ok && we.After(end) {
			end = we
		}
		return nil, zp.exempt, p.beforeBlackout(d.At, end, d.To), nil
	}
	for _, tab := range zp.clocks {
		day, minute := tab.dayMinute(d.At)
		if !p.allowedLocal(day, minute) {
			return st.mark(p.deny(d.At, zp, d.To)), nil, none, nil
		}
	}
	if !until {
		return nil, zp.attest, none, nil
	}
	end, _ := p.windowEnd(d.At, zp.clocks)
	return nil, zp.attest, p.beforeBlackout(d.At, end, d.To), nil
}

// windowEnd returns, when every clock allows a call at t, the first instant
// after t at which one of them no longer does (or an earlier one: see
// clockEnd), and false when a clock does not allow t.
func (p *plan) windowEnd(t time.Time, clocks []*offsetTable) (time.Time, bool) {
	var end int64 = math.MaxInt64
	for _, tab := range clocks {
		e, ok := p.clockEnd(t, tab)
		if !ok {
			return time.Time{}, false
		}
		end = min(end, e)
	}
	return time.Unix(end, 0), true
}

// clockEnd returns the Unix second of the first instant after t at which
// tab's clock leaves calling time — or an earlier one, never a later: the
// next change of its UTC offset when that comes first, or the local
// midnight two days on when the calling time runs that long. It returns
// false when tab's clock does not allow a call at t.
func (p *plan) clockEnd(t time.Time, tab *offsetTable) (int64, bool) {
	s := t.Unix()
	off, change := tab.period(s)
	ls := s + off
	day := floorDiv(ls, 86400)
	minute := int((ls - day*86400) / 60)
	if !p.allowedLocal(day, minute) {
		return 0, false
	}
	wall := (day + 2) * 86400
	for k := int64(0); k < 2; k, minute = k+1, 0 {
		d := day + k
		if !p.allowedLocal(d, minute) {
			wall = d*86400 + int64(minute)*60
			break
		}
		if m := p.days[p.weekday(d)].nextUnset(minute); m >= 0 {
			wall = d*86400 + int64(m)*60
			break
		}
	}
	return min(wall-off, change), true
}

// beforeBlackout returns end, or the start of the first blackout covering to
// that begins after t, if earlier.
func (p *plan) beforeBlackout(t, end time.Time, to dialgate.Number) time.Time {
	for i := range p.blackouts {
		if b := &p.blackouts[i]; b.from.After(t) && b.from.Before(end) && b.covers(to) {
			end = b.from
		}
	}
	return end
}

// mark adds the evidence of the Declarations in force, if any, to the first
// of the deny reasons rs (built for this dial, not shared) and returns rs.
func (st *windowState) mark(rs []dialgate.Reason) []dialgate.Reason {
	if st.declEv != nil && len(rs) > 0 {
		rs[0].Evidence = append(rs[0].Evidence, st.declEv...)
	}
	return rs
}

// zonePlanFor returns the plan of n's zones, the default zone's plan when they
// are unknown, or nil (deny) when there is no default or a zone of n cannot be
// loaded.
func (w *WindowCheck) zonePlanFor(st *windowState, n dialgate.Number) *zonePlan {
	zs := numbering.LookupZones(n)
	if !zs.Known() {
		return st.def
	}
	id := zs.ID()
	if tab := *st.byID.Load(); id < len(tab) && tab[id] != nil {
		if tab[id].failed {
			return nil // a zone we know by name but cannot load: deny, never guess
		}
		return tab[id]
	}
	return w.buildZonePlan(st, zs)
}

// locatedPlan returns the plan of base's zones with zone, the callee's known
// location, added (nil, deny, when zone cannot be loaded). A plan is built
// once per zone set and zone; its evidence names the zone as
// schedule.callee_zone.
func (w *WindowCheck) locatedPlan(st *windowState, base *zonePlan, zone string) *zonePlan {
	key := locatedKey{set: base.set, zone: zone}
	if v, ok := st.located.Load(key); ok {
		zp := v.(*zonePlan)
		if zp.failed {
			return nil
		}
		return zp
	}
	zp := &zonePlan{failed: true}
	names, locs := slices.Clone(base.names), slices.Clone(base.locs)
	if !slices.Contains(names, zone) {
		if loc, err := time.LoadLocation(zone); err == nil {
			names, locs = append(names, zone), append(locs, loc)
			zp = nil
		}
	} else {
		zp = nil
	}
	if zp == nil {
		zp = newZonePlan(st.p, names, locs, st.declEv)
		zp.located = zone
		ev := dialgate.Evidence{Key: EvidenceCalleeZone, Value: zone}
		zp.attest = append(zp.attest, ev)
		zp.exempt = append(zp.exempt, ev)
		if base.def {
			zp.def = true
			src := dialgate.Evidence{Key: EvidenceZoneSource, Value: "default_zone"}
			zp.attest = append(zp.attest, src)
			zp.exempt = append(zp.exempt, src)
		}
	}
	v, _ := st.located.LoadOrStore(key, zp)
	if zp = v.(*zonePlan); zp.failed {
		return nil
	}
	return zp
}

func (w *WindowCheck) buildZonePlan(st *windowState, zs numbering.ZoneSet) *zonePlan {
	w.mu.Lock()
	defer w.mu.Unlock()
	id := zs.ID()
	old := *st.byID.Load()
	if id < len(old) && old[id] != nil {
		if old[id].failed {
			return nil
		}
		return old[id]
	}
	names := zs.Zones()
	locs := make([]*time.Location, 0, len(names))
	zp := &zonePlan{}
	for _, name := range names {
		loc, err := time.LoadLocation(name)
		if err != nil {
			zp.failed = true
			break
		}
		locs = append(locs, loc)
	}
	if !zp.failed {
		zp = newZonePlan(st.p, names, locs, st.declEv)
		zp.set = id
	}
	tab := make([]*zonePlan, max(len(old), id+1))
	copy(tab, old)
	tab[id] = zp
	st.byID.Store(&tab)
	if zp.failed {
		return nil // deny (schedule.zone_unknown) rather than use the default zone
	}
	return zp
}

func (w *WindowCheck) zoneUnknown(d dialgate.Dial) []dialgate.Reason {
	r := dialgate.Reason{
		Code:    dialgate.CodeZoneUnknown,
		Message: "the callee's time zone cannot be determined from the number and the profile names no default zone",
	}
	if seg := numbering.Classify(d.To).Segment; seg.IsValid() {
		r.Evidence = []dialgate.Evidence{{Key: EvidenceSegment, Value: seg.String()}}
	}
	return []dialgate.Reason{r}
}

// deny builds the reasons for a dial to the callee to at t that is outside
// calling time: inside a blackout covering the callee, outside the windows,
// on a holiday or a date without holiday data, or several of these. p is
// the callee's plan (forCallee).
func (p *plan) deny(t time.Time, zp *zonePlan, to dialgate.Number) []dialgate.Reason {
	var (
		ev        []dialgate.Evidence
		holidays  []string
		outside   []string
		uncovered []string
	)
	// judge files the clock reading desc (its day and minute) under what
	// denies it: no holiday data, a holiday, or outside the windows.
	judge := func(day int64, minute int, desc string) {
		if p.uncovered(day) {
			uncovered = append(uncovered, desc)
		} else if p.holidays.has(day) {
			name := p.holidays.names[day]
			ev = append(ev, dialgate.Evidence{Key: EvidenceHoliday, Value: name})
			holidays = append(holidays, desc+" ("+name+")")
		} else if !p.days[p.weekday(day)].has(minute) {
			outside = append(outside, desc)
		}
	}
	for i, loc := range zp.locs {
		lt := t.In(loc)
		day, minute := zp.tabs[i].dayMinute(t)
		ev = append(ev,
			dialgate.Evidence{Key: EvidenceZone, Value: zp.names[i]},
			dialgate.Evidence{Key: EvidenceLocalTime, Value: lt.Format(time.RFC3339)})
		judge(day, minute, lt.Format("Mon 2006-01-02 15:04")+" in "+zp.names[i])
	}
	for i, name := range zp.stdNames {
		tab := zp.clocks[len(zp.tabs)+i]
		st := t.In(time.FixedZone("", int(tab.offset(t.Unix()))))
		day, minute := tab.dayMinute(t)
		ev = append(ev,
			dialgate.Evidence{Key: EvidenceStandardZone, Value: name},
			dialgate.Evidence{Key: EvidenceStandardTime, Value: st.Format(time.RFC3339)})
		judge(day, minute, st.Format("Mon 2006-01-02 15:04")+" in the standard time of "+name+" (UTC"+st.Format("-07:00")+")")
	}
	if zp.def {
		ev = append(ev, dialgate.Evidence{Key: EvidenceZoneSource, Value: "default_zone"})
	}
	if zp.located != "" {
		ev = append(ev, dialgate.Evidence{Key: EvidenceCalleeZone, Value: zp.located})
	}
	next, ok := p.nextAllowed(t, zp.clocks, to)
	if ok {
		next = next.In(zp.locs[0])
	}
	suffix := "; no allowed time found within 400 days"
	if ok {
		// To the nanosecond: next may lie inside a second (the end of a
		// blackout given with a fraction), and the second before it is
		// still forbidden.
		nt := next.In(zp.locs[0]).Format(time.RFC3339Nano)
		ev = append(ev, dialgate.Evidence{Key: EvidenceNextAllowedAt, Value: nt})
		suffix = "; next allowed at " + nt
	}
	switch {
	case len(zp.locs) > 1 && len(zp.stdNames) > 0:
		suffix += " (the intersection of the windows of every candidate zone, in local and in standard time)"
	case len(zp.locs) > 1:
		suffix += " (the intersection of the windows of every candidate zone)"
	case len(zp.stdNames) > 0:
		suffix += " (inside the windows both in local and in standard time)"
	}
	var rs []dialgate.Reason
	if len(p.blackouts) != 0 {
		if active := p.activeBlackouts(t, to); len(active) > 0 {
			// One schedule.outside_window reason, never two: the windows'
			// verdict joins the blackout's message.
			also := ""
			if len(outside) > 0 {
				also = "; also outside the calling windows: " + strings.Join(outside, ", ")
				outside = nil
			}
			rs = append(rs, p.blackoutReason(active, next, also+suffix, ev))
		}
	}
	if len(uncovered) > 0 {
		rs = append(rs, dialgate.Reason{
			Code: dialgate.UnavailableCode(Name),
			Message: "no holiday data for the callee's local date " + strings.Join(uncovered, ", ") +
				" although the profile forbids calls on holidays (calendars " + p.coverDesc + ")" + suffix,
			NextAllowedAt: next,
			Evidence:      ev,
		})
	}
	if len(holidays) > 0 {
		rs = append(rs, dialgate.Reason{
			Code:          dialgate.CodeHoliday,
			Message:       "the callee's local date is a no-call holiday: " + strings.Join(holidays, ", ") + suffix,
			NextAllowedAt: next,
			Evidence:      ev,
		})
	}
	if len(outside) > 0 {
		rs = append(rs, dialgate.Reason{
			Code:          dialgate.CodeOutsideWindow,
			Message:       "outside the calling windows: " + strings.Join(outside, ", ") + suffix,
			NextAllowedAt: next,
			Evidence:      ev,
		})
	}
	return rs
}

// nextAllowed returns the earliest instant ≥ t at which every clock (a
// zone's local time or standard time) allows a call and no blackout covering
// the callee to is in force, and false if there is none: none within horizonDays of t, or of the end of the last
// blackout the search had to wait for.
func (p *plan) nextAllowed(t time.Time, tabs []*offsetTable, to dialgate.Number) (time.Time, bool) {
	if len(p.blackouts) == 0 {
		return p.nextInWindows(t, tabs)
	}
	// Each pass leaves one more blackout behind for good: the instant only
	// moves forward, and a blackout the window search lands in is passed by
	// the next pass. So len+1 passes suffice.
	c := t
	for range len(p.blackouts) + 1 {
		c = p.afterBlackouts(c, to)
		n, ok := p.nextInWindows(c, tabs)
		if !ok {
			return time.Time{}, false
		}
		if p.blackoutAt(n, to) < 0 {
			return n, true
		}
		c = n
	}
	return time.Time{}, false
}

// nextInWindows returns the earliest instant ≥ t at which every clock allows
// a call by its windows and holidays, and false if there is none within
// horizonDays.
func (p *plan) nextInWindows(t time.Time, tabs []*offsetTable) (time.Time, bool) {
	limit := t.Add(horizonDays * 24 * time.Hour)
	c := t
	for c.Before(limit) {
		moved := false
		for _, tab := range tabs {
			n, ok := p.nextInZone(c, tab, limit)
			if !ok {
				return time.Time{}, false
			}
			if n.After(c) {
				c, moved = n, true
			}
		}
		if !moved {
			return c, true
		}
	}
	return time.Time{}, false
}

// nextInZone returns the earliest instant ≥ c at which tab's zone allows a
// call. It takes the zone's offsets from tab, not from time.ZoneBounds, whose
// end of the period spanning a leap year's 31 December can lie before the
// instant asked (the search then went back to it for ever).
func (p *plan) nextInZone(c time.Time, tab *offsetTable, limit time.Time) (time.Time, bool) {
	for c.Before(limit) {
		off, end := tab.period(c.Unix())
		s := c.Unix() + off
		day := floorDiv(s, 86400)
		minute := int((s - day*86400) / 60)
		if p.allowedLocal(day, minute) {
			return c, true
		}
		// The next allowed local minute, assuming the offset does not change.
		wall, ok := p.nextAllowedWall(day, minute+1)
		if !ok {
			return time.Time{}, false
		}
		if cand := wall - off; cand < end {
			return time.Unix(cand, 0), true
		}
		// The offset changes first (DST): restart at the change.
		c = time.Unix(end, 0)
	}
	return time.Time{}, false
}

// nextAllowedWall returns the local wall time (seconds since 1970-01-01 local)
// of the first allowed minute at or after (day, minute), skipping forbidden
// dates, within horizonDays.
func (p *plan) nextAllowedWall(day int64, minute int) (int64, bool) {
	for k := int64(0); k <= horizonDays; k, minute = k+1, 0 {
		d := day + k
		if minute >= minutesPerDay || p.holidays.has(d) || p.uncovered(d) {
			continue
		}
		if m := p.days[p.weekday(d)].next(minute); m >= 0 {
			return d*86400 + int64(m)*60, true
		}
	}
	return 0, false
}
