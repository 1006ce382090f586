package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestScreenRefusesData: screen washes a list against --dnc snapshots
// only, never against the store at --data (its opt-outs, complaints). A
// --data given to it was ignored without a word: "dialgate --data ./prod
// screen list.txt" exited 0, every number allowed, although a number of the
// list had opted out in that store — a wash the user took to include the
// store's lists. It is bad input naming --data, and nothing is created.
func TestScreenRefusesData(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	optOuts := writeFile(t, dir, "optouts.txt", "+8613800138000\n")
	if code, out, errs := runCLI(t, "", "--data", data, "dnc", "import", "--scope", "global", "--list", "opt_out", optOuts); code != 0 {
		t.Fatalf("dnc import: exit %d\n%s%s", code, out, errs)
	}
	list := writeFile(t, dir, "list.txt", "+8613800138000\n+8613900139555\n")
	code, out, errs := runCLI(t, "", "--data", data, "screen", list)
	if code != exitBadArgs || out != "" || !strings.Contains(errs, "--data") || !strings.Contains(errs, "--dnc") {
		t.Errorf("screen with --data: exit %d, want %d naming --data and --dnc\nstdout:\n%s\nstderr:\n%s", code, exitBadArgs, out, errs)
	}
	// Without --data it screens as before.
	if code, out, errs := runCLI(t, "", "screen", list); code != 0 || !strings.Contains(out, "2 allowed") {
		t.Errorf("screen: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}
