package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// A list file whose name is not UTF-8 (Latin-1 from a Windows share) gave
// every entry the source "import:<name>" with its bad bytes, and since
// entries are checked for UTF-8 the whole import was refused, its opt-outs
// not listed, for a reason that named the entries' source, not the file.
// Now the name's bad bytes are replaced with U+FFFD in the source, as its
// stored JSON held them before.
func TestDNCImportFileNameNotUTF8(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	f := writeFile(t, dir, "opt-outs-\xe9t\xe9.txt", "+8613800138000\n")
	code, out, errs := runCLI(t, "", "--data", data, "dnc", "import", "--scope", "global", "--list", "opt_out", "--at", "2026-01-01T00:00:00+08:00", f)
	if code != 0 || !strings.Contains(out, "imported 1 number") {
		t.Fatalf("import of a file whose name is not UTF-8: exit %d\n%s\n%s", code, out, errs)
	}
	if code, out, _ := runCLI(t, "", "--data", data, "dnc", "lookup", "+8613800138000"); code != 0 || !strings.Contains(out, "LISTED") {
		t.Fatalf("after the import: exit %d\n%s", code, out)
	}
}
