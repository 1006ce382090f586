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

// A report of every tenant gives each tenant's campaign its own rate, as the
// abandoned-call guard counts them (per tenant and campaign): one tenant's
// many answered calls under a campaign name must not dilute another
// tenant's abandoned calls under the same name below the 3 % limit.
func TestAbandonmentPerTenant(t *testing.T) {
	ctx := context.Background()
	log, dir := openTestLog(t)
	now := time.Date(2026, 10, 5, 10, 0, 0, 0, cst)
	g := clockGate(t, log, &now)
	call := func(tenant string, i int, o dialgate.Outcome) {
		t.Helper()
		dec, err := g.Check(ctx, dialgate.Dial{To: dialgate.MustParseNumber(fmt.Sprintf("+86139001%05d", i)), Purpose: dialgate.PurposeService,
			LeadID: "l", Campaign: "winter", Tenant: tenant})
		if err != nil || !dec.Allowed {
			t.Fatalf("check: %+v %v", dec, err)
		}
		o.DecisionID, o.Dial = dec.ID, dec.Dial
		if err := g.ReportOutcome(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	// acme: 200 answered, none abandoned; beta: 2 abandoned of 10 (20 %).
	for i := 0; i < 200; i++ {
		call("acme", i, dialgate.Outcome{Answered: true})
	}
	for i := 0; i < 10; i++ {
		call("beta", 1000+i, dialgate.Outcome{Answered: true, Abandoned: i < 2})
	}
	files := closedFiles(t, log, dir)
	r, err := report.Build(ctx, report.Quarter{Year: 2026, Q: 4}, cst, time.Date(2027, 1, 10, 0, 0, 0, 0, cst), report.Sources{AuditFiles: files})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Abandonment) != 2 {
		t.Fatalf("abandonment %+v, want acme's and beta's campaign winter apart", r.Abandonment)
	}
	a, b := r.Abandonment[0], r.Abandonment[1]
	if a.Tenant != "acme" || a.Campaign != "winter" || a.Answered != 200 || a.Abandoned != 0 {
		t.Errorf("acme: %+v", a)
	}
	if b.Tenant != "beta" || b.Campaign != "winter" || b.Answered != 10 || b.Abandoned != 2 || b.Percent != 20 || !b.Worst24h.Over() || !b.Worst30d.Over() {
		t.Errorf("beta: %+v, want 2 of 10 (20 %%), over the limit", b)
	}
	var cs, hs bytes.Buffer
	if err := r.WriteCSV(&cs); err != nil || !strings.Contains(cs.String(), `abandonment,"""beta""/""winter""",2 of 10 answered (20.00%)`) {
		t.Errorf("CSV: %v, want beta's row keyed by tenant and campaign\n%s", err, cs.String())
	}
	if err := r.WriteHTML(&hs); err != nil || !strings.Contains(hs.String(), "<td>beta</td><td>winter</td>") {
		t.Errorf("HTML: %v, want beta's row with its tenant", err)
	}
	// A report of one tenant keys its rows by campaign alone, as before.
	r, err = report.Build(ctx, report.Quarter{Year: 2026, Q: 4}, cst, time.Date(2027, 1, 10, 0, 0, 0, 0, cst), report.Sources{AuditFiles: files, Tenant: "beta"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Abandonment) != 1 || r.Abandonment[0].Tenant != "beta" || r.Abandonment[0].Abandoned != 2 {
		t.Fatalf("report of beta: abandonment %+v", r.Abandonment)
	}
	cs.Reset()
	hs.Reset()
	if err := r.WriteCSV(&cs); err != nil || !strings.Contains(cs.String(), "abandonment,winter,2 of 10 answered (20.00%)") {
		t.Errorf("CSV of beta: %v\n%s", err, cs.String())
	}
	if err := r.WriteHTML(&hs); err != nil || strings.Contains(hs.String(), "<th>Tenant</th>") || !strings.Contains(hs.String(), "<tr><td>winter</td>") {
		t.Errorf("HTML of beta: %v, want no tenant column", err)
	}
}
