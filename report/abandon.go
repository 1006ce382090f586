package report

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// AbandonLimitPercent is the abandoned-call rate the US Telemarketing Sales
// Rule (16 CFR 310.4(b)(4)(i): 3 % of calls answered by a person, per
// campaign, per 30-day period) and Ofcom's persistent-misuse policy (3 % of
// live calls, per campaign, per 24 hours) allow. The report measures both
// windows over the quarter's decisions; the us and uk profiles also enforce
// them at dial time (profile section abandonment, schedule.AbandonCheck,
// abandon.rate_exceeded) over a sliding window of the outcomes reported.
const AbandonLimitPercent = 3.0

// The US TSR's safe harbor for abandoned calls also requires (16 CFR
// 310.4(b)(4)(iii)) that, whenever no sales representative is available
// within two seconds after the person's completed greeting, a recorded
// message stating the seller's name and telephone number is promptly played.
// dialgate cannot play it: the dialer reports it (Outcome.AbandonMessage)
// and the report counts the abandoned calls reported without it
// (Abandonment.AbandonedWithoutMessage). It does not enforce it.

// Abandonment is one campaign's abandoned calls in the quarter (a campaign
// is a tenant's: see Tenant), from the
// outcome records of its allowed decisions: Answered counts the calls a
// person answered (Outcome.Answered, or Outcome.Abandoned, Conversation or
// Refused, which imply it), Abandoned those no agent took, AbandonedWithoutMessage the abandoned
// calls no outcome reported the recorded message for. A decision with several
// outcome records counts once: answered if any of them says a person
// answered, abandoned if any says abandoned, and with its message if any says
// the message was played (Outcome.AbandonMessage; a record without it does
// not deny what another reported, as an absent flag is not a "no").
type Abandonment struct {
	// Tenant is the dials' tenant: a campaign is one tenant's, as the
	// abandoned-call guard (schedule.AbandonCheck) counts it, so that a
	// report of every tenant never merges two tenants' campaigns of one
	// name into one rate. "" for dials that named none.
	Tenant string `json:"tenant,omitempty"`
	// Campaign is the dials' campaign; "" for dials that named none.
	Campaign  string  `json:"campaign"`
	Answered  int     `json:"answered"`  // calls a person answered, over the quarter
	Abandoned int     `json:"abandoned"` // of Answered, those no agent took
	Percent   float64 `json:"percent"`   // Abandoned ÷ Answered × 100 over the quarter
	// AbandonedWithoutMessage counts the abandoned calls (of Abandoned, over
	// the quarter) for which no outcome reported the recorded message the US
	// TSR requires (16 CFR 310.4(b)(4)(iii)); see MessageMissing.
	AbandonedWithoutMessage int `json:"abandoned_without_message"`
	// Worst24h is the calendar day (in the report's location) with the
	// highest rate, Worst30d the 30-day period counted from the quarter's
	// start (the last one cut short at its end); at equal rates the one with
	// more answered calls.
	Worst24h AbandonWindow `json:"worst_24h"`
	Worst30d AbandonWindow `json:"worst_30d"`
}

// MessageMissing reports whether an abandoned call of the campaign was
// reported without its recorded message (AbandonedWithoutMessage > 0); the
// HTML report marks it as it marks rates above AbandonLimitPercent.
func (a Abandonment) MessageMissing() bool { return a.AbandonedWithoutMessage > 0 }

// AbandonWindow is the abandoned-call rate over [From, To).
type AbandonWindow struct {
	From      time.Time `json:"from"`      // the window's first instant
	To        time.Time `json:"to"`        // the instant after its last (exclusive)
	Answered  int       `json:"answered"`  // calls a person answered in the window
	Abandoned int       `json:"abandoned"` // of Answered, those no agent took
	Percent   float64   `json:"percent"`   // Abandoned ÷ Answered × 100 in the window
}

// Over reports whether the window's rate is above AbandonLimitPercent.
func (w AbandonWindow) Over() bool { return w.Percent > AbandonLimitPercent }

// answeredCall is a call a person answered: when it was decided (so that an
// outcome reported after the quarter counts in it), whether no agent took it,
// and whether, abandoned, no outcome reported its recorded message.
type answeredCall struct {
	at        time.Time
	abandoned bool
	noMessage bool // abandoned and no outcome reported Outcome.AbandonMessage
}

// campaignKey names one tenant's campaign.
type campaignKey struct{ tenant, campaign string }

// abandonment computes the per-campaign rates from the answered calls of
// the quarter's decisions, ordered by tenant, then campaign. Days are calendar days in
// the location of the quarter's bounds [from, to); 30-day periods run from
// from, the last one cut short at to.
func abandonment(byCampaign map[campaignKey][]answeredCall, from, to time.Time) []Abandonment {
	loc := from.Location()
	day := func(t time.Time) (time.Time, time.Time) {
		y, m, d := t.In(loc).Date()
		return dayStart(y, m, d, loc), dayStart(y, m, d+1, loc)
	}
	month := func(t time.Time) (time.Time, time.Time) {
		const period = 30 * 24 * time.Hour
		start := from.Add(t.Sub(from) / period * period)
		end := start.Add(period)
		if end.After(to) {
			end = to
		}
		return start, end
	}
	out := make([]Abandonment, 0, len(byCampaign))
	for k, calls := range byCampaign {
		a := Abandonment{Tenant: k.tenant, Campaign: k.campaign, Answered: len(calls)}
		for _, c := range calls {
			if c.abandoned {
				a.Abandoned++
				if c.noMessage {
					a.AbandonedWithoutMessage++
				}
			}
		}
		a.Percent = percent(a.Abandoned, a.Answered)
		a.Worst24h = worstPeriod(calls, day)
		a.Worst30d = worstPeriod(calls, month)
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b Abandonment) int {
		return cmp.Or(strings.Compare(a.Tenant, b.Tenant), strings.Compare(a.Campaign, b.Campaign))
	})
	return out
}

// worstPeriod returns the period (as period maps a call's time to its
// bounds) with the highest abandoned rate; at equal rates the one with more
// answered calls, then the earlier.
func worstPeriod(calls []answeredCall, period func(time.Time) (time.Time, time.Time)) AbandonWindow {
	byStart := map[time.Time]*AbandonWindow{}
	for _, c := range calls {
		from, to := period(c.at)
		w := byStart[from]
		if w == nil {
			w = &AbandonWindow{From: from, To: to}
			byStart[from] = w
		}
		w.Answered++
		if c.abandoned {
			w.Abandoned++
		}
	}
	var best AbandonWindow
	for _, w := range byStart {
		w.Percent = percent(w.Abandoned, w.Answered)
		switch {
		case best.Answered == 0, w.Percent > best.Percent,
			w.Percent == best.Percent && w.Answered > best.Answered,
			w.Percent == best.Percent && w.Answered == best.Answered && w.From.Before(best.From):
			best = *w
		}
	}
	return best
}

// formatRate formats an abandoned-call rate (a percentage) as the outputs
// show it: with two decimals, or, for a rate above AbandonLimitPercent that
// two decimals would round to the limit (7 of 233 is 3.0043 %, "3.00"), with
// as many more as it takes to show it above, so that no output shows a rate
// over the limit as one within it.
func formatRate(p float64) string {
	for prec := 2; prec <= 12; prec++ {
		s := strconv.FormatFloat(p, 'f', prec, 64)
		if p <= AbandonLimitPercent {
			return s
		}
		if v, err := strconv.ParseFloat(s, 64); err == nil && v > AbandonLimitPercent {
			return s
		}
	}
	return strconv.FormatFloat(p, 'g', -1, 64)
}

func percent(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) * 100 / float64(of)
}
