// Package schedule decides whether a dial is inside calling time in the
// callee's local time: weekly calling windows, holidays, declared no-call
// periods, and the instant-callback exemption (REQUIREMENTS.md CN-S4a, §2 and
// §4).
//
// # Windows
//
// A [Config] lists weekly windows: for each day, one or more "HH:MM-HH:MM"
// ranges, start inclusive, end exclusive, in the callee's local wall-clock
// time. A range whose end is before its start runs past midnight into the next
// day ("21:00-02:00" on fri covers Saturday 00:00–02:00); "24:00" is allowed as
// an end. Windows may not overlap and may not be empty; a day no window names
// has no calling time. Config.Validate names the bad field:
//
//	schedule.windows[0].ranges[1]: "25:00" is not a time …
//
// # Zones
//
// The callee's candidate zones come from [numbering.LookupZones] (+86 is
// Asia/Shanghai; elsewhere the libphonenumber data). A number whose area spans
// several zones is allowed only when every zone is inside a window: the
// intersection; an exchange the data does not list, in an area split between
// zones, has every zone of the area. A dial naming the callee's known zone
// (dialgate.Dial.CalleeZone) is judged there as well (evidence
// schedule.callee_zone): the zone is added to the number's, never replaces
// them. A number without a known zone is denied with schedule.zone_unknown
// unless the Config names a DefaultZone (then judged in it, and in the
// callee's zone when given). Local time is
// wall-clock time: on a daylight-saving day a window that starts in the
// skipped hour opens at the first instant after it, and a window in the
// repeated hour happens twice.
//
// # Standard time
//
// Config.AlsoInStandardTime is for a rule that states its hours in standard
// time ("between 8:00 a.m. and 8:00 p.m. Central Standard Time", Miss. Code
// Ann. § 77-3-723(1)), which may be read as the callee's local time or
// literally. dialgate keeps what both readings allow: the windows and
// holidays are read a second time in standard time — the UTC offset with the
// daylight-saving shift taken out, as the zone database marks it — of the
// named zone (America/Chicago: UTC−06:00 all year, for every callee) or, with
// no zone named, of each of the callee's candidate zones, and a dial must be
// inside both. During daylight-saving time "08:00-20:00" then allows
// 09:00–20:00 CDT; in winter 08:00–20:00 CST. NextAllowedAt honours both, the
// instant-callback exemption exempts from both, and a deny's evidence carries
// schedule.standard_zone and schedule.standard_time (the instant at the
// standard offset).
//
// # Holidays
//
// Holidays are data: calendar files (see [ParseCalendar] for the format)
// embedded in the package, each with its source — cn-2026 (statutory holidays
// and make-up working days, 调休), us-federal-2026 and -2027, us-al-2026 and
// -2027, us-la-2026 and -2027, fr-2026 and -2027, fr-alsace-moselle-2026 and -2027 (Alsace-Moselle's
// Good Friday and 26 December), fr-590, fr-594, fr-596 and fr-262 (the
// overseas days, for Holidays.Regional), au-national-2026 and -2027 —
// and more given with [WithCalendars]. There is no cn-2027: China's 2027
// holidays are set by a State Council notice, not by a rule, and are added
// when it is published. A profile
// decides whether holidays forbid calls (Holidays.Forbid, code
// schedule.holiday) and which weekday's windows a make-up working day uses.
// The callee's local date decides.
//
// # Declared no-call periods (blackouts)
//
// Config.Blackouts are periods nobody can know in advance — a governor's
// declared state of emergency (us-la: La. R.S. 45:844.31) — that the operator
// adds to its profile when they are declared: each an absolute [from, until)
// span of instants (RFC 3339 with an offset, so daylight-saving changes do not
// move it), optional E.164 prefixes of the callees it covers ("+1504"; none:
// every callee), a reason shown in the deny, and a citation. A dial inside one
// is denied with schedule.outside_window (evidence schedule.blackout and
// schedule.blackout_until) for every purpose of Config.Purposes, instant
// callbacks included, and NextAllowedAt is the first instant after it that
// the windows and holidays allow. A blackout must end; an emergency that is
// extended is a new entry.
//
// Blackouts can also be declared while a WindowCheck runs, without
// rebuilding it: [Declarations] (a dialgate.blackouts.v1 file,
// [ParseDeclarations]) put in force by [WindowCheck.Declare] beside the
// Config's, named in the evidence of every dial the check judges
// ([EvidenceDeclarations]). [WindowCheck.DeclarationsFailed] records that
// the declarations to be in force could not be loaded: the check then fails
// ([ErrDeclarationsUnavailable], schedule.unavailable) rather than miss a
// declared emergency. `dialgate serve` does both for its blackouts_file.
//
// # Instant callbacks
//
// A dial of purpose callback whose TriggerAt is no older than
// Callback.MaxTriggerAge (cn: 30 min) is exempt from windows and holidays —
// not from blackouts, nor from any other check. A future or missing TriggerAt is rejected by
// dialgate.Dial.Validate as dial.invalid before any check runs; this check
// never exempts such a dial.
//
// # Reasons and evidence
//
// A denial carries the zone(s), the local time in each, and
// Reason.NextAllowedAt: the earliest instant at which every zone allows the
// dial, across nights, weekends, DST changes, holidays and blackouts (zero
// when none exists within 400 days of the decision or of the last blackout's
// end). Passing dials attest the zone(s) they were judged
// in. Callee numbers never appear in messages or evidence.
//
// [WindowCheck] compiles everything at construction (per-minute bitmaps per
// weekday, holiday bitmaps, per-zone UTC-offset tables) and allocates nothing
// on the allowed path. Frequency caps live in this package too (caps*.go).
//
// # Frequency caps
//
// [CapsConfig] lists sliding-window caps per callee (or subject) across all
// caller IDs and campaigns of a tenant, and the pauses after a reported
// conversation, abandoned call or refusal; [CapCheck], the check
// "frequency", enforces them over a storage.Counters. A cap counts each
// allowed dial at its decision instant, but the dialer may place the call
// until the allow's Decision.ValidUntil, up to the Gate's allow lifetime
// after it: every cap therefore counts the calls decided within its window
// plus that lifetime ([WithAllowLifetime], default
// dialgate.DefaultAllowLifetime, 60 s), so that calls placed late in their
// allows still keep the window apart. Under cn's "1 call per 5 minutes" two
// decisions for one callee are at least 6 minutes apart; the
// frequency.capped message says so ("counted over 6m: an allow may be
// dialled up to 1m after its decision"), and next_allowed_at follows.
// dialgate.New refuses a Gate whose allow lifetime is longer than its
// CapCheck counts; policy.Build passes the Gate's lifetime on. Pauses run
// from the reported outcome to the next decision and are not widened.
//
// # Minimum ring time
//
// [RingConfig] is how long an unanswered call must ring before the dialer
// gives up on it (no one-ring calls, “响一声”). The gate cannot hold a ring
// open, so [RingCheck] never denies: it puts the minimum on every decision as
// the evidence "ring.min_seconds", an instruction to the dialer, and the
// quarterly report counts the unanswered calls reported with a shorter ring.
//
// # Abandoned-call rate cap
//
// [AbandonConfig] caps a campaign's abandoned-call rate (us: 3 % of the
// answered marketing calls over 30 days; uk: 3 % over 24 hours).
// [AbandonCheck], the check "abandon", counts per tenant and campaign, from
// the outcomes reported, the calls a person answered and the abandoned ones,
// in the storage.Counters a fleet shares, and denies
// abandon.rate_exceeded while the rate is above the cap, except a dial with
// an agent reserved (dialgate.Dial.AgentReserved) — until a call of the
// campaign whose dial said so is reported abandoned: for the window after
// that outcome the claim exempts none of the campaign's dials.
package schedule
