package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/internal/sidecar"
)

// TestCLIComplaintRetryAndRefusedListingRecorded: complaint add run again
// after its record failed ("run the command again to record it") records
// the filing (it exited 1, "already exists", and recorded nothing), and a
// filing refused because another number's complaint holds its id records
// its number's listing (dnc.add, source "complaint"): the opt-out is in
// force and was in no record.
func TestCLIComplaintRetryAndRefusedListingRecorded(t *testing.T) {
	data := t.TempDir()
	if code, out, errs := runCLI(t, "", "--data", data, "complaint", "add", "--id", "cp-1", "--number", "+8613900139000"); code != 0 {
		t.Fatalf("add: %d %s%s", code, out, errs)
	}
	audit := filepath.Join(data, sidecar.AuditDir)
	breakAuditLog(t, data)
	code, _, errs := runCLI(t, "", "--data", data, "complaint", "add", "--id", "cp-2", "--number", "+8613900139001", "--scope", "tenant:acme")
	if code != 1 || !strings.Contains(errs, "run the command again") {
		t.Fatalf("add with a broken log: %d %q", code, errs)
	}
	if err := os.Remove(audit); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(audit+".moved", audit); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runCLI(t, "", "--data", data, "complaint", "add", "--id", "cp-2", "--number", "+8613900139001", "--scope", "tenant:acme"); code != 0 || !strings.Contains(out, "complaint cp-2 filed") {
		t.Fatalf("the retry the message asks for: %d %q %q", code, out, errs)
	}
	got := cliChanges(t, data, "13900139001")
	if len(got) != 2 || got[1].Op != auditlog.OpComplaintFile || got[1].ID != "cp-2" || got[1].Scope != "tenant:acme" || got[1].Result != auditlog.ResultApplied {
		t.Fatalf("records after the retry %+v, want cp-2's filing last", got)
	}
	// Another scope or number under a taken id: refused, the number listed
	// and that listing recorded.
	code, _, errs = runCLI(t, "", "--data", data, "complaint", "add", "--id", "cp-2", "--number", "+8613900139002", "--tenant", "acme")
	if code != 1 || !strings.Contains(errs, "listed all the same") {
		t.Fatalf("add under another number's id: %d %q", code, errs)
	}
	got = cliChanges(t, data, "13900139002")
	l := got[len(got)-1]
	if len(got) != 3 || l.Op != auditlog.OpDNCAdd || l.Result != auditlog.ResultApplied || l.Source != "complaint" || l.ID != "cp-2" ||
		l.Scope != "global" || l.Tenant != "acme" || l.Callee == nil || l.Callee.HMAC == got[1].Callee.HMAC || l.EffectiveAt.IsZero() {
		t.Fatalf("records %+v, want the refused filing's listing last", got)
	}
	if code, out, _ := runCLI(t, "", "--data", data, "dnc", "lookup", "+8613900139002"); code != 0 || !strings.Contains(out, "LISTED") {
		t.Fatalf("refused filing's opt-out not in force: %d %s", code, out)
	}
}

// TestCLIComplaintRetryRecordsStoredFiling: a rerun of complaint add that
// is taken as a retry (same id, number and scope; no --tenant, another
// --channel or --decision-id) is acknowledged as the complaint on record,
// and its record names that complaint's tenant, channel and decision: it
// named the rerun's (no tenant), so the filing on record for tenant acme
// was recorded as a filing without a tenant.
func TestCLIComplaintRetryRecordsStoredFiling(t *testing.T) {
	data := t.TempDir()
	if code, out, errs := runCLI(t, "", "--data", data, "complaint", "add", "--id", "cp-3", "--number", "+8613900139003",
		"--tenant", "acme", "--channel", "web", "--decision-id", "d-1"); code != 0 {
		t.Fatalf("add: %d %s%s", code, out, errs)
	}
	if code, out, errs := runCLI(t, "", "--data", data, "complaint", "add", "--id", "cp-3", "--number", "+8613900139003"); code != 0 || !strings.Contains(out, "complaint cp-3 filed") {
		t.Fatalf("rerun: %d %q %q", code, out, errs)
	}
	got := cliChanges(t, data, "13900139003")
	if len(got) == 0 {
		t.Fatal("no records")
	}
	for i, ch := range got {
		if ch.Op != auditlog.OpComplaintFile || ch.ID != "cp-3" || ch.Tenant != "acme" || ch.Source != "web" || ch.DecisionID != "d-1" || ch.Scope != "global" {
			t.Errorf("record %d: %+v, want cp-3's filing as on record (tenant acme, channel web, decision d-1)", i, ch)
		}
	}
}
