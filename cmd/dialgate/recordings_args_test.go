package main

import (
	"strings"
	"testing"

	"github.com/dialgate/dialgate/auditlog"
)

// TestRecordingsArgsValidated: the recording id argument of hold, release,
// end and show, and release's --hold, are bad input (exit 2, naming ID or
// --hold) when empty, blank or not UTF-8, as admin recordings checks them
// and as hold checks its --hold: an empty id was "recording : not found"
// (exit 1), and a blank --hold was recorded as a hold released already
// (exit 0, a change record of a release naming no hold).
func TestRecordingsArgsValidated(t *testing.T) {
	data := t.TempDir()
	on := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, "", append([]string{"--data", data, "recordings"}, args...)...)
	}
	if code, out, errs := on("register", "--id", "r-1", "--number", "+8613900139000", "--started-at", "2026-12-01T10:00:00+08:00"); code != 0 {
		t.Fatalf("register: %d %s%s", code, out, errs)
	}
	for _, tc := range []struct {
		args []string
		name string
	}{
		{[]string{"hold", "", "--hold", "h-1"}, "ID"},
		{[]string{"hold", "  ", "--hold", "h-1"}, "ID"},
		{[]string{"hold", "r-\xff", "--hold", "h-1"}, "ID"},
		{[]string{"release", "", "--hold", "h-1"}, "ID"},
		{[]string{"release", "r-1", "--hold", "  "}, "--hold"},
		{[]string{"release", "r-1", "--hold", "h-\xff"}, "--hold"},
		{[]string{"end", "", "--ended-at", "2026-12-01T10:30:00+08:00"}, "ID"},
		{[]string{"show", ""}, "ID"},
	} {
		code, out, errs := on(tc.args...)
		if code != 2 || !strings.Contains(errs, tc.name+":") {
			t.Errorf("%q: exit %d %s%s; want exit 2 naming %s", tc.args, code, out, errs, tc.name)
		}
	}
	for _, c := range cliChanges(t, data, "13900139000") {
		if c.Op == auditlog.OpRecordingReleaseHold || c.Op == auditlog.OpRecordingHold || c.Op == auditlog.OpRecordingEnd {
			t.Errorf("bad input recorded: %+v", c)
		}
	}
}
