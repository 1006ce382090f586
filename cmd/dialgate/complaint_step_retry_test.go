package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/internal/sidecar"
)

// TestCLIComplaintStepRetryRecorded: complaint forward, resolve and answer
// run again after their record failed ("run the command again once the log
// is available to record it") record the step, dated as the complaint
// holds it, as the sidecar's steps do. The rerun exited 1 ("wrong status
// for this step") and recorded nothing, so the step was in no record. A
// resolve with another resolution than the one on record is still refused.
func TestCLIComplaintStepRetryRecorded(t *testing.T) {
	data := t.TempDir()
	if code, out, errs := runCLI(t, "", "--data", data, "complaint", "add", "--id", "cp-1", "--number", "+8613900139000",
		"--at", "2026-12-01T10:00:00+08:00"); code != 0 {
		t.Fatalf("add: %d %s%s", code, out, errs)
	}
	audit := filepath.Join(data, sidecar.AuditDir)
	steps := []struct {
		args []string
		op   string
		at   string
	}{
		{[]string{"forward", "cp-1", "--at", "2026-12-02T10:00:00+08:00"}, auditlog.OpComplaintForward, "2026-12-02T10:00:00+08:00"},
		{[]string{"resolve", "cp-1", "--at", "2026-12-03T10:00:00+08:00", "--resolution", "verified; listed"}, auditlog.OpComplaintResolve, "2026-12-03T10:00:00+08:00"},
		{[]string{"answer", "cp-1", "--at", "2026-12-04T10:00:00+08:00"}, auditlog.OpComplaintAnswer, "2026-12-04T10:00:00+08:00"},
	}
	for _, s := range steps {
		breakAuditLog(t, data)
		args := append([]string{"--data", data, "complaint"}, s.args...)
		code, _, errs := runCLI(t, "", args...)
		if code != 1 || !strings.Contains(errs, "run the command again") {
			t.Fatalf("%s with a broken log: %d %q", s.op, code, errs)
		}
		if err := os.Remove(audit); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(audit+".moved", audit); err != nil {
			t.Fatal(err)
		}
		// The rerun the message asks for, a little later: recorded, dated
		// as stored.
		rerun := append([]string(nil), args...)
		for i := range rerun {
			if rerun[i] == "--at" {
				rerun = append(rerun[:i], rerun[i+2:]...)
				break
			}
		}
		if code, out, errs := runCLI(t, "", rerun...); code != 0 {
			t.Fatalf("%s: the retry the message asks for: %d %q %q", s.op, code, out, errs)
		}
		got := cliChanges(t, data, "13900139000")
		l := got[len(got)-1]
		want, _ := time.Parse(time.RFC3339, s.at)
		if l.Op != s.op || l.ID != "cp-1" || l.Result != auditlog.ResultApplied || !l.EffectiveAt.Equal(want) {
			t.Fatalf("records after the %s retry: %+v, want %s of cp-1 effective at %s last", s.op, got, s.op, s.at)
		}
	}
	n := len(cliChanges(t, data, "13900139000"))
	if code, _, errs := runCLI(t, "", "--data", data, "complaint", "resolve", "cp-1", "--resolution", "another"); code != 1 {
		t.Errorf("resolve with another resolution: %d %q, want exit 1", code, errs)
	}
	if code, _, errs := runCLI(t, "", "--data", data, "complaint", "forward", "cp-2"); code != 1 {
		t.Errorf("forward of an unknown complaint: %d %q, want exit 1", code, errs)
	}
	if got := cliChanges(t, data, "13900139000"); len(got) != n {
		t.Errorf("refused steps recorded: %d records, want %d", len(got), n)
	}
}
