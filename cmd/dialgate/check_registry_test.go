package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckWithRegistry: the us profile denies every dial until a current
// copy of the national registry is given; with one, a listed number is denied
// and another allowed; a stale copy denies again. Every dial presents a caller
// ID (us requires one: 47 CFR 64.1601(e)(1)); without it the allowed dial is
// denied callerid.missing.
func TestCheckWithRegistry(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "registry.txt")
	if err := os.WriteFile(list, []byte("+12125550100\n+12125550101\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(dir, "us.dnc")
	if code, _, errs := runCLI(t, "", "dnc", "build", "--out", snap, "--name", "us-national-dnc", "--as-of", "2026-06-01T00:00:00Z", list); code != 0 {
		t.Fatalf("dnc build: %s", errs)
	}
	dial := []string{"check", "--profile", "us", "--to", "+12125550100", "--from", "+12025550123", "--purpose", "service", "--lead-id", "l", "--at", "2026-06-10T12:00:00-04:00"}
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{dial, 1, "dnc.registry_stale"},
		{append(dial, "--registry", snap), 1, "dnc.listed"},
		{[]string{"check", "--profile", "us", "--to", "+12125550199", "--from", "+12025550123", "--purpose", "service", "--lead-id", "l", "--at", "2026-06-10T12:00:00-04:00", "--registry", snap, "--what-if"}, 0, "ALLOWED"},
		{[]string{"check", "--profile", "us", "--to", "+12125550199", "--purpose", "service", "--lead-id", "l", "--at", "2026-06-10T12:00:00-04:00", "--registry", snap, "--what-if"}, 1, "callerid.missing"},
		{[]string{"check", "--profile", "us", "--to", "+12125550199", "--from", "+12025550123", "--purpose", "service", "--lead-id", "l", "--at", "2026-07-10T12:00:00-04:00", "--registry", snap}, 1, "dnc.registry_stale"},
	} {
		code, out, errs := runCLI(t, "", tc.args...)
		if code != tc.code || !strings.Contains(out, tc.out) {
			t.Errorf("%v: exit %d\n%s\n%s", tc.args, code, out, errs)
		}
	}
	if code, _, errs := runCLI(t, "", append(dial, "--registry", filepath.Join(dir, "missing.dnc"))...); code != 2 || !strings.Contains(errs, "--registry") {
		t.Errorf("missing snapshot: exit %d %s", code, errs)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.dnc"), []byte("not a snapshot"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCLI(t, "", append(dial, "--registry", filepath.Join(dir, "bad.dnc"))...); code != 2 || !strings.Contains(errs, "corrupt") {
		t.Errorf("corrupt snapshot: exit %d %s", code, errs)
	}
}
