package main

import (
	"strings"
	"testing"
)

// TestComplaintStepArgsValidated: the complaint id argument of forward,
// resolve and answer is bad input (exit 2, naming ID) when empty, blank or
// not UTF-8 (no complaint's id is: complaint.Validate refuses them), as
// the recordings commands check theirs: it was "complaint : not found"
// (exit 1), as if a complaint were missing from the store.
func TestComplaintStepArgsValidated(t *testing.T) {
	data := t.TempDir()
	on := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, "", append([]string{"--data", data, "complaint"}, args...)...)
	}
	if code, out, errs := on("add", "--id", "cp-1", "--number", "+8613900139000"); code != 0 {
		t.Fatalf("add: %d %s%s", code, out, errs)
	}
	for _, args := range [][]string{
		{"forward", ""},
		{"forward", "   "},
		{"forward", "cp-\xff"},
		{"resolve", "", "--resolution", "verified"},
		{"answer", " \t"},
	} {
		code, out, errs := on(args...)
		if code != 2 || !strings.Contains(errs, "ID:") {
			t.Errorf("%q: exit %d %s%s; want exit 2 naming ID", args, code, out, errs)
		}
	}
}
