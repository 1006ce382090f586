package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/report"
)

// TestCSVCampaignKeysUnambiguous: the CSV of a report of every tenant
// keyed tenant acme's campaign winter "acme"/"winter", and a campaign of
// dials with no tenant by its name alone — so a tenant-less campaign
// literally named "acme"/"winter" got acme's key, and a spreadsheet
// summing by key merged the two campaigns' rates. A campaign of no tenant
// whose name starts with a quote is now keyed ""/"<campaign>": a key
// starting with a quote is always a quoted tenant and campaign, any other
// a campaign of no tenant, and each reads back as exactly one.
func TestCSVCampaignKeysUnambiguous(t *testing.T) {
	ctx := context.Background()
	log, dir := openTestLog(t)
	now := time.Date(2026, 10, 5, 10, 0, 0, 0, cst)
	g := ringGate(t, log, &now, 15*time.Second)
	n := 0
	call := func(tenant, campaign string, o dialgate.Outcome) {
		t.Helper()
		n++
		dec, err := g.Check(ctx, dialgate.Dial{To: dialgate.MustParseNumber(fmt.Sprintf("+86139004%05d", n)), Purpose: dialgate.PurposeService,
			LeadID: "l", Campaign: campaign, Tenant: tenant})
		if err != nil || !dec.Allowed {
			t.Fatalf("check: %+v %v", dec, err)
		}
		o.DecisionID, o.Dial = dec.ID, dec.Dial
		if err := g.ReportOutcome(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	type tc struct{ tenant, campaign string }
	campaigns := []tc{
		{"acme", "winter"},
		{"", `"acme"/"winter"`},
		{"", "winter"},
		{`acme"/"winter`, ""},
		{"acme", `winter"/"`},
		{"", `"`},
		{"", `"acme"/`},
	}
	for _, c := range campaigns {
		call(c.tenant, c.campaign, dialgate.Outcome{Answered: true, Abandoned: true})
		call(c.tenant, c.campaign, dialgate.Outcome{RingDuration: 2 * time.Second, Disposition: "NA"})
		call(c.tenant, c.campaign, dialgate.Outcome{Disposition: "NA"})
	}
	files := closedFiles(t, log, dir)
	r, err := report.Build(ctx, report.Quarter{Year: 2026, Q: 4}, cst, time.Date(2027, 1, 10, 0, 0, 0, 0, cst), report.Sources{AuditFiles: files})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Abandonment) != len(campaigns) || len(r.RingTime) != len(campaigns) {
		t.Fatalf("abandonment %+v\nring time %+v\nwant %d rows each", r.Abandonment, r.RingTime, len(campaigns))
	}
	var cs bytes.Buffer
	if err := r.WriteCSV(&cs); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(cs.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, section := range []string{"abandonment", "abandoned_without_message", "ring_time", "ring_time_not_checked"} {
		seen := map[tc]string{}
		for _, row := range rows {
			if row[0] != section {
				continue
			}
			key := row[1]
			tenant, campaign := "", key
			if strings.HasPrefix(key, `"`) {
				q, err := strconv.QuotedPrefix(key)
				if err != nil || !strings.HasPrefix(key[len(q):], "/") {
					t.Errorf("%s: key %q starts with a quote but is not \"<tenant>\"/\"<campaign>\"", section, key)
					continue
				}
				tenant, _ = strconv.Unquote(q)
				if campaign, err = strconv.Unquote(key[len(q)+1:]); err != nil {
					t.Errorf("%s: key %q: campaign part: %v", section, key, err)
					continue
				}
			}
			c := tc{tenant, campaign}
			if prev, dup := seen[c]; dup {
				t.Errorf("%s: keys %q and %q both read as %+v", section, prev, key, c)
			}
			seen[c] = key
		}
		for _, c := range campaigns {
			if _, ok := seen[c]; !ok {
				t.Errorf("%s: no row keyed as tenant %q, campaign %q\n%s", section, c.tenant, c.campaign, cs.String())
			}
		}
	}
}
