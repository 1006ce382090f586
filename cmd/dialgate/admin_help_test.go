package main

import (
	"regexp"
	"strings"
	"testing"
)

// dataFlagRE finds --data listed as a flag in a help text.
var dataFlagRE = regexp.MustCompile(`(?m)^\s+--data string\b`)

// TestHelpListsOnlyAcceptedFlags: the help of dialgate admin (and of its
// subcommands), of dialgate screen and of dialgate health listed the global --data, which they
// refuse (admin writes through a sidecar, screen reads --dnc snapshots
// only). Their help lists only the flags they accept; the commands that use
// a store still list --data, and --data given to admin or screen is still
// refused, naming the flag.
func TestHelpListsOnlyAcceptedFlags(t *testing.T) {
	for _, args := range [][]string{
		{"admin", "--help"},
		{"help", "admin"},
		{"admin", "dnc", "--help"},
		{"admin", "dnc", "add", "--help"},
		{"admin", "complaint", "list", "--help"},
		{"admin", "recordings", "sweep", "--help"},
		{"screen", "--help"},
		{"health", "--help"},
	} {
		code, out, errs := runCLI(t, "", args...)
		if code != 0 || !strings.Contains(out, "Flags:") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errs)
			continue
		}
		if dataFlagRE.MatchString(out) {
			t.Errorf("%q lists --data, which the command refuses:\n%s", args, out)
		}
		if args[0] == "admin" && !strings.Contains(out, "--addr string") {
			t.Errorf("%q does not list --addr:\n%s", args, out)
		}
	}
	for _, args := range [][]string{
		{"--help"},
		{"dnc", "add", "--help"},
		{"ledger", "import", "--help"},
		{"report", "quarterly", "--help"},
		{"complaint", "list", "--help"},
		{"check", "--help"},
	} {
		code, out, errs := runCLI(t, "", args...)
		if code != 0 || !dataFlagRE.MatchString(out) {
			t.Errorf("%q: exit %d, stderr %q; want --data listed:\n%s", args, code, errs, out)
		}
	}
	for _, args := range [][]string{
		{"--data", t.TempDir(), "admin", "dnc", "add", "--number", "+8613900139407", "--scope", "global"},
		{"admin", "dnc", "add", "--data", t.TempDir(), "--number", "+8613900139407", "--scope", "global"},
		{"screen", "--data", t.TempDir(), "list.txt"},
		{"health", "--data", t.TempDir()},
	} {
		code, out, errs := runCLI(t, "", args...)
		if code != 2 || !strings.Contains(errs, "--data") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 naming --data", args, code, out, errs)
		}
	}
}
