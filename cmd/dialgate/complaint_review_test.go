package main

import (
	"strings"
	"testing"
	"time"
)

// A complaint received "in the future" (a wrong year or zone offset in --at)
// would start its handling clock then: its deadlines would fall a year late
// and `complaint list --overdue` and the quarterly report would not flag it
// until long after they were missed. Like a step in the future, it is bad
// input, refused before anything is stored.
func TestComplaintAddInTheFuture(t *testing.T) {
	data := t.TempDir()
	run := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, "", append([]string{"--data", data}, args...)...)
	}
	future := time.Now().Add(365 * 24 * time.Hour).Truncate(time.Second).Format(time.RFC3339)
	if code, out, errs := run("complaint", "add", "--number", "+8613900139000", "--id", "cp-1", "--at", future); code != 2 || !strings.Contains(errs, "--at: "+future+" is in the future") {
		t.Fatalf("complaint add at %s: exit %d %q %q, want exit 2 naming --at", future, code, out, errs)
	}
	// Refused before anything is stored: not even the store was made, so
	// list finds no store to list (exit 2, TestComplaintNeedsAStore).
	if code, out, errs := run("complaint", "list", "--json"); code != 2 || strings.Contains(out, "cp-1") || !strings.Contains(errs, "--data: no store at") {
		t.Errorf("complaint list: exit %d %q %q: the refused complaint was stored", code, out, errs)
	}
	past := time.Now().Add(-time.Hour).Truncate(time.Second).Format(time.RFC3339)
	if code, _, errs := run("complaint", "add", "--number", "+8613900139000", "--id", "cp-1", "--at", past); code != 0 {
		t.Fatalf("complaint add at %s: exit %d %s", past, code, errs)
	}
}
