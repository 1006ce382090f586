package report_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/report"
	"github.com/dialgate/dialgate/storage/memstore"
)

// A report of one tenant counts its decisions, complaints and recordings,
// but do-not-call additions and admin changes are every tenant's (an entry
// belongs to no tenant; a removal in scope global is no one tenant's): its
// CSV and HTML say so where those figures are, so that a reader of acme's
// report does not take other tenants' opt-outs for acme's. A report of
// every tenant has no such note.
func TestTenantReportSaysWhichFiguresAreEveryTenants(t *testing.T) {
	ctx := context.Background()
	log, dir := openTestLog(t)
	files := closedFiles(t, log, dir)
	st := memstore.New()
	if err := st.AddDNC(ctx, dnc.Entry{Number: dialgate.MustParseNumber("+8613800138000"), Scope: dnc.GlobalScope, List: "opt_out", Source: "call",
		AddedAt: time.Date(2026, 11, 3, 9, 0, 0, 0, cst)}); err != nil {
		t.Fatal(err)
	}
	const csvDNC = "dnc_additions,tenants,\"every tenant's, not only this report's tenant's (do-not-call entries are not kept per tenant)\"\n"
	const csvChanges = "admin_changes,tenants,\"every tenant's, not only this report's tenant's\"\n"
	const htmlNote = "every tenant's, not only acme's"
	for _, tenant := range []string{"acme", ""} {
		r, err := report.Build(ctx, report.Quarter{Year: 2026, Q: 4}, cst, time.Date(2027, 1, 10, 0, 0, 0, 0, cst), report.Sources{AuditFiles: files, Tenant: tenant, DNC: st})
		if err != nil {
			t.Fatal(err)
		}
		if r.DNCAdditions.Total != 1 {
			t.Fatalf("tenant %q: dnc additions %+v", tenant, r.DNCAdditions)
		}
		var cs, hs bytes.Buffer
		if err := r.WriteCSV(&cs); err != nil {
			t.Fatal(err)
		}
		if err := r.WriteHTML(&hs); err != nil {
			t.Fatal(err)
		}
		csv, html := cs.String(), hs.String()
		if got := strings.Contains(csv, csvDNC) && strings.Contains(csv, csvChanges); got != (tenant != "") {
			t.Errorf("tenant %q: CSV says the do-not-call additions and admin changes are every tenant's: %t\n%s", tenant, got, csv)
		}
		if got := strings.Count(html, htmlNote); got != map[bool]int{true: 2, false: 0}[tenant != ""] {
			t.Errorf("tenant %q: HTML has %d notes %q\n%s", tenant, got, htmlNote, html)
		}
	}
}
