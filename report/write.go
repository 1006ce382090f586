package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/dialgate/dialgate/internal/textsafe"
)

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// campaignKey is the CSV key of the rows (abandonment, ring time) of
// tenant's campaign: the campaign in a report of one tenant (named in the
// row "report,tenant"). In a report of every tenant, a named tenant's
// campaign is keyed by both, each quoted as Go quotes strings
// ("acme"/"winter"), and a campaign of the dials of no tenant by its name
// alone — unless that name starts with a double quote, when it is keyed
// ""/"<campaign>" as well. So a key that starts with a double quote is
// always a quoted tenant and campaign (a quoted string holds no unescaped
// quote: the first one ends the tenant) and no two campaigns share a key:
// a campaign of no tenant named "acme"/"winter" had tenant acme's key.
func (r *Report) campaignKey(tenant, campaign string) string {
	if r.Tenant != "" || (tenant == "" && !strings.HasPrefix(campaign, `"`)) {
		return campaign
	}
	return strconv.Quote(tenant) + "/" + strconv.Quote(campaign)
}

// WriteCSV writes the report as CSV rows "section,key,value".
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	row := func(section, key string, v any) {
		_ = cw.Write([]string{section, csvCell(key), csvCell(fmt.Sprint(v))})
	}
	counts := func(section string, cs []Count) {
		for _, c := range cs {
			row(section, c.Key, c.Count)
		}
	}
	_ = cw.Write([]string{"section", "key", "value"})
	row("report", "quarter", r.Quarter)
	row("report", "from", r.From.Format(time.RFC3339))
	row("report", "to", r.To.Format(time.RFC3339))
	row("report", "generated_at", r.GeneratedAt.Format(time.RFC3339))
	if r.Tenant != "" {
		row("report", "tenant", r.Tenant)
	}
	row("decisions", "total", r.Decisions.Total)
	row("decisions", "allowed", r.Decisions.Allowed)
	row("decisions", "denied", r.Decisions.Denied)
	row("decisions", "shadow_non_compliant", r.Decisions.ShadowNonCompliant)
	row("decisions", "outcomes", r.Decisions.Outcomes)
	row("decisions", "released", r.Decisions.Released)
	row("decisions", "denied_with_outcome", r.Decisions.DeniedWithOutcome)
	row("decisions", "allowed_without_outcome", r.Decisions.AllowedWithoutOutcome)
	row("decisions", "fixed_clock", r.Decisions.FixedClock)
	row("decisions", "fixed_clock_allowed", r.Decisions.FixedClockAllowed)
	counts("denials_by_reason", r.Decisions.ByReason)
	counts("shadow_by_reason", r.Decisions.ShadowByReason)
	counts("decisions_by_purpose", r.Decisions.ByPurpose)
	for _, a := range r.Abandonment {
		row("abandonment", r.campaignKey(a.Tenant, a.Campaign), fmt.Sprintf("%d of %d answered (%s%%); worst day %s%% (%d of %d)%s from %s; worst 30-day period %s%% (%d of %d)%s from %s",
			a.Abandoned, a.Answered, formatRate(a.Percent),
			formatRate(a.Worst24h.Percent), a.Worst24h.Abandoned, a.Worst24h.Answered, overLimit(a.Worst24h), a.Worst24h.From.Format(time.RFC3339),
			formatRate(a.Worst30d.Percent), a.Worst30d.Abandoned, a.Worst30d.Answered, overLimit(a.Worst30d), a.Worst30d.From.Format(time.RFC3339)))
	}
	for _, a := range r.Abandonment {
		// The abandoned calls no outcome reported the TSR's recorded message for.
		row("abandoned_without_message", r.campaignKey(a.Tenant, a.Campaign), a.AbandonedWithoutMessage)
	}
	for _, t := range r.RingTime {
		row("ring_time", r.campaignKey(t.Tenant, t.Campaign), fmt.Sprintf("%d of %d unanswered calls with a ring time rang less than the minimum %d s; %d more reported no ring time (not counted)",
			t.Short, t.RingReported, t.MinSeconds, t.RingNotReported))
	}
	for _, t := range r.RingTime {
		// The flag: unanswered calls the minimum could not be checked for.
		if t.RingNotChecked {
			row("ring_time_not_checked", r.campaignKey(t.Tenant, t.Campaign), fmt.Sprintf("%d of %d unanswered calls (%.2f %%) reported no ring time: the minimum ring time %d s could not be checked for them",
				t.RingNotReported, t.RingReported+t.RingNotReported, t.RingNotReportedPercent, t.MinSeconds))
		}
	}
	if r.Tenant != "" {
		// In a report of one tenant, these two sections alone are not
		// restricted to it.
		row("dnc_additions", "tenants", "every tenant's, not only this report's tenant's (do-not-call entries are not kept per tenant)")
	}
	row("dnc_additions", "total", r.DNCAdditions.Total)
	counts("dnc_additions_by_source", r.DNCAdditions.BySource)
	counts("dnc_additions_by_list", r.DNCAdditions.ByList)
	if r.Tenant != "" {
		row("admin_changes", "tenants", "every tenant's, not only this report's tenant's")
	}
	row("admin_changes", "dnc_removals", r.Changes.DNCRemovals)
	row("admin_changes", "dnc_removals_unconfirmed", r.Changes.DNCRemovalsUnconfirmed)
	row("admin_changes", "dnc_removals_refused", r.Changes.DNCRemovalsRefused)
	row("admin_changes", "dnc_additions", r.Changes.DNCAdditions)
	row("admin_changes", "consent_grants", r.Changes.ConsentGrants)
	row("admin_changes", "consent_revocations", r.Changes.ConsentRevocations)
	counts("dnc_removals_by_actor", r.Changes.DNCRemovalsByActor)
	counts("admin_changes_by_op", r.Changes.ByOp)
	row("complaints", "received", r.Complaints.Received)
	row("complaints", "overdue", r.Complaints.Overdue)
	row("complaints", "overdue_received_earlier", r.Complaints.OverdueReceivedEarlier)
	row("complaints", "late", r.Complaints.Late)
	counts("complaints_by_status", r.Complaints.ByStatus)
	counts("complaints_by_channel", r.Complaints.ByChannel)
	row("recordings", "kept_at_end", r.Recordings.KeptAtEnd)
	row("recordings", "held_at_end", r.Recordings.HeldAtEnd)
	row("recordings", "deleted", r.Recordings.Deleted)
	for _, pv := range r.PolicyVersions {
		row("policy_versions", pv.Version, strconv.Itoa(pv.Decisions)+" decisions "+pv.First.Format(time.RFC3339)+" to "+pv.Last.Format(time.RFC3339))
	}
	row("audit", "repairs", r.Repairs)
	// Whether the logs were verified, said either way (as JSON's null and
	// the HTML note do): a spreadsheet silent on it reads as verified.
	if r.Verification == nil {
		row("audit", "verified", "no: only the hash chain was checked (no --key); run dialgate audit verify")
	} else {
		row("audit", "verified", "yes")
	}
	if v := r.Verification; v != nil {
		for _, l := range v.Logs {
			row("audit_verified", l.Dir, fmt.Sprintf("records=%d tree_size=%d tree_hash=%s sealed=%t", l.Records, l.TreeSize, l.TreeHash, v.Sealed))
		}
	}
	for _, m := range r.Missing {
		row("missing", m, "no source given")
	}
	cw.Flush()
	return cw.Error()
}

// overLimit is the words a CSV abandonment row puts after a window whose
// rate is above AbandonLimitPercent (HTML puts it in bold); "" for another.
func overLimit(w AbandonWindow) string {
	if !w.Over() {
		return ""
	}
	return " over the " + strconv.FormatFloat(AbandonLimitPercent, 'f', -1, 64) + "% limit"
}

// csvCell returns s as a CSV cell that a spreadsheet shows as text
// (textsafe.CSVCell, the rule of every dialgate export): a cell starting
// with =, +, - or @ (or a tab or carriage return, which some spreadsheets
// skip before one) would be read as a formula (CSV injection, a campaign
// named "=HYPERLINK(…)"), so it gets a leading apostrophe, which
// spreadsheets hide; so does one that starts with apostrophes before such a
// character, so that textsafe.CSVText reads every cell back as the text it
// holds. Plain numbers ("-12", "+8613800138000") and other cells are
// written as they are.
func csvCell(s string) string { return textsafe.CSVCell(s) }

// bar is one bar of an inline SVG chart.
type bar struct {
	Label string
	Value int
	Y     int
	Width int
}

type chart struct {
	Title  string
	Bars   []bar
	Height int
}

func newChart(title string, counts []Count) chart {
	c := chart{Title: title}
	max := 0
	for _, x := range counts {
		if x.Count > max {
			max = x.Count
		}
	}
	for i, x := range counts {
		w := 0
		if max > 0 {
			w = x.Count * 360 / max
		}
		if w == 0 && x.Count > 0 {
			w = 1
		}
		c.Bars = append(c.Bars, bar{Label: x.Key, Value: x.Count, Y: i * 24, Width: w})
	}
	c.Height = len(c.Bars)*24 + 4
	return c
}

var page = template.Must(template.New("report").Funcs(template.FuncMap{"rate": formatRate}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>dialgate quarterly report {{.R.Quarter}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:60em;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse}td,th{padding:.2em .8em;text-align:left;border-bottom:1px solid #eee}
td.n{text-align:right;font-variant-numeric:tabular-nums}.note{color:#666;font-size:.9em}
svg text{font-size:12px;font-family:system-ui,sans-serif}
</style></head><body>
<h1>Quarterly report {{.R.Quarter}}{{if .R.Tenant}} — tenant {{.R.Tenant}}{{end}}</h1>
<p class="note">Period {{.R.From.Format "2006-01-02"}} to {{.R.To.Format "2006-01-02"}} (end exclusive); generated {{.R.GeneratedAt.Format "2006-01-02 15:04 MST"}}{{if .R.GeneratedAt.Before .R.To}} — the quarter has not ended: its figures so far, complaints and recordings {{.End}}{{end}}. 
Prepared under 工信厅信管函〔2018〕337号 (按季度将治理工作情况总结报). Schema {{.R.Schema}}.</p>
<h2>Dials decided</h2>
<table>
<tr><td>Decisions</td><td class="n">{{.R.Decisions.Total}}</td></tr>
<tr><td>Allowed</td><td class="n">{{.R.Decisions.Allowed}}</td></tr>
<tr><td>Denied</td><td class="n">{{.R.Decisions.Denied}}</td></tr>
<tr><td>Allowed in shadow mode although a rule failed</td><td class="n">{{.R.Decisions.ShadowNonCompliant}}</td></tr>
<tr><td>Outcomes reported</td><td class="n">{{.R.Decisions.Outcomes}}</td></tr>
<tr><td>Allowed but not placed (released)</td><td class="n">{{.R.Decisions.Released}}</td></tr>
<tr><td>Allowed, with no outcome reported (neither a release nor a call result: not in the abandoned-call rates or ring times)</td><td class="n">{{if .R.Decisions.AllowedWithoutOutcome}}<b>{{.R.Decisions.AllowedWithoutOutcome}}</b>{{else}}0{{end}}</td></tr>
<tr><td>Denied, yet an outcome other than a release was reported (a call placed despite the deny?)</td><td class="n">{{if .R.Decisions.DeniedWithOutcome}}<b>{{.R.Decisions.DeniedWithOutcome}}</b>{{else}}0{{end}}</td></tr>
<tr><td>Recorded at an instant given by hand (dialgate check --at against a store, in logs older than its refusal; the evidence clock.fixed_at_wall_time says when each was really made), of which allowed</td><td class="n">{{if .R.Decisions.FixedClock}}<b>{{.R.Decisions.FixedClock}}</b>, <b>{{.R.Decisions.FixedClockAllowed}}</b>{{else}}0{{end}}</td></tr>
</table>
{{template "chart" .Outcome}}
{{template "chart" .Reasons}}
{{template "chart" .Shadow}}
{{template "chart" .Purposes}}
<h2>Abandoned calls by campaign</h2>
<p class="note">Abandoned calls over calls a person answered, from the outcomes dialers reported ({{if .R.Decisions.AllowedWithoutOutcome}}<b>{{.R.Decisions.AllowedWithoutOutcome}} allowed dials with no outcome reported are in no rate</b>{{else}}every allowed dial had an outcome reported{{end}}). The US TSR allows 3 % per campaign per 30 days, Ofcom 3 % per campaign per 24 hours; dialgate reports these rates per tenant and campaign (days in the report's time zone, 30-day periods from the quarter's start); the profiles with an abandonment section (us, uk) also enforce them at dial time, over a sliding window of the outcomes reported. Rates above 3 % are in bold. The US TSR also requires a recorded message stating the seller's name and telephone number on every abandoned call (16 CFR 310.4(b)(4)(iii)); “Without message” counts the abandoned calls no outcome reported it for (a call counts with its message if any of its outcomes reported it), in bold when above 0. dialgate cannot play the message and does not enforce it.</p>
<table><tr>{{if not .R.Tenant}}<th>Tenant</th>{{end}}<th>Campaign</th><th>Answered</th><th>Abandoned</th><th>Rate</th><th>Worst day</th><th>Worst 30-day period</th><th>Without message</th></tr>
{{range .R.Abandonment}}<tr>{{if not $.R.Tenant}}<td>{{if .Tenant}}{{.Tenant}}{{else}}(none){{end}}</td>{{end}}<td>{{if .Campaign}}{{.Campaign}}{{else}}(none){{end}}</td><td class="n">{{.Answered}}</td><td class="n">{{.Abandoned}}</td><td class="n">{{rate .Percent}} %</td><td class="n">{{if .Worst24h.Over}}<strong>{{rate .Worst24h.Percent}} %</strong>{{else}}{{rate .Worst24h.Percent}} %{{end}} ({{.Worst24h.Abandoned}}/{{.Worst24h.Answered}}, {{.Worst24h.From.Format "2006-01-02"}})</td><td class="n">{{if .Worst30d.Over}}<strong>{{rate .Worst30d.Percent}} %</strong>{{else}}{{rate .Worst30d.Percent}} %{{end}} ({{.Worst30d.Abandoned}}/{{.Worst30d.Answered}}, from {{.Worst30d.From.Format "2006-01-02"}})</td><td class="n">{{if .MessageMissing}}<strong>{{.AbandonedWithoutMessage}}</strong>{{else}}{{.AbandonedWithoutMessage}}{{end}}</td></tr>
{{else}}<tr><td colspan="8">no answered calls reported in the quarter</td></tr>{{end}}</table>
<h2>Unanswered calls shorter than the minimum ring time</h2>
<p class="note">Unanswered calls (no outcome says a person answered; released dials excluded) whose decision told the dialer a minimum ring time (evidence ring.min_seconds): against one-ring calls (“响一声”, 工信厅信管函〔2018〕337号 CN-S10/11) and, in the US, the TSR's 15 seconds or four rings (16 CFR 310.4(b)(4)(ii)). dialgate cannot hold a ring open: it reports the ring times dialers report but does not enforce them. A ring of exactly the minimum is not short. Calls whose outcome reported no ring time cannot be judged and are not counted as short: the minimum could not be checked for them (a dialer that never reports ring times shows no short rings), so “No ring time reported” gives their number and share of the unanswered calls. Campaigns with a short ring, or with an unanswered call without a ring time, are in bold.</p>
<table><tr>{{if not .R.Tenant}}<th>Tenant</th>{{end}}<th>Campaign</th><th>Minimum</th><th>With a ring time</th><th>Shorter than the minimum</th><th>No ring time reported (not checked)</th></tr>
{{range .R.RingTime}}<tr>{{if not $.R.Tenant}}<td>{{if .Tenant}}{{.Tenant}}{{else}}(none){{end}}</td>{{end}}<td>{{if or .Flagged .RingNotChecked}}<strong>{{end}}{{if .Campaign}}{{.Campaign}}{{else}}(none){{end}}{{if or .Flagged .RingNotChecked}}</strong>{{end}}</td><td class="n">{{.MinSeconds}} s</td><td class="n">{{.RingReported}}</td><td class="n">{{if .Flagged}}<strong>{{.Short}}</strong>{{else}}{{.Short}}{{end}}</td><td class="n">{{if .RingNotChecked}}<strong>{{.RingNotReported}}</strong>{{else}}{{.RingNotReported}}{{end}} ({{printf "%.2f" .RingNotReportedPercent}} %)</td></tr>
{{else}}<tr><td colspan="6">no unanswered calls of a profile with a minimum ring time reported in the quarter</td></tr>{{end}}</table>
<h2>Do-not-call additions</h2>
<p>{{.R.DNCAdditions.Total}} numbers added in the quarter and still listed when the report was made (an entry removed since is not counted: the opt-outs removed through AdminService or the dialgate commands are counted below; a number refused again is counted in the quarter of its latest refusal, under its first list and source){{if .R.Tenant}} (every tenant's, not only {{.R.Tenant}}'s: do-not-call entries are not kept per tenant){{end}}.</p>
{{template "chart" .DNC}}
{{template "chart" .Lists}}
<h2>Opt-outs removed and consents changed</h2>
<p class="note">From the audit log's change records: every change made through the sidecar's AdminService, with the name of the token that made it, and every change the dialgate commands make on a data directory (consent add and revoke, dnc import, ledger, complaint and recordings commands), with the name of the system user who ran them. A removal is recorded before it is made; one with no record of its result (the server stopped or its log failed in between), or recorded as failed without a refusal (unavailable: the store may have made it and lost its answer; cancelled or timed out), may have been made and is counted as unconfirmed. Logs written before change records existed hold none.{{if .R.Tenant}} These counts are every tenant's, not only {{.R.Tenant}}'s.{{end}}</p>
<table>
<tr><td>Opt-outs removed</td><td class="n">{{if .R.Changes.DNCRemovals}}<strong>{{.R.Changes.DNCRemovals}}</strong>{{else}}0{{end}}</td></tr>
<tr><td>Opt-out removals not confirmed: no recorded result, or failed without a refusal (may have been made)</td><td class="n">{{if .R.Changes.DNCRemovalsUnconfirmed}}<strong>{{.R.Changes.DNCRemovalsUnconfirmed}}</strong>{{else}}0{{end}}</td></tr>
<tr><td>Opt-out removals refused (most often still in their hold; not made)</td><td class="n">{{.R.Changes.DNCRemovalsRefused}}</td></tr>
<tr><td>Opt-outs added through AdminService</td><td class="n">{{.R.Changes.DNCAdditions}}</td></tr>
<tr><td>Consents granted</td><td class="n">{{.R.Changes.ConsentGrants}}</td></tr>
<tr><td>Consents revoked</td><td class="n">{{.R.Changes.ConsentRevocations}}</td></tr>
</table>
{{template "chart" .Removers}}
{{template "chart" .Changes}}
<h2>Complaints</h2>
<p>{{.R.Complaints.Received}} received; {{.R.Complaints.Overdue}} past a handling deadline {{.End}}{{if .R.Complaints.OverdueReceivedEarlier}} ({{.R.Complaints.OverdueReceivedEarlier}} of them received in an earlier quarter){{end}}; {{if .R.Complaints.Late}}<strong>{{.R.Complaints.Late}}</strong>{{else}}0{{end}} with a step done after its deadline in the quarter.</p>
{{template "chart" .Complaints}}
{{template "chart" .Channels}}
<h2>Recordings</h2>
<table>
<tr><td>Kept {{.End}}</td><td class="n">{{.R.Recordings.KeptAtEnd}}</td></tr>
<tr><td>Under legal hold {{.End}}</td><td class="n">{{.R.Recordings.HeldAtEnd}}</td></tr>
<tr><td>Deleted in the quarter (each at least its retention after its call ended)</td><td class="n">{{.R.Recordings.Deleted}}</td></tr>
</table>
<h2>Policy versions in force</h2>
<table><tr><th>Version</th><th>Decisions</th><th>First</th><th>Last</th></tr>
{{range .R.PolicyVersions}}<tr><td>{{.Version}}</td><td class="n">{{.Decisions}}</td><td>{{.First.Format "2006-01-02 15:04"}}</td><td>{{.Last.Format "2006-01-02 15:04"}}</td></tr>
{{else}}<tr><td colspan="4">no decisions in the quarter</td></tr>{{end}}</table>
{{if .R.Verification}}<p class="note">Audit logs verified before counting, with the key(s) {{range $i, $k := .R.Verification.Keys}}{{if $i}}, {{end}}{{$k}}{{end}}{{if .R.Verification.Sealed}}, unsigned records refused{{end}}: {{range $i, $l := .R.Verification.Logs}}{{if $i}}; {{end}}{{$l.Dir}} ({{$l.Records}} records, the last checkpoint signs {{$l.TreeSize}}, tree hash {{$l.TreeHash}}){{end}}.</p>{{else}}<p class="note"><b>The audit logs were not verified</b> by this report (no --key): only their hash chain was checked; run <code>dialgate audit verify</code>.</p>{{end}}
{{if .R.Repairs}}<p class="note">The audit log holds {{.R.Repairs}} torn-tail repair record(s); see <code>dialgate audit verify</code>.</p>{{end}}
{{range .R.Missing}}<p class="note">Section {{.}}: no source was given; not reported.</p>{{end}}
</body></html>
{{define "chart"}}{{if .Bars}}<h3>{{.Title}}</h3>
<svg xmlns="http://www.w3.org/2000/svg" width="640" height="{{.Height}}" role="img" aria-label="{{.Title}}">
{{range .Bars}}<text x="0" y="{{.Y}}" dy="16">{{.Label}}</text><rect x="220" y="{{.Y}}" width="{{.Width}}" height="18" fill="#4a78b5"/><text x="{{.Width}}" dx="226" y="{{.Y}}" dy="14">{{.Value}}</text>
{{end}}</svg>{{end}}{{end}}
`))

// endLabel says when the counts taken at the quarter's end (complaints by
// status and overdue, recordings kept and held) were taken: at its end, or,
// for a report made before the quarter ended, as of the report's making
// (Build counts them as of the earlier of the two).
func (r *Report) endLabel() string {
	if r.GeneratedAt.Before(r.To) {
		return "as of " + r.GeneratedAt.UTC().Format("2006-01-02 15:04 MST")
	}
	return "at the quarter's end"
}

// WriteHTML writes a self-contained HTML page with inline SVG charts.
func (r *Report) WriteHTML(w io.Writer) error {
	end := r.endLabel()
	return page.Execute(w, map[string]any{
		"R":   r,
		"End": end,
		"Outcome": newChart("Allowed and denied", []Count{
			{Key: "allowed", Count: r.Decisions.Allowed}, {Key: "denied", Count: r.Decisions.Denied},
		}),
		"Reasons":    newChart("Reasons for denial", r.Decisions.ByReason),
		"Shadow":     newChart("Reasons not enforced (shadow mode)", r.Decisions.ShadowByReason),
		"DNC":        newChart("Additions by source", r.DNCAdditions.BySource),
		"Complaints": newChart("Complaints by status "+end, r.Complaints.ByStatus),
		"Purposes":   newChart("Decisions by purpose", r.Decisions.ByPurpose),
		"Lists":      newChart("Additions by list", r.DNCAdditions.ByList),
		"Channels":   newChart("Complaints by channel", r.Complaints.ByChannel),
		"Removers":   newChart("Opt-outs removed by token", r.Changes.DNCRemovalsByActor),
		"Changes":    newChart("Changes by operation", r.Changes.ByOp),
	})
}
