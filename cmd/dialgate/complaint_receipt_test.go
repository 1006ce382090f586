package main

import (
	"testing"
	"time"

	"github.com/dialgate/dialgate/auditlog"
)

// TestCLIComplaintFileRecordsReceipt: `complaint add --at` files a complaint
// received earlier than it is entered, and its deadlines run from that
// receipt. The complaint.file record must say when it was received
// (effective_at), as the step records do, so that an auditor checking the
// deadlines from the log (docs/auditors.md) does not count them from the
// instant it was typed in. A retry of the filing names the receipt stored.
func TestCLIComplaintFileRecordsReceipt(t *testing.T) {
	data := t.TempDir()
	recv := time.Now().Add(-50 * time.Hour).UTC().Truncate(time.Second)
	for run := range 2 {
		if code, out, errs := runCLI(t, "", "--data", data, "complaint", "add", "--id", "cp-1", "--number", "+8613900139000",
			"--tenant", "acme", "--at", recv.Add(time.Duration(run)*time.Hour).Format(time.RFC3339)); code != 0 {
			t.Fatalf("add (run %d): %d %s%s", run, code, out, errs)
		}
	}
	got := cliChanges(t, data, "13900139000")
	if len(got) != 2 {
		t.Fatalf("%d change records, want 2 (the filing and its retry): %+v", len(got), got)
	}
	for i, c := range got {
		if c.Op != auditlog.OpComplaintFile || c.Result != auditlog.ResultApplied || !c.EffectiveAt.Equal(recv) {
			t.Errorf("record %d: %s %s effective_at %s, want complaint.file applied, effective_at the receipt %s", i, c.Op, c.Result, c.EffectiveAt, recv)
		}
	}
}
