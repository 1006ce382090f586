package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestDNCImportAgainWithNewNumbers: a list imported again with numbers
// added after those already listed lists every new number. The embedded
// store stopped its batch at the first entry it already held unchanged
// and committed the rest unwritten, while the import reported every number
// imported: the opt-outs added to a list file since its last import were
// silently lost.
func TestDNCImportAgainWithNewNumbers(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	imp := []string{"--data", data, "dnc", "import", "--scope", "global", "--list", "opt_out", "--at", "2026-01-01T00:00:00+08:00"}
	first := writeFile(t, dir, "v1.txt", "+8613800138000\n")
	if code, out, errs := runCLI(t, "", append(imp, first)...); code != 0 {
		t.Fatalf("first import: exit %d\n%s\n%s", code, out, errs)
	}
	again := writeFile(t, dir, "v2.txt", "+8613800138000\n+8613800138001\n+8613800138002\n")
	if code, out, errs := runCLI(t, "", append(imp, again)...); code != 0 || !strings.Contains(out, "imported 3 numbers") {
		t.Fatalf("second import: exit %d\n%s\n%s", code, out, errs)
	}
	for _, n := range []string{"+8613800138000", "+8613800138001", "+8613800138002"} {
		if code, out, _ := runCLI(t, "", "--data", data, "dnc", "lookup", n); code != 0 || !strings.Contains(out, "LISTED") {
			t.Errorf("%s after the second import: exit %d\n%s", n, code, out)
		}
	}
}
