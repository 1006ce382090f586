package policy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/sweep"
)

// isLaw reports whether a citation binds: a law or regulation (L) or
// regulator guidance (R). Conventions (U), vendor practice (V) and secondary
// sources (S) are the profile author's to change.
func isLaw(c dialgate.Citation) bool {
	return c.Source == dialgate.SourceLaw || c.Source == dialgate.SourceRegulator
}

// overlayWarnings compares p with the built-in profile it extends and warns
// about every rule the base cites to a law or a regulator (L, R) that p
// relaxes or removes: a wider calling window, holidays no longer forbidden (or
// a holiday calendar dropped), a new callback exemption, a default zone for
// callees whose zone is unknown, a shorter recording retention, a registry no longer
// required or allowed older, a shorter do-not-call hold, do-not-call lists
// limited to fewer purposes, refusals no longer listed, consent no longer
// required, a looser frequency cap or pause, an abandoned-call rate cap
// removed, raised, measured over another window or limited to fewer
// purposes, a shorter minimum ring time, a
// caller-ID or provenance rule removed, a sequential-run or stride rule removed or
// loosened (its max_step lowered or dropped too). The merge of extends lets an overlay do all of that; Lint makes it
// visible. The comparison is with the nearest built-in profile of p's extends
// chain: the base itself when it is built in; for a base that is a file (which
// may extend another file), the built-in profile that chain ends on, so that
// a weakening in a file lower in the chain is reported for the file on top.
// A chain of files only is not compared.
func overlayWarnings(p *Profile, now time.Time) []Warning {
	ref := p.lintBase
	if ref == "" && slices.Contains(Builtins(), p.Extends) {
		ref = p.Extends
	}
	if ref == "" {
		return nil
	}
	base, err := Builtin(ref)
	if err != nil {
		return nil
	}
	var ws []Warning
	warn := func(path string, c dialgate.Citation, format string, args ...any) {
		ws = append(ws, Warning{Path: path, Message: fmt.Sprintf(format, args...) + " (" + c.Ref + ")"})
	}
	bn := base.Name

	// dnc
	if b := base.DNC; b != nil {
		var pd = p.DNC
		for _, r := range b.Registries {
			if !isLaw(r.Cite) {
				continue
			}
			j := -1
			if pd != nil {
				j = slices.IndexFunc(pd.Registries, func(x dnc.RegistryConfig) bool { return x.Name == r.Name })
			}
			switch {
			case j < 0:
				warn("dnc.registries", r.Cite, "registry %s of base %s is not required", r.Name, bn)
			case r.MaxAge > 0 && pd.Registries[j].MaxAge == 0:
				warn(fmt.Sprintf("dnc.registries[%d].max_age", j), r.Cite, "no limit, base %s allows %s", bn, r.MaxAge)
			case r.MaxAge > 0 && pd.Registries[j].MaxAge > r.MaxAge:
				warn(fmt.Sprintf("dnc.registries[%d].max_age", j), r.Cite, "%s is longer than the %s of base %s", pd.Registries[j].MaxAge, r.MaxAge, bn)
			}
			// A copy in another scope lists the registry's numbers for
			// other dials than the base's (a national registry's for one
			// industry's dials only).
			if j >= 0 {
				bs, berr := r.CopyScope()
				ps, perr := pd.Registries[j].CopyScope()
				if berr == nil && perr == nil && ps != bs {
					warn(fmt.Sprintf("dnc.registries[%d].scope", j), r.Cite, "%s, base %s requires the registry in scope %s", ps, bn, bs)
				}
			}
		}
		if h := b.Hold; (h.Months != 0 || h.Days != 0) && isLaw(h.Cite) {
			if pd == nil || pd.Hold.Until(now).Before(h.Until(now)) {
				warn("dnc.hold", h.Cite, "shorter than the %d months %d days of base %s", h.Months, h.Days, bn)
			}
		}
		// dnc.purposes limits every registry and list of the section: the
		// dials of the other purposes are no longer screened at all.
		if c, ok := dncLawCite(b); ok && pd != nil && !coversPurposes(pd.Purposes, b.Purposes) {
			of := "every purpose"
			if len(b.Purposes) > 0 {
				of = joinPurposes(b.Purposes, ", ")
			}
			warn("dnc.purposes", c, "limits the do-not-call lists to %s; base %s applies them to %s", joinPurposes(pd.Purposes, ", "), bn, of)
		}
		if r := b.ListRefusals; r != nil && isLaw(r.Cite) && (pd == nil || pd.ListRefusals == nil) {
			warn("dnc.list_refusals", r.Cite, "removed; base %s lists the callee of a refused call at once", bn)
		}
	}

	// consent
	if b := base.Consent; b != nil {
		for _, r := range b.Require {
			if !isLaw(r.Cite) {
				continue
			}
			for _, pu := range r.Purposes {
				if p.Consent != nil && slices.ContainsFunc(p.Consent.Require, func(q consent.Requirement) bool {
					return slices.Contains(q.Purposes, pu) && asStrictConsent(q, r)
				}) {
					continue
				}
				from := ""
				if !r.EffectiveFrom.IsZero() {
					from = " from " + r.EffectiveFrom.Format(time.DateOnly)
				}
				warn("consent", r.Cite, "base %s requires consent for %s calls%s; this profile does not, or asks less of it", bn, pu, from)
			}
		}
	}

	// callerid
	if b := base.CallerID; b != nil {
		if p.CallerID == nil {
			if isLaw(b.Cite) {
				warn("callerid", b.Cite, "removed; base %s requires a caller ID", bn)
			}
		} else {
			pc := p.CallerID
			for _, r := range []struct {
				name      string
				base, now bool
				cite      dialgate.Citation
			}{
				{"ledger", b.Ledger != nil, pc.Ledger != nil, ruleCite(b.Ledger)},
				{"subscriber_number", b.SubscriberNumber != nil, pc.SubscriberNumber != nil, ruleCite(b.SubscriberNumber)},
				{"inbound_only", b.InboundOnly != nil, pc.InboundOnly != nil, ruleCite(b.InboundOnly)},
				{"international_route", b.InternationalRoute != nil, pc.InternationalRoute != nil, ruleCite(b.InternationalRoute)},
			} {
				if r.base && !r.now && isLaw(r.cite) {
					warn("callerid."+r.name, r.cite, "removed; base %s has the rule", bn)
				}
			}
		}
	}

	// sweep
	if b := base.Sweep; b != nil && b.Provenance != nil && isLaw(b.Provenance.Cite) {
		if p.Sweep == nil || p.Sweep.Provenance == nil {
			warn("sweep.provenance", b.Provenance.Cite, "removed; base %s denies dials without lead provenance", bn)
		}
	}
	if b := base.Sweep; b != nil {
		ws = append(ws, runOverlayWarnings("sweep.sequential", "runs of %d numbers of one segment", b.Sequential, sweepSequential(p), bn)...)
		ws = append(ws, runOverlayWarnings("sweep.stride", "strides of %d segments dialled with the same last four digits", b.Stride, sweepStride(p), bn)...)
	}

	// schedule
	if b := base.Schedule; b != nil {
		ws = append(ws, scheduleOverlayWarnings(b, p.Schedule, bn)...)
	}

	// frequency
	if b := base.Frequency; b != nil {
		var pf = p.Frequency
		for _, c := range b.Caps {
			if !isLaw(c.Cite) {
				continue
			}
			if pf != nil && slices.ContainsFunc(pf.Caps, func(q schedule.Cap) bool {
				return capScope(q.Per) == capScope(c.Per) && coversPurposes(q.Purposes, c.Purposes) && q.Count <= c.Count && q.Window >= c.Window
			}) {
				continue
			}
			warn("frequency", c.Cite, "base %s caps %s; this profile has no cap as strict", bn, c)
		}
		for _, pz := range []struct {
			field, after string
			get          func(*schedule.CapsConfig) *schedule.Pause
		}{
			{"pause_after_conversation", "a conversation", func(c *schedule.CapsConfig) *schedule.Pause { return c.PauseAfterConversation }},
			{"pause_after_abandoned", "an abandoned call", func(c *schedule.CapsConfig) *schedule.Pause { return c.PauseAfterAbandoned }},
			{"pause_after_refusal", "a refusal", func(c *schedule.CapsConfig) *schedule.Pause { return c.PauseAfterRefusal }},
		} {
			c := pz.get(b)
			if c == nil || !isLaw(c.Cite) {
				continue
			}
			var q *schedule.Pause
			if pf != nil {
				q = pz.get(pf)
			}
			if q == nil || capScope(q.Per) != capScope(c.Per) || !coversPurposes(q.Purposes, c.Purposes) || q.Window < c.Window {
				warn("frequency."+pz.field, c.Cite, "base %s pauses %s after %s, per %s; this profile pauses less", bn, c.Window, pz.after, capScope(c.Per))
			}
		}
	}

	// abandonment
	if b := base.Abandonment; b != nil && isLaw(b.Cite) {
		ws = append(ws, abandonOverlayWarnings(b, p.Abandonment, bn)...)
	}

	// ring
	if b := base.Ring; b != nil && isLaw(b.Cite) {
		switch pr := p.Ring; {
		case pr == nil:
			warn("ring", b.Cite, "removed; base %s tells the dialer to let an unanswered call ring at least %s", bn, b.Min)
		case pr.Min < b.Min:
			warn("ring.min", b.Cite, "%s is shorter than the %s of base %s", pr.Min, b.Min, bn)
		}
	}

	// recording
	if b := base.Recording; b != nil && isLaw(b.Cite) {
		switch pr := p.Recording; {
		case pr == nil:
			if b.Required || b.RetentionPeriod() > recording.MinRetention {
				warn("recording", b.Cite, "removed; base %s keeps recordings %s", bn, dialgate.Duration(b.RetentionPeriod()))
			}
		default:
			if pr.RetentionPeriod() < b.RetentionPeriod() {
				warn("recording.retention", b.Cite, "%s is shorter than the %s of base %s", dialgate.Duration(pr.RetentionPeriod()), dialgate.Duration(b.RetentionPeriod()), bn)
			}
			if b.Required && !pr.Required {
				warn("recording.required", b.Cite, "off; base %s requires every call to be recorded", bn)
			}
		}
	}
	return ws
}

// dncLawCite returns the citation of the first rule of the do-not-call
// section b that a law or a regulator requires (a registry, the hold, the
// listing of refusals), and whether there is one.
func dncLawCite(b *dnc.Config) (dialgate.Citation, bool) {
	for _, r := range b.Registries {
		if isLaw(r.Cite) {
			return r.Cite, true
		}
	}
	if (b.Hold.Months != 0 || b.Hold.Days != 0) && isLaw(b.Hold.Cite) {
		return b.Hold.Cite, true
	}
	if r := b.ListRefusals; r != nil && isLaw(r.Cite) {
		return r.Cite, true
	}
	return dialgate.Citation{}, false
}

// scheduleOverlayWarnings compares the calling-time sections.
func scheduleOverlayWarnings(b, p *schedule.Config, bn string) []Warning {
	var ws []Warning
	warn := func(path string, c dialgate.Citation, format string, args ...any) {
		ws = append(ws, Warning{Path: path, Message: fmt.Sprintf(format, args...) + " (" + c.Ref + ")"})
	}
	lawIdx := slices.IndexFunc(b.Windows, func(w schedule.Window) bool { return isLaw(w.Cite) })
	if lawIdx >= 0 {
		lawCite := b.Windows[lawIdx].Cite
		switch {
		case p == nil:
			warn("schedule", lawCite, "removed; base %s restricts calling time", bn)
		default:
			bw, pw := weekMinutes(b.Windows), weekMinutes(p.Windows)
			for m := range bw {
				if pw[m] && !bw[m] {
					warn("schedule.windows", lawCite, "allows %s %02d:%02d, which base %s forbids", dayName(m/1440), m%1440/60, m%60, bn)
					break
				}
			}
			if len(p.Purposes) > 0 && !coversPurposes(p.Purposes, b.Purposes) {
				warn("schedule.purposes", lawCite, "limits the windows to %v; base %s applies them to more purposes", p.Purposes, bn)
			}
			if p.Callback != nil && (b.Callback == nil || p.Callback.MaxTriggerAge > b.Callback.MaxTriggerAge) {
				warn("schedule.callback", lawCite, "exempts callbacks from the windows of base %s", bn)
			}
			// A default zone decides dials the base denies (schedule.zone_unknown)
			// by a guessed local time.
			if z := p.DefaultZone; z != nil && (b.DefaultZone == nil || b.DefaultZone.Name != z.Name) {
				if b.DefaultZone == nil {
					warn("schedule.default_zone", lawCite, "assumes %s for a callee whose zone is unknown; base %s denies such dials (schedule.zone_unknown)", z.Name, bn)
				} else {
					warn("schedule.default_zone", lawCite, "assumes %s for a callee whose zone is unknown; base %s assumes %s", z.Name, bn, b.DefaultZone.Name)
				}
			}
		}
	}
	if st := b.AlsoInStandardTime; st != nil && isLaw(st.Cite) {
		switch {
		case p == nil || p.AlsoInStandardTime == nil:
			warn("schedule.also_in_standard_time", st.Cite, "removed; base %s reads the windows also in standard time", bn)
		case p.AlsoInStandardTime.Zone != st.Zone:
			warn("schedule.also_in_standard_time.zone", st.Cite, "%s, base %s reads the windows in the standard time of %s", zoneWord(p.AlsoInStandardTime.Zone), bn, zoneWord(st.Zone))
		}
	}
	if h := b.Holidays; h != nil && h.Forbid && isLaw(h.Cite) {
		if p == nil || p.Holidays == nil || !p.Holidays.Forbid {
			warn("schedule.holidays", h.Cite, "base %s forbids calls on holidays; this profile does not", bn)
		} else {
			// calendars and regional are lists: an overlay that sets one
			// replaces it whole, and the holidays of a calendar left out, or
			// no longer listed for some of the callees the base gives it to
			// (a regional entry narrowed or moved to another prefix, a
			// national calendar made regional), become calling days for them.
			for _, c := range h.AllCalendars() {
				if !slices.Contains(p.Holidays.AllCalendars(), c) {
					warn("schedule.holidays", h.Cite, "calendar %s of base %s is not listed: calls are no longer forbidden on its holidays", c, bn)
					continue
				}
				if slices.Contains(p.Holidays.Calendars, c) {
					continue // every callee's
				}
				listed := regionalPrefixes(p.Holidays, c)
				if slices.Contains(h.Calendars, c) {
					warn("schedule.holidays", h.Cite, "calendar %s of base %s is not listed for every callee (listed for %s only): calls to the others are no longer forbidden on its holidays", c, bn, strings.Join(listed, ", "))
					continue
				}
				for _, bp := range regionalPrefixes(h, c) {
					if !slices.ContainsFunc(listed, func(q string) bool { return strings.HasPrefix(bp, q) }) {
						warn("schedule.holidays", h.Cite, "calendar %s of base %s is not listed for every callee of %s (listed for %s only): calls to them are no longer forbidden on its holidays", c, bn, bp, strings.Join(listed, ", "))
					}
				}
			}
		}
	}
	return ws
}

// regionalPrefixes returns the prefixes of the Regional entries of h that
// list calendar c.
func regionalPrefixes(h *schedule.Holidays, c string) []string {
	var out []string
	for _, r := range h.Regional {
		if slices.Contains(r.Calendars, c) {
			out = append(out, r.Prefixes...)
		}
	}
	return out
}

// zoneWord names the zone of a StandardTime in a warning.
func zoneWord(z string) string {
	if z == "" {
		return "the callee's zones"
	}
	return z
}

var weekDayNames = [7]string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

func dayName(d int) string { return weekDayNames[d%7] }

// weekMinutes returns the minutes of the week (Monday 00:00 = 0) inside the
// windows. Windows are valid (Validate has run); a malformed day or range is
// skipped.
func weekMinutes(windows []schedule.Window) []bool {
	week := make([]bool, 7*1440)
	for _, w := range windows {
		var days []int
		for _, ds := range w.Days {
			// As the schedule parses it: each day of a range trimmed on its
			// own ("mon - sun" is "mon-sun"), or an overlay widening a
			// window by such a spelling would go unwarned.
			from, to, isRange := strings.Cut(strings.ToLower(ds), "-")
			from, to = strings.TrimSpace(from), strings.TrimSpace(to)
			a := slices.Index(weekDayNames[:], from)
			b := a
			if isRange {
				b = slices.Index(weekDayNames[:], to)
			}
			if a < 0 || b < 0 {
				continue
			}
			for d := a; ; d = (d + 1) % 7 {
				days = append(days, d)
				if d == b {
					break
				}
			}
		}
		for _, rs := range w.Ranges {
			start, end, err := schedule.ParseRange(rs)
			if err != nil {
				continue
			}
			for _, d := range days {
				for m := start; m < end; m++ {
					week[(d*1440+m)%(7*1440)] = true
				}
			}
		}
	}
	return week
}

// coversPurposes reports whether a rule limited to have applies to every
// purpose a rule limited to want applies to (empty means every purpose).
func coversPurposes(have, want []dialgate.Purpose) bool {
	if len(have) == 0 {
		return true
	}
	if len(want) == 0 {
		return false
	}
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

func capScope(s schedule.CapScope) schedule.CapScope {
	if s == "" {
		return schedule.CapPerCallee
	}
	return s
}

// maxStepText writes a sequential rule's max step for a warning.
func maxStepText(n int) string {
	if n == 0 {
		return "no max_step (progressions off)"
	}
	return "max_step " + strconv.Itoa(n)
}

// runOverlayWarnings compares a run rule of sweep (path sweep.sequential or
// sweep.stride) of a base, when the base cites it to a law or a regulator,
// with the overlay's q (nil: none): removed, or loosened (a longer min_run, a
// smaller max_gap, a shorter window, a lower or no max_step) is warned about.
// denies describes what the base's rule denies, with a %d for its min_run.
func runOverlayWarnings(path, denies string, bs, q *sweep.Sequential, bn string) []Warning {
	if bs == nil || !isLaw(bs.Cite) {
		return nil
	}
	var ws []Warning
	warn := func(path, format string, args ...any) {
		ws = append(ws, Warning{Path: path, Message: fmt.Sprintf(format, args...) + " (" + bs.Cite.Ref + ")"})
	}
	what := "runs"
	if path == "sweep.stride" {
		what = "strides"
	}
	switch {
	case q == nil:
		warn(path, "removed; base %s denies "+denies, bn, bs.MinRun)
		return ws
	case q.MinRun > bs.MinRun || q.MaxGap < bs.MaxGap || q.Window < bs.Window:
		warn(path, "min_run %d, max_gap %d, window %v detect fewer %s than base %s (min_run %d, max_gap %d, window %v)",
			q.MinRun, q.MaxGap, q.Window, what, bn, bs.MinRun, bs.MaxGap, bs.Window)
	}
	if q.MaxStep < bs.MaxStep {
		warn(path+".max_step", "%s detects fewer numbers dialled a fixed step apart than base %s (max_step %d)",
			maxStepText(q.MaxStep), bn, bs.MaxStep)
	}
	return ws
}

// sweepStride returns p's sweep.stride rule, nil when it has none.
func sweepStride(p *Profile) *sweep.Sequential {
	if p.Sweep == nil {
		return nil
	}
	return p.Sweep.Stride
}

// sweepSequential returns p's sweep.sequential rule, nil when it has none.
func sweepSequential(p *Profile) *sweep.Sequential {
	if p.Sweep == nil {
		return nil
	}
	return p.Sweep.Sequential
}

func ruleCite(r *callerid.Rule) dialgate.Citation {
	if r == nil {
		return dialgate.Citation{}
	}
	return r.Cite
}

// asStrictConsent reports whether consent rule q asks at least what base rule
// r asks: in force no later, the same disclosure and evidence demands, and no
// capture method r does not accept.
func asStrictConsent(q, r consent.Requirement) bool {
	switch {
	case !q.EffectiveFrom.IsZero() && (r.EffectiveFrom.IsZero() || q.EffectiveFrom.After(r.EffectiveFrom)):
		return false
	case r.RequireDisclosure && !q.RequireDisclosure, r.RequireEvidenceURI && !q.RequireEvidenceURI:
		return false
	case len(r.Methods) > 0 && (len(q.Methods) == 0 || slices.ContainsFunc(q.Methods, func(m consent.Method) bool { return !slices.Contains(r.Methods, m) })):
		return false
	}
	return true
}

// abandonOverlayWarnings compares the abandoned-call rate caps of a base
// (cited to a law or a regulator) and an overlay. An overlay may lower the
// rate and cover more purposes; a higher rate, fewer purposes or no rule
// relaxes it. Any other window is warned about too, longer or shorter: a
// rate over a window is not stricter than over another (over 60 days a
// 30-day period at 6 % passes when the other 30 days abandoned nothing; over
// 24 hours a bad day is forgotten the next), and the base's window is the
// one its rule measures over.
func abandonOverlayWarnings(b, p *schedule.AbandonConfig, bn string) []Warning {
	var ws []Warning
	warn := func(path, format string, args ...any) {
		ws = append(ws, Warning{Path: path, Message: fmt.Sprintf(format, args...) + " (" + b.Cite.Ref + ")"})
	}
	if p == nil {
		warn("abandonment", "removed; base %s denies dials without an agent reserved while a campaign abandons more than %s of its answered calls in %s", bn, b.MaxRatePercent(), b.WindowText())
		return ws
	}
	if p.MaxRate > b.MaxRate {
		warn("abandonment.max_rate", "%s is above the %s of base %s", p.MaxRatePercent(), b.MaxRatePercent(), bn)
	}
	if p.Window != b.Window {
		warn("abandonment.window", "%s, base %s measures the rate over %s (a rate over another window, longer or shorter, does not keep the base's)", p.WindowText(), bn, b.WindowText())
	}
	if !coversPurposes(p.Purposes, b.Purposes) {
		of := "every purpose"
		if len(b.Purposes) > 0 {
			of = joinPurposes(b.Purposes, ", ")
		}
		warn("abandonment.purposes", "limits the rule to %s; base %s applies it to %s", joinPurposes(p.Purposes, ", "), bn, of)
	}
	return ws
}
