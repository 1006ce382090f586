package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScreenEmptyTenantRefused: `screen --tenant ""` (an unset shell
// variable) screened with the profile's thresholds after a note, exit 0:
// a list meant for a tenant held to stricter ones was passed under the
// wrong rules. An explicitly empty --tenant is bad input naming --tenant
// (exit 2), as in consent grant; a non-UTF-8 one as well.
func TestScreenEmptyTenantRefused(t *testing.T) {
	list := filepath.Join(t.TempDir(), "list.txt")
	if err := os.WriteFile(list, []byte("+8613900132000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tenant := range []string{"", "ac\xffme"} {
		for _, args := range [][]string{
			{"screen", "--tenant", tenant, list},
			{"screen", "--tenant=" + tenant, list},
		} {
			code, out, errs := runCLI(t, "", args...)
			if code != 2 || !strings.Contains(errs, "--tenant") {
				t.Errorf("%q: exit %d, want 2 naming --tenant\n%s%s", args, code, out, errs)
			}
		}
	}
	if code, out, errs := runCLI(t, "", "screen", list); code != 0 {
		t.Errorf("without --tenant: exit %d, want 0\n%s%s", code, out, errs)
	}
}
