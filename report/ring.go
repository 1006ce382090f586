package report

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/schedule"
)

// RingTime is one campaign's unanswered calls in the quarter (a campaign is
// a tenant's: see Tenant), measured
// against the minimum ring time their decisions told the dialer (the
// evidence "ring.min_seconds" of a profile with a ring rule: cn's 15 s
// against one-ring calls, 响一声, 工信厅信管函〔2018〕337号 CN-S10/11; us's 15 s
// of the TSR safe harbor, 16 CFR 310.4(b)(4)(ii)). dialgate cannot hold a
// ring open, so it does not enforce the minimum; it counts here the calls
// that dialers report rang less.
//
// A call is one allowed decision of the quarter with its outcome records
// (several records count once, with the longest ring time any of them
// reports). It is unanswered when none of its outcomes says a person
// answered (Outcome.Answered), an agent-less answer (Outcome.Abandoned, which
// implies an answer), a conversation or a refusal, and none says it was
// released (not placed). Answered calls never count here, whatever their
// ring time. Decisions without the evidence (a profile without the rule, or
// a log written before it) are left out.
//
// An unanswered call whose outcomes report no ring time (Outcome.RingDuration
// zero, "ring_ms" absent) cannot be judged: it is counted in RingNotReported,
// never as short; RingNotReportedPercent gives their share and
// RingNotChecked flags the campaign, since a dialer that never reports ring
// times would otherwise show no short rings at all.
type RingTime struct {
	// Tenant is the dials' tenant: a campaign is one tenant's (as in
	// Abandonment), so that a report of every tenant never merges two
	// tenants' campaigns of one name into one row. "" for dials that named
	// none.
	Tenant string `json:"tenant,omitempty"`
	// Campaign is the dials' campaign; "" for dials that named none.
	Campaign string `json:"campaign"`
	// MinSeconds is the minimum ring time the calls' decisions carried. A
	// campaign whose minimum changed within the quarter has one RingTime
	// per minimum.
	MinSeconds int `json:"min_seconds"`
	// RingReported counts the unanswered calls whose outcome reported a ring
	// time.
	RingReported int `json:"ring_reported"`
	// Short counts those of RingReported that rang less than MinSeconds. A
	// ring of exactly MinSeconds is not short.
	Short int `json:"short"`
	// RingNotReported counts the unanswered calls whose outcomes reported no
	// ring time; they are not counted as short.
	RingNotReported int `json:"ring_not_reported"`
	// RingNotReportedPercent is RingNotReported ÷ (RingReported +
	// RingNotReported) × 100: the share of these unanswered calls for
	// which the minimum could not be checked (0 when there are none).
	RingNotReportedPercent float64 `json:"ring_not_reported_percent"`
	// RingNotChecked is true when RingNotReported is above 0: the minimum
	// ring time could not be checked for some unanswered calls, so Short
	// says nothing about them (a dialer that never reports ring times shows
	// no short rings). The outputs flag such a campaign as they flag a short
	// ring: in bold in HTML, a "ring_time_not_checked" row in CSV.
	RingNotChecked bool `json:"ring_not_checked"`
}

// Flagged reports whether an unanswered call rang less than the minimum: the
// HTML report marks such a campaign as it marks abandoned-call rates over
// AbandonLimitPercent. Calls without a ring time are flagged apart
// (RingNotChecked).
func (r RingTime) Flagged() bool { return r.Short > 0 }

// unansweredCall is a placed call no one answered, of a decision that carried
// a minimum ring time.
type unansweredCall struct {
	campaign   campaignKey // the decision's tenant and campaign
	minSeconds int
	ringMillis int64 // 0 when no ring time was reported
}

// ringTimes counts the unanswered calls per tenant's campaign and minimum,
// ordered by tenant, then campaign, then minimum.
func ringTimes(calls []unansweredCall) []RingTime {
	type key struct {
		campaign campaignKey
		min      int
	}
	by := map[key]*RingTime{}
	for _, c := range calls {
		k := key{c.campaign, c.minSeconds}
		rt := by[k]
		if rt == nil {
			rt = &RingTime{Tenant: c.campaign.tenant, Campaign: c.campaign.campaign, MinSeconds: c.minSeconds}
			by[k] = rt
		}
		switch {
		case c.ringMillis <= 0:
			rt.RingNotReported++
		default:
			rt.RingReported++
			if c.ringMillis < int64(c.minSeconds)*1000 {
				rt.Short++
			}
		}
	}
	out := make([]RingTime, 0, len(by))
	for _, rt := range by {
		rt.RingNotReportedPercent = percent(rt.RingNotReported, rt.RingReported+rt.RingNotReported)
		rt.RingNotChecked = rt.RingNotReported > 0
		out = append(out, *rt)
	}
	slices.SortFunc(out, func(a, b RingTime) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Campaign, b.Campaign), cmp.Compare(a.MinSeconds, b.MinSeconds))
	})
	return out
}

// ringMinimum returns the minimum ring time, in seconds, of a decision's
// evidence (schedule.EvidenceRingMinSeconds), and whether there is one. A
// value that is not a positive whole number of seconds is an error: dialgate
// never writes one.
func ringMinimum(ev []auditlog.Evidence) (int, bool, error) {
	for _, e := range ev {
		if e.Key != schedule.EvidenceRingMinSeconds {
			continue
		}
		secs, err := strconv.Atoi(e.Value)
		if err != nil || secs <= 0 || len(e.Value) > 6 {
			return 0, false, fmt.Errorf("evidence %s: %q is not a positive whole number of seconds", e.Key, e.Value)
		}
		return secs, true, nil
	}
	return 0, false, nil
}
