package schedule

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dialgate/dialgate"
)

// ErrInvalidConfig is wrapped by every error Config.Validate and NewWindowCheck
// return for a bad configuration.
var ErrInvalidConfig = errors.New("schedule: invalid configuration")

// Config is the calling-time section of a profile (`schedule:` in a profile
// file). It is plain data; NewWindowCheck validates and compiles it.
//
// The zero Config is not valid: a profile must list its calling windows
// (Validate says "schedule.windows: missing"). To allow calls at any hour, give
// the window "00:00-24:00" for every day.
type Config struct {
	// Windows are the weekly calling windows in the callee's local time. A day
	// no window names has no calling time. Windows must not overlap.
	Windows []Window `json:"windows"`
	// Purposes limits the windows, holidays and blackouts to dials of these
	// purposes; empty means every purpose.
	Purposes []dialgate.Purpose `json:"purposes,omitempty"`
	// DefaultZone is the zone assumed when a callee's zone cannot be told from
	// the number. Nil means such dials are denied with schedule.zone_unknown.
	DefaultZone *Zone `json:"default_zone,omitempty"`
	// Holidays says which calendars' days forbid calls. Nil: no calendar,
	// holidays are ordinary days.
	Holidays *Holidays `json:"holidays,omitempty"`
	// Callback is the instant-callback exemption. Nil: no exemption,
	// callbacks follow the windows.
	Callback *Callback `json:"callback,omitempty"`
	// Blackouts are declared no-call periods (a governor's state of
	// emergency): absolute instants during which no callee they cover may be
	// called, whatever the windows say. Nil: none. Entries may overlap. See
	// Blackout.
	Blackouts []Blackout `json:"blackouts,omitempty"`
	// AlsoInStandardTime makes the windows and holidays hold in standard
	// time as well as in the callee's local wall-clock time, for a rule
	// that states its hours in standard time. Nil: local time only. See
	// StandardTime.
	AlsoInStandardTime *StandardTime `json:"also_in_standard_time,omitempty"`
}

// StandardTime reads the calling windows a second time, in standard time:
// the UTC offset of a zone with its daylight-saving shift taken out (as the
// zone database marks it). A dial is inside calling time only when the
// callee's local time is inside the windows, on no forbidden holiday, in
// every candidate zone (as without this setting) AND the standard time is
// too: the standard time of Zone when it is given, else the standard time of
// each of the callee's candidate zones. Outside daylight-saving time the two
// readings agree; during it, the standard time is an hour behind (for most
// zones), so that "08:00-20:00" allows 09:00–20:00 local time.
//
// It is for a statute whose words admit two readings, as Miss. Code Ann.
// § 77-3-723(1): calls "between the hours of 8:00 a.m. and 8:00 p.m. Central
// Standard Time", usually read as the callee's local time, literally
// UTC−06:00 all year. dialgate fails closed and keeps only what both
// readings allow. The instant-callback exemption exempts from both readings;
// blackouts are absolute instants and unaffected.
//
// The zero StandardTime is not valid (no citation).
type StandardTime struct {
	// Zone is the IANA zone whose standard time is meant
	// ("America/Chicago": Central Standard Time for every callee, whatever
	// zone the number is in). Empty means the standard time of each of the
	// callee's own candidate zones (and of Config.DefaultZone when that is
	// used).
	Zone string `json:"zone,omitempty"`
	// Cite says which rule states its hours in standard time. Required.
	Cite dialgate.Citation `json:"cite"`
}

// Blackout is a declared no-call period: from From (inclusive) until Until
// (exclusive), a dial to a callee it covers is denied with
// schedule.outside_window, for every purpose the schedule applies to
// (Config.Purposes), instant callbacks included — the callback exemption is
// from rest hours, and a declared emergency is not rest hours. The reason's
// message names Reason and Until, and its NextAllowedAt is the first instant
// at or after Until (and after any other blackout covering the callee) that
// the windows and holidays allow.
//
// Blackouts are data an operator adds when an emergency is declared, for
// dates and areas nobody knows in advance: they live in the operator's
// profile file (an overlay that extends a built-in profile), not in the
// built-in profiles. From and Until are absolute instants (RFC 3339 with an
// offset), not local times: daylight-saving changes do not move them.
//
// A blackout must end: there is no open-ended entry. When an emergency is
// extended, add a new entry from the old end (or move Until); when it is
// lifted early, move Until. Either is a profile change: a new WindowCheck
// (for `dialgate serve`, a restart).
//
// The zero Blackout is not valid (no From, Until, Reason or Cite).
type Blackout struct {
	// From is the first instant of the period, inclusive. Required.
	From time.Time `json:"from"`
	// Until is the end of the period, exclusive; after From. Required.
	Until time.Time `json:"until"`
	// Prefixes are E.164 prefixes ("+1225", "+1504": Louisiana area codes),
	// "+" and 1–15 digits, the first not 0. A callee is covered when its
	// E.164 digits start with one of them, under either spelling of its
	// line (+596 596 … and +33 596 …, +52 1 55 … and +52 55 …:
	// numbering.LineAlias).
	// Empty means every callee of the profile.
	Prefixes []string `json:"prefixes,omitempty"`
	// Reason says what was declared, in plain words, as the deny's message
	// shows it ("Hurricane X, Proclamation 123 JBE 2026"). Required; at most
	// 200 characters, no control characters.
	Reason string `json:"reason"`
	// Cite says which rule makes the period a no-call period. Required.
	Cite dialgate.Citation `json:"cite"`
}

// Zone names an IANA time zone, with the reason it is assumed.
type Zone struct {
	// Name is the IANA zone name ("Asia/Shanghai"). Required; not a name
	// that is no place ("Local", "localtime", "posixrules", "Factory", the
	// posix/ and right/ copies some hosts install).
	Name string `json:"name"`
	// Cite says why the zone is assumed. Required.
	Cite dialgate.Citation `json:"cite"`
}

// Window is one weekly calling-window rule: the same time ranges on each of
// the named days.
type Window struct {
	// Days are weekday names ("mon" … "sun") or ranges of them ("mon-fri").
	Days []string `json:"days"`
	// Ranges are "HH:MM-HH:MM" local-time ranges, start inclusive, end
	// exclusive. An end before its start spans midnight into the next day
	// ("21:00-02:00"); "24:00" is allowed as an end.
	Ranges []string `json:"ranges"`
	// Cite says where the window comes from. Required.
	Cite dialgate.Citation `json:"cite"`
}

// Holidays makes the days of holiday calendars no-call days.
//
// The zero Holidays is not valid: it names no calendar.
type Holidays struct {
	// Forbid makes every holiday of the calendars a no-call day
	// (schedule.holiday), in the callee's local date.
	Forbid bool `json:"forbid"`
	// Calendars names the calendars (built-in, see Calendars, or given with
	// WithCalendars). Required.
	//
	// With Forbid, a local date can be decided only in a year every series of
	// the calendars covers (see Calendar.Series): the calendars of one series
	// add their years up ([fr-2026, fr-2027] covers 2026 and 2027), while
	// different series must each cover the year ([us-federal-2027, us-al-2026]
	// covers no year). Any other date is denied with schedule.unavailable.
	Calendars []string `json:"calendars"`
	// Regional are holidays of part of the callees: those whose E.164 number
	// starts with one of an entry's Prefixes (an overseas department's
	// country code). For such a callee the entry's calendars count on top of
	// Calendars, under the same Forbid and coverage rules: a regional series
	// that has ended denies those callees with schedule.unavailable. No
	// prefix of one entry may start with a prefix of another, so at most one
	// entry applies to a callee.
	Regional []RegionalHolidays `json:"regional,omitempty"`
	// MakeupWorkdaysAs names the weekday ("mon" … "sun") whose windows apply on
	// the calendars' make-up working days (调休: a weekend day worked in
	// exchange for a holiday). Empty means make-up working days keep the
	// windows of their own weekday.
	MakeupWorkdaysAs string `json:"makeup_workdays_as,omitempty"`
	// Cite says where the holiday rule comes from. Required.
	Cite dialgate.Citation `json:"cite"`
}

// AllCalendars returns the names of Calendars and of every Regional entry's
// calendars, each once, in that order: what the profile's holiday data is
// made of (for coverage warnings and gauges).
func (h *Holidays) AllCalendars() []string {
	if h == nil {
		return nil
	}
	out := slices.Clone(h.Calendars)
	for _, r := range h.Regional {
		for _, c := range r.Calendars {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// RegionalHolidays are the holiday calendars of the callees whose numbers
// start with one of Prefixes (see Holidays.Regional).
//
// The zero RegionalHolidays is not valid: it names no prefix and no calendar.
type RegionalHolidays struct {
	// Prefixes are E.164 prefixes, "+" and 1–15 digits ("+590", "+262").
	// Required. A callee whose E.164 digits start with none of any entry's
	// prefixes is matched by the other spelling of its line
	// (numbering.LineAlias): an entry for "+596" covers +33 596 12 34 56
	// too.
	Prefixes []string `json:"prefixes"`
	// Calendars names the calendars of those callees. Required.
	Calendars []string `json:"calendars"`
}

// Callback is the instant-callback exemption: a dial of purpose callback whose
// TriggerAt is no older than MaxTriggerAge at the decision instant is exempt
// from the windows and holidays (never from blackouts, nor from other checks).
//
// The zero Callback is not valid: a Config without the exemption leaves
// Config.Callback nil.
type Callback struct {
	// MaxTriggerAge is the oldest trigger that still exempts, e.g. "30m".
	// Required, positive, at most 24 h.
	MaxTriggerAge dialgate.Duration `json:"max_trigger_age"`
	// Cite says where the exemption comes from. Required.
	Cite dialgate.Citation `json:"cite"`
}

func cfgErr(field, format string, args ...any) error {
	return fieldErr("schedule."+field, format, args...)
}

// fieldErr is cfgErr for a field named in full ("blackouts[0].until" of a
// declarations file).
func fieldErr(field, format string, args ...any) error {
	return fmt.Errorf("%s: %s: %w", field, fmt.Sprintf(format, args...), ErrInvalidConfig)
}

// Validate reports the first problem of c as an error naming the field
// ("schedule.windows[1].ranges[0]: \"25:00\" is not a time"), wrapping
// ErrInvalidConfig: no windows, an empty day list or range list, a bad time or
// day name, an empty range, overlapping ranges, an unknown zone, purpose or
// calendar name, a missing citation, an unknown also_in_standard_time.zone, a
// blackout without from, until, reason
// or citation, one whose until is not after its from, or a bad prefix
// ("schedule.blackouts[0].prefixes[1]: \"1504\" is not an E.164 prefix …").
// Calendar names are checked against the built-in calendars only;
// NewWindowCheck also knows calendars given with WithCalendars.
func (c Config) Validate() error {
	_, err := compileConfig(c, builtinCalendars())
	return err
}

// weekdays in the order used throughout the package: Monday = 0.
var dayNames = [7]string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

func parseDay(s string) (int, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, n := range dayNames {
		if s == n {
			return i, true
		}
	}
	return 0, false
}

// parseDays expands "mon", "mon-fri" (and wrapping "sat-mon") into day indexes.
func parseDays(s string) ([]int, error) {
	from, to, isRange := strings.Cut(s, "-")
	a, ok := parseDay(from)
	if !ok {
		return nil, fmt.Errorf("%q is not a day (want mon, tue, wed, thu, fri, sat, sun or a range such as mon-fri)", s)
	}
	if !isRange {
		return []int{a}, nil
	}
	b, ok := parseDay(to)
	if !ok {
		return nil, fmt.Errorf("%q is not a day range (want e.g. mon-fri)", s)
	}
	var days []int
	for d := a; ; d = (d + 1) % 7 {
		days = append(days, d)
		if d == b {
			break
		}
	}
	return days, nil
}

// ParseRange parses an "HH:MM-HH:MM" range into minutes after midnight. end is
// greater than start, and may exceed 1440 when the range spans midnight
// ("21:00-02:00" is 1260, 1560). A range with equal start and end is empty and
// an error; so is any malformed time. "24:00" is accepted as an end only.
func ParseRange(s string) (start, end int, err error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("%q is not a range (want HH:MM-HH:MM)", s)
	}
	start, err = parseClock(a, false)
	if err != nil {
		return 0, 0, err
	}
	end, err = parseClock(b, true)
	if err != nil {
		return 0, 0, err
	}
	switch {
	case end == start:
		return 0, 0, fmt.Errorf("%q is empty (start equals end)", s)
	case end < start:
		end += 1440
	}
	return start, end, nil
}

// parseClock parses "HH:MM" (two digits each, 00:00–23:59, and 24:00 when
// allowEnd) into minutes after midnight.
func parseClock(s string, allowEnd bool) (int, error) {
	s = strings.TrimSpace(s)
	bad := func() (int, error) {
		return 0, fmt.Errorf("%q is not a time (want HH:MM, 00:00–23:59, or 24:00 as an end)", s)
	}
	if len(s) != 5 || s[2] != ':' {
		return bad()
	}
	for _, i := range [...]int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return bad()
		}
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if m > 59 || h > 24 || (h == 24 && (m != 0 || !allowEnd)) {
		return bad()
	}
	return h*60 + m, nil
}
