package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScreenTenantThresholds: blind-dial thresholds are configurable per
// tenant (REQUIREMENTS §3), and a profile's sweep.tenants holds a tenant to
// stricter ones at run time — but screen judged every list with the
// profile's: acme's list holding a run of 8 (acme: min_run 5) was reported
// allowed, and its campaign then denied dial by dial. --tenant screens with
// that tenant's rules; a tenant the profile does not name is held to the
// profile's, and screen says so on stderr (a misspelt name is seen).
func TestScreenTenantThresholds(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "cn-acme.yaml")
	if err := os.WriteFile(prof, []byte(`schema: dialgate.profile.v1
name: cn-acme
extends: cn
sweep:
  tenants:
    acme:
      sequential: {min_run: 5, max_gap: 2, window: 24h, max_step: 100, cite: {source: U, ref: "stricter for acme"}}
      stride: {min_run: 5, max_gap: 2, window: 24h, cite: {source: U, ref: "stricter for acme"}}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i := range 8 {
		fmt.Fprintf(&b, "+861390013%04d\n", 2000+i)
	}
	for i := range 6 { // a stride of 6 with suffix 1234
		fmt.Fprintf(&b, "+86%d1234\n", 1370000+i)
	}
	list := filepath.Join(dir, "list.txt")
	if err := os.WriteFile(list, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "", "screen", "--profile", prof, list)
	if code != 0 || !strings.Contains(out, "14 allowed") {
		t.Fatalf("under the profile's rules (min_run 20): exit %d, want 0 with every number allowed\n%s%s", code, out, errs)
	}
	code, out, errs = runCLI(t, "", "screen", "--profile", prof, "--tenant", "acme", list)
	if code != 1 || !strings.Contains(out, "14 numbers: 0 allowed") || !strings.Contains(out, "14 in sequential runs") {
		t.Fatalf("--tenant acme (min_run 5): exit %d, want 1 with the run of 8 and the stride of 6 flagged\n%s%s", code, out, errs)
	}
	code, out, errs = runCLI(t, "", "screen", "--profile", prof, "--tenant", "acne", list)
	if code != 0 || !strings.Contains(out, "14 allowed") || !strings.Contains(errs, `tenant "acne"`) || !strings.Contains(errs, "sweep.tenants") {
		t.Fatalf("--tenant acne (not in sweep.tenants): exit %d, want 0 under the profile's rules, with a note naming sweep.tenants\n%s%s", code, out, errs)
	}
}
