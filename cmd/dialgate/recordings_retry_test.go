package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/internal/sidecar"
)

// TestCLIRecordingsRegisterRetryRecorded: recordings register run again
// after its record failed ("run the command again once the log is
// available to record it", and docs/auditors.md: "it is idempotent")
// records the registration. It exited 1, "already registered", and
// recorded nothing, so the recording's registration was in no record. A
// rerun that is not the same registration (another start, callee, end,
// retention, decision or tenant) is still refused, recording nothing.
func TestCLIRecordingsRegisterRetryRecorded(t *testing.T) {
	data := t.TempDir()
	reg := []string{"--data", data, "recordings", "register", "--id", "r-1", "--number", "+8613900139000",
		"--started-at", "2026-12-01T10:00:00+08:00", "--ended-at", "2026-12-01T10:05:00+08:00",
		"--at", "2026-12-01T10:06:00+08:00", "--tenant", "acme", "--decision-id", "d-1"}
	// A first write makes the store and the log.
	if code, out, errs := runCLI(t, "", "--data", data, "recordings", "register", "--id", "r-0", "--number", "+8613900139001",
		"--started-at", "2026-12-01T09:00:00+08:00"); code != 0 {
		t.Fatalf("register r-0: %d %s%s", code, out, errs)
	}
	audit := filepath.Join(data, sidecar.AuditDir)
	breakAuditLog(t, data)
	code, _, errs := runCLI(t, "", reg...)
	if code != 1 || !strings.Contains(errs, "run the command again") {
		t.Fatalf("register with a broken log: %d %q", code, errs)
	}
	if err := os.Remove(audit); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(audit+".moved", audit); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runCLI(t, "", reg...); code != 0 || !strings.Contains(out, "registered r-1") {
		t.Fatalf("the retry the message asks for: %d %q %q", code, out, errs)
	}
	got := cliChanges(t, data, "13900139000")
	l := got[len(got)-1]
	if l.Op != auditlog.OpRecordingRegister || l.ID != "r-1" || l.Result != auditlog.ResultApplied || l.Tenant != "acme" || l.DecisionID != "d-1" {
		t.Fatalf("records after the retry %+v, want r-1's registration last", got)
	}
	n := len(got)
	for _, other := range [][]string{
		{"--started-at", "2026-12-01T10:01:00+08:00"},
		{"--number", "+8613900139002"},
		{"--ended-at", "2026-12-01T10:04:00+08:00"},
		{"--decision-id", "d-2"},
		{"--tenant", "other"},
		{"--retention", "90d"},
	} {
		args := append([]string(nil), reg...)
		for i := range args {
			if args[i] == other[0] {
				args = append(args[:i], args[i+2:]...)
				break
			}
		}
		args = append(args, other...)
		if code, out, errs := runCLI(t, "", args...); code != 1 || !strings.Contains(errs, "already registered") {
			t.Errorf("register r-1 again with %v: %d %q %q, want exit 1, already registered", other, code, out, errs)
		}
	}
	if got := cliChanges(t, data, "13900139000"); len(got) != n {
		t.Errorf("refused registrations recorded: %d records, want %d", len(got), n)
	}
}

// TestCLIRecordingsReleaseAgainUnchanged: recordings release run again (its
// answer or completion record lost) is a retry, as through the sidecar's
// ReleaseRecordingHold: a recording no longer held exits 0, recorded as
// applied and unchanged. It exited 1, "not found". A hold the recording
// never had while other holds keep it is still refused (exit 1), as is an
// unknown recording.
func TestCLIRecordingsReleaseAgainUnchanged(t *testing.T) {
	data := t.TempDir()
	on := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, "", append([]string{"--data", data, "recordings"}, args...)...)
	}
	if code, out, errs := on("register", "--id", "r-1", "--number", "+8613900139000", "--started-at", "2026-12-01T10:00:00+08:00"); code != 0 {
		t.Fatalf("register: %d %s%s", code, out, errs)
	}
	for _, h := range []string{"h-1", "h-2"} {
		if code, out, errs := on("hold", "r-1", "--hold", h); code != 0 {
			t.Fatalf("hold %s: %d %s%s", h, code, out, errs)
		}
	}
	if code, out, errs := on("release", "r-1", "--hold", "h-1"); code != 0 {
		t.Fatalf("release h-1: %d %s%s", code, out, errs)
	}
	// h-2 still holds it: h-1 again is refused (it cannot be told from a
	// mistyped hold).
	if code, out, errs := on("release", "r-1", "--hold", "h-1"); code != 1 || !strings.Contains(errs, "h-2") {
		t.Fatalf("release h-1 again while h-2 holds: %d %s%s; want exit 1 naming h-2", code, out, errs)
	}
	for i := range 2 {
		if code, out, errs := on("release", "r-1", "--hold", "h-2"); code != 0 {
			t.Fatalf("release h-2 (%d): %d %s%s", i, code, out, errs)
		}
	}
	if code, out, errs := on("release", "r-2", "--hold", "h-2"); code != 1 || !strings.Contains(errs, "not found") {
		t.Fatalf("release of an unknown recording: %d %s%s; want exit 1: not found", code, out, errs)
	}
	var results []string
	for _, c := range cliChanges(t, data, "13900139000") {
		if c.Op == auditlog.OpRecordingReleaseHold && c.ID == "r-1" && c.HoldID == "h-2" && c.Result != auditlog.ResultRequested {
			r := string(c.Result)
			if c.Unchanged {
				r += " unchanged"
			}
			results = append(results, r)
		}
	}
	if strings.Join(results, ", ") != "applied, applied unchanged" {
		t.Fatalf("release h-2 records: %v; want applied, then applied unchanged", results)
	}
}
