package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFlagGivenTwice: a flag that takes one value, given twice, is bad
// input naming it. The last one won without a word: "dnc import --scope
// global … --scope tenant:acme" listed the numbers for one tenant's dials
// only, and "check --purpose marketing … --purpose service" decided a
// service call. Repeatable flags (--registry, --dnc, --snapshot) still
// take several values.
func TestFlagGivenTwice(t *testing.T) {
	list := filepath.Join(t.TempDir(), "l.txt")
	if err := os.WriteFile(list, []byte("+8613800138000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		flag string
	}{
		{"dnc import --scope", []string{"dnc", "import", list, "--scope", "global", "--list", "opt_out", "--scope", "tenant:acme"}, "--scope"},
		{"check --purpose", []string{"check", "--what-if", "--to", "+8613800138000", "--purpose", "marketing", "--lead-id", "x", "--purpose=service"}, "--purpose"},
		{"persistent --data", []string{"--data", t.TempDir(), "policy", "show", "cn", "--data", t.TempDir()}, "--data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, "", tc.args...)
			if code != exitBadArgs || !strings.Contains(stderr, tc.flag) || !strings.Contains(stderr, "more than once") {
				t.Errorf("exit %d, want %d naming %s given more than once; stderr: %s", code, exitBadArgs, tc.flag, stderr)
			}
		})
	}
	// Repeatable flags are not refused.
	snap := filepath.Join(t.TempDir(), "s.snap")
	if code, _, stderr := runCLI(t, "", "dnc", "build", "--out", snap, "--name", "n", "--as-of", "2026-12-01T00:00:00Z", list); code != 0 {
		t.Fatalf("dnc build: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "", "dnc", "lookup", "+8613800138000", "--snapshot", snap, "--snapshot", snap); code != 0 {
		t.Errorf("dnc lookup with --snapshot twice: exit %d: %s", code, stderr)
	}
}
