package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestScenariosInvalidEscaped: `scenarios run` prints an invalid file's
// path and problem as the reports print theirs: a control character in
// them (a file name holding ESC [ 2K, a value quoted in the problem) is
// shown escaped, never sent to the terminal, where it would erase or
// rewrite the lines above.
func TestScenariosInvalidEscaped(t *testing.T) {
	path := writeFile(t, t.TempDir(), "a\x1b[1A\x1b[2K.yaml", "schema: dialgate.scenario.v1\nname: t\nprofile: cn\nstepz: []\n")
	code, out, errs := runCLI(t, "", "scenarios", "run", path)
	if code != exitBadArgs || !strings.Contains(out, "INVALID") {
		t.Fatalf("exit %d, want %d with INVALID\nstdout:\n%s\nstderr:\n%s", code, exitBadArgs, out, errs)
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("stdout holds a raw ESC:\n%q", out)
	}
	if !strings.Contains(out, filepath.Base(strings.ReplaceAll(path, "\x1b", `\x1b`))) {
		t.Errorf("stdout does not name the file escaped:\n%s", out)
	}
}
