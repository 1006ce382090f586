package main

import (
	"strings"
	"testing"
)

// TestCheckPrintsValidUntil: the text answer of an allow says until when the
// call may be placed (the calling window's end here, at 20:59:30 under cn),
// and a deny says nothing of it.
func TestCheckPrintsValidUntil(t *testing.T) {
	dial := []string{"--data", t.TempDir(), "check", "--to", "+8613800138000", "--purpose", "service", "--lead-id", "l",
		"--profile", "testdata/cn-no-callerid.yaml", "--what-if"}
	code, out, errs := runCLI(t, "", append(dial, "--at", "2026-12-04T20:59:30+08:00")...)
	if code != 0 || !strings.Contains(out, "place the call before 2026-12-04T21:00:00+08:00; after it, check again\n") {
		t.Fatalf("allow at 20:59:30: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = runCLI(t, "", append(dial, "--at", "2026-12-04T21:30:00+08:00")...)
	if code != 1 || strings.Contains(out, "place the call before") {
		t.Fatalf("deny at 21:30: exit %d\n%s%s", code, out, errs)
	}
}
