package main

import (
	"strings"
	"testing"
)

// TestAdminComplaintStepArgsValidated: admin complaint forward, resolve and
// answer sent a blank ID to the sidecar, which answered NotFound (exit 1,
// "complaint    : not found"), where the local commands refuse it as bad
// input naming ID (exit 2, TestComplaintStepArgsValidated). It is refused
// before anything is sent (the address here answers nothing).
func TestAdminComplaintStepArgsValidated(t *testing.T) {
	for _, args := range [][]string{
		{"forward", "   "},
		{"resolve", " \t", "--resolution", "verified"},
		{"answer", " "},
		{"answer", ""},
	} {
		code, out, errs := runCLI(t, "", append(append([]string{"admin", "complaint"}, args...), "--addr", "127.0.0.1:1", "--timeout", "1s")...)
		if code != 2 || !strings.Contains(errs, "ID:") {
			t.Errorf("%q: exit %d %s%s; want exit 2 naming ID", args, code, out, errs)
		}
	}
}
