package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// A log that only `dialgate check` wrote carries no log id (check leaves the
// identity to dialgate serve), although its checkpoints carry a time: verify
// must not say they were written before checkpoints carried one.
func TestAuditVerifyNoLogIDFromCheck(t *testing.T) {
	dir := t.TempDir()
	if code, out, errs := runCheckAt(t, "", "--data", dir, "ledger", "add", "--tenant", "acme",
		"--number", "+861058001234", "--holder", "Acme Ltd", "--purposes", "service"); code != 0 {
		t.Fatalf("ledger add: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := runCheckAt(t, "", "--data", dir, "check", "--tenant", "acme", "--to", "+8613800138000",
		"--from", "+861058001234", "--purpose", "service", "--lead-id", "x", "--at", "2026-12-04T10:30:00+08:00"); code != 0 {
		t.Fatalf("check: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs := runCheckAt(t, "", "audit", "verify", filepath.Join(dir, "audit"),
		"--key", filepath.Join(dir, "keys", "audit-signer.pub"))
	if code != 0 {
		t.Fatalf("verify: exit %d\n%s%s", code, out, errs)
	}
	if !strings.Contains(out, "checkpoints dated ") {
		t.Fatalf("verify: the checkpoints carry no time?\n%s", out)
	}
	if strings.Contains(out, "were written before they carried one") ||
		!strings.Contains(out, "no log id: no checkpoint carries one (written by a build from before checkpoints carried one, or by dialgate check") {
		t.Errorf("verify of a log only dialgate check wrote:\n%s\nwant the no-log-id line to name dialgate check as a cause", out)
	}
}
