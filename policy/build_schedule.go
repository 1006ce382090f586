package policy

import (
	"fmt"
	"strings"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
)

func scheduleSection() section {
	return section{
		name:    "schedule",
		present: func(p *Profile) bool { return p.Schedule != nil },
		build: func(p *Profile, _ Deps) ([]dialgate.Checker, error) {
			c, err := schedule.NewWindowCheck(*p.Schedule)
			if err != nil {
				return nil, err
			}
			return []dialgate.Checker{c}, nil
		},
		explain: func(p *Profile) []Rule { return explainSchedule(p.Schedule) },
	}
}

func explainSchedule(c *schedule.Config) []Rule {
	var rules []Rule
	scope := "calls"
	if len(c.Purposes) > 0 {
		scope = joinPurposes(c.Purposes, ", ") + " calls"
	}
	for i, w := range c.Windows {
		rules = append(rules, Rule{Section: "schedule", Path: fmt.Sprintf("schedule.windows[%d]", i),
			Text: fmt.Sprintf("%s only on %s between %s (callee's local time; start inclusive, end exclusive)",
				scope, strings.Join(w.Days, ", "), strings.Join(w.Ranges, " and ")),
			Cite: w.Cite})
	}
	if st := c.AlsoInStandardTime; st != nil {
		clock := "of " + st.Zone + ", for every callee"
		if st.Zone == "" {
			clock = "of each of the callee's zones"
		}
		rules = append(rules, Rule{Section: "schedule", Path: "schedule.also_in_standard_time",
			Text: "the windows and holidays hold also in the standard time (the UTC offset without daylight saving) " + clock +
				": a dial must be inside them in both the callee's local time and that standard time, so that while daylight saving time is in force a window opens as much later as the clocks were put forward (an hour)",
			Cite: st.Cite})
	}
	if z := c.DefaultZone; z != nil {
		rules = append(rules, Rule{Section: "schedule", Path: "schedule.default_zone",
			Text: "a callee whose zone cannot be told from the number is taken to be in " + z.Name, Cite: z.Cite})
	} else {
		rules = append(rules, Rule{Section: "schedule", Path: "schedule.default_zone",
			Text: "a callee whose zone cannot be told from the number is not called (schedule.zone_unknown); a number spanning several zones is called only when every zone is inside a window",
			Cite: dialgate.Citation{Source: dialgate.SourceConvention,
				Ref:  "fail closed: a window in the callee's local time is kept only if it holds in every zone the callee may be in",
				Note: "Set schedule.default_zone to name a zone for numbers whose zone is unknown."}})
	}
	if h := c.Holidays; h != nil {
		text := "holidays of " + strings.Join(h.Calendars, ", ")
		if h.Forbid {
			text += " are no-call days (schedule.holiday)"
		} else {
			text += " do not forbid calls"
		}
		for _, r := range h.Regional {
			text += "; for callees " + strings.Join(r.Prefixes, ", ") + " also " + strings.Join(r.Calendars, ", ")
		}
		if h.MakeupWorkdaysAs != "" {
			text += "; make-up working days use the windows of " + h.MakeupWorkdaysAs
		}
		rules = append(rules, Rule{Section: "schedule", Path: "schedule.holidays", Text: text, Cite: h.Cite})
	}
	if cb := c.Callback; cb != nil {
		from := "the windows"
		if c.Holidays != nil && c.Holidays.Forbid {
			from = "the windows and the no-call holidays"
		}
		rules = append(rules, Rule{Section: "schedule", Path: "schedule.callback",
			Text: fmt.Sprintf("an instant callback whose trigger is at most %s old is exempt from %s (not from blackouts, do-not-call, consent or caps)", cb.MaxTriggerAge, from),
			Cite: cb.Cite})
	}
	for i, b := range c.Blackouts {
		callees := "any callee"
		if len(b.Prefixes) > 0 {
			callees = "callees whose numbers start with " + strings.Join(b.Prefixes, ", ")
		}
		rules = append(rules, Rule{Section: "schedule", Path: fmt.Sprintf("schedule.blackouts[%d]", i),
			Text: fmt.Sprintf("no %s to %s from %s until %s, exclusive (declared no-call period: %s; schedule.outside_window, instant callbacks included)",
				scope, callees, b.From.Format(time.RFC3339), b.Until.Format(time.RFC3339), b.Reason),
			Cite: b.Cite})
	}
	return rules
}
