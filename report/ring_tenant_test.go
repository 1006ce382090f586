package report_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/report"
)

// A report of every tenant counts each tenant's campaign's short rings
// apart (per tenant and campaign, as the abandoned-call rates are): one
// tenant's many long rings under a campaign name must not hide another
// tenant's one-ring calls under the same name, nor its unreported ring
// times, in one row.
func TestRingTimePerTenant(t *testing.T) {
	ctx := context.Background()
	log, dir := openTestLog(t)
	now := time.Date(2026, 10, 5, 10, 0, 0, 0, cst)
	g := ringGate(t, log, &now, 15*time.Second)
	n := 0
	call := func(tenant string, o dialgate.Outcome) {
		t.Helper()
		n++
		dec, err := g.Check(ctx, dialgate.Dial{To: dialgate.MustParseNumber(fmt.Sprintf("+86139003%05d", n)), Purpose: dialgate.PurposeService,
			LeadID: "l", Campaign: "winter", Tenant: tenant})
		if err != nil || !dec.Allowed {
			t.Fatalf("check: %+v %v", dec, err)
		}
		o.DecisionID, o.Dial = dec.ID, dec.Dial
		if err := g.ReportOutcome(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	// acme: 5 unanswered calls that rang 30 s; beta: 2 one-ring calls and
	// one without a ring time.
	for i := 0; i < 5; i++ {
		call("acme", dialgate.Outcome{RingDuration: 30 * time.Second, Disposition: "NA"})
	}
	call("beta", dialgate.Outcome{RingDuration: 2 * time.Second, Disposition: "NA"})
	call("beta", dialgate.Outcome{RingDuration: 3 * time.Second, Disposition: "NA"})
	call("beta", dialgate.Outcome{Disposition: "NA"})
	files := closedFiles(t, log, dir)
	r, err := report.Build(ctx, report.Quarter{Year: 2026, Q: 4}, cst, time.Date(2027, 1, 10, 0, 0, 0, 0, cst), report.Sources{AuditFiles: files})
	if err != nil {
		t.Fatal(err)
	}
	want := []report.RingTime{
		{Tenant: "acme", Campaign: "winter", MinSeconds: 15, RingReported: 5},
		{Tenant: "beta", Campaign: "winter", MinSeconds: 15, RingReported: 2, Short: 2, RingNotReported: 1, RingNotReportedPercent: 100.0 / 3, RingNotChecked: true},
	}
	if fmt.Sprint(r.RingTime) != fmt.Sprint(want) {
		t.Fatalf("ring time\n got %+v\nwant %+v", r.RingTime, want)
	}
	var js, cs, hs bytes.Buffer
	if err := r.WriteJSON(&js); err != nil || !strings.Contains(js.String(), `"tenant": "beta",
      "campaign": "winter",
      "min_seconds": 15,
      "ring_reported": 2,
      "short": 2,`) {
		t.Errorf("JSON: %v, want beta's row with its tenant\n%s", err, js.String())
	}
	if err := r.WriteCSV(&cs); err != nil ||
		!strings.Contains(cs.String(), `ring_time,"""beta""/""winter""",2 of 2 unanswered calls with a ring time rang less than the minimum 15 s`) ||
		!strings.Contains(cs.String(), `ring_time,"""acme""/""winter""",0 of 5 unanswered calls`) ||
		!strings.Contains(cs.String(), `ring_time_not_checked,"""beta""/""winter""",1 of 3 unanswered calls`) {
		t.Errorf("CSV: %v, want rows keyed by tenant and campaign\n%s", err, cs.String())
	}
	if err := r.WriteHTML(&hs); err != nil || !strings.Contains(hs.String(), `<td>beta</td><td><strong>winter</strong></td><td class="n">15 s</td><td class="n">2</td>`) ||
		!strings.Contains(hs.String(), `<td>acme</td><td>winter</td><td class="n">15 s</td><td class="n">5</td>`) {
		t.Errorf("HTML: %v, want rows with their tenant\n%s", err, hs.String())
	}

	// A report of one tenant keys its rows by campaign alone.
	r, err = report.Build(ctx, report.Quarter{Year: 2026, Q: 4}, cst, time.Date(2027, 1, 10, 0, 0, 0, 0, cst), report.Sources{AuditFiles: files, Tenant: "beta"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.RingTime) != 1 || r.RingTime[0].Tenant != "beta" || r.RingTime[0].Short != 2 {
		t.Fatalf("report of beta: ring time %+v", r.RingTime)
	}
	cs.Reset()
	hs.Reset()
	if err := r.WriteCSV(&cs); err != nil || !strings.Contains(cs.String(), "ring_time,winter,2 of 2 unanswered") {
		t.Errorf("CSV of beta: %v\n%s", err, cs.String())
	}
	if err := r.WriteHTML(&hs); err != nil || strings.Contains(hs.String(), "<th>Tenant</th>") || !strings.Contains(hs.String(), "<tr><td><strong>winter</strong></td><td class=\"n\">15 s</td>") {
		t.Errorf("HTML of beta: %v, want no tenant column\n%s", err, hs.String())
	}
}
