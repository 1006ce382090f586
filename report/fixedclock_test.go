package report_test

import (
	"bytes"
	"context"
	"html"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/report"
)

// fixedClockCheck attests, as dialgate check --at against a store did
// before check refused --at there, that the decision was recorded at an
// instant given by hand: logs written then still hold such records.
type fixedClockCheck struct{ wall time.Time }

func (fixedClockCheck) Name() string { return "clock" }
func (fixedClockCheck) Check(context.Context, dialgate.Dial) ([]dialgate.Reason, error) {
	return nil, nil
}
func (c fixedClockCheck) Attest(context.Context, dialgate.Dial) ([]dialgate.Reason, []dialgate.Evidence, error) {
	return nil, []dialgate.Evidence{{Key: report.EvidenceFixedClock, Value: c.wall.UTC().Format(time.RFC3339)}}, nil
}

// TestFixedClockDecisionsCounted: a decision dialgate check --at recorded
// (against a store, before check refused --at there)
// at an instant given by hand (a backdated allow at 10:00 for a call
// really decided at 23:00, in the rest hours) counted as an ordinary
// decision of its instant: the report gave an auditor no sign of it. The
// report counts such decisions, and the allowed ones apart.
func TestFixedClockDecisionsCounted(t *testing.T) {
	ctx := context.Background()
	log, dir := openTestLog(t)
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	wall := time.Date(2026, 11, 2, 23, 0, 0, 0, cst)
	plain := clockGate(t, log, &now)
	fixed := clockGate(t, log, &now, fixedClockCheck{wall})
	denyFixed := clockGate(t, log, &now, fixedClockCheck{wall}, dialgate.CheckerFunc("window", func(context.Context, dialgate.Dial) ([]dialgate.Reason, error) {
		return []dialgate.Reason{{Code: dialgate.CodeOutsideWindow}}, nil
	}))
	for i, g := range []*dialgate.Gate{plain, fixed, fixed, denyFixed} {
		if _, err := g.Check(ctx, dialgate.Dial{To: dialgate.MustParseNumber("+86139001390" + string(rune('0'+i)) + "0"), Purpose: dialgate.PurposeService, LeadID: "l"}); err != nil {
			t.Fatal(err)
		}
	}
	r := closeAndBuildQ4(t, log, dir)
	if r.Decisions.Total != 4 || r.Decisions.FixedClock != 3 || r.Decisions.FixedClockAllowed != 2 {
		t.Errorf("decisions %d, fixed clock %d, allowed %d; want 4, 3, 2", r.Decisions.Total, r.Decisions.FixedClock, r.Decisions.FixedClockAllowed)
	}
	var b bytes.Buffer
	if err := r.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	for _, row := range []string{"decisions,fixed_clock,3", "decisions,fixed_clock_allowed,2"} {
		if !strings.Contains(b.String(), row) {
			t.Errorf("CSV lacks %q:\n%s", row, b.String())
		}
	}
	b.Reset()
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "at an instant given by hand") {
		t.Errorf("HTML does not show the decisions recorded at an instant given by hand")
	}
}

// A report says in JSON, CSV and HTML whether its audit logs were verified
// (Verification, set by dialgate report quarterly --key); one that was not
// says so, rather than leave the reader to assume it.
func TestVerificationShown(t *testing.T) {
	log, dir := openTestLog(t)
	r := closeAndBuildQ4(t, log, dir)
	var b bytes.Buffer
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"audit_verification": null`) {
		t.Errorf("JSON of an unverified report lacks \"audit_verification\": null")
	}
	b.Reset()
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "The audit logs were not verified") {
		t.Errorf("HTML of an unverified report does not say so")
	}
	// CSV too: a spreadsheet of the report must not read as verified by
	// saying nothing.
	b.Reset()
	if err := r.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	if want := "audit,verified,no: only the hash chain was checked (no --key); run dialgate audit verify\n"; !strings.Contains(b.String(), want) {
		t.Errorf("CSV of an unverified report lacks %q:\n%s", want, b.String())
	}
	r.Verification = &report.Verification{Keys: []string{"k+1234"}, Sealed: true, Logs: []report.VerifiedLog{{Dir: "audit", Records: 3, TreeSize: 3, TreeHash: "h="}}}
	b.Reset()
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	b.Reset()
	if err := r.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "audit,verified,yes\n") || !strings.Contains(b.String(), "audit_verified,audit,records=3 tree_size=3 tree_hash=h= sealed=true\n") {
		t.Errorf("CSV of a verified report does not say so:\n%s", b.String())
	}
	b.Reset()
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html.UnescapeString(b.String()), "verified before counting, with the key(s) k+1234, unsigned records refused: audit (3 records, the last checkpoint signs 3, tree hash h=)") {
		t.Errorf("HTML of a verified report does not say how")
	}
}
