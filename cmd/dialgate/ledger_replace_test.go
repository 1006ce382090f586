package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/internal/sidecar"
)

// TestLedgerAddNeverReplacesSilently: adding a number the tenant's ledger
// already holds with other facts (holder, purposes) is refused (exit 1,
// naming the fields that differ) and leaves the entry as it was; the same
// entry again is no change (exit 0); --replace replaces it and says what
// the entry was.
func TestLedgerAddNeverReplacesSilently(t *testing.T) {
	data := t.TempDir()
	add := func(extra ...string) (int, string, string) {
		args := append([]string{"--data", data, "ledger", "add", "--tenant", "acme", "--number", "+861058001234"}, extra...)
		return runCLI(t, "", args...)
	}
	if code, out, errs := add("--holder", "Acme Ltd", "--purposes", "marketing,service"); code != 0 {
		t.Fatalf("add: %d %q %q", code, out, errs)
	}
	code, out, errs := add("--holder", "Other Co", "--purposes", "marketing")
	if code != 1 || !strings.Contains(errs, "holder") || !strings.Contains(errs, "purposes") || !strings.Contains(errs, "--replace") {
		t.Fatalf("re-add with another holder and purpose: %d %q %q; want exit 1 naming holder, purposes and --replace", code, out, errs)
	}
	show := func() map[string]any {
		t.Helper()
		code, out, errs := runCLI(t, "", "--data", data, "ledger", "show", "--tenant", "acme", "--json")
		var es []map[string]any
		if code != 0 || json.Unmarshal([]byte(out), &es) != nil || len(es) != 1 {
			t.Fatalf("show: %d %q %q", code, out, errs)
		}
		return es[0]
	}
	if e := show(); e["holder"] != "Acme Ltd" {
		t.Fatalf("after a refused re-add the entry is %v", e)
	}
	// Purposes in another order are the same entry.
	if code, out, errs := add("--holder", "Acme Ltd", "--purposes", "service,marketing", "--type", "fixed"); code != 0 || !strings.Contains(out, "unchanged") {
		t.Fatalf("the same entry again: %d %q %q; want exit 0, unchanged", code, out, errs)
	}
	code, out, errs = add("--holder", "Other Co", "--purposes", "marketing,service", "--replace", "--json")
	var res map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil {
		t.Fatalf("--replace: %d %q %q", code, out, errs)
	}
	if prev, _ := res["replaced"].(map[string]any); prev == nil || prev["holder"] != "Acme Ltd" {
		t.Fatalf("--replace --json: %v; want the replaced entry under \"replaced\"", res)
	}
	if e := show(); e["holder"] != "Other Co" {
		t.Fatalf("after --replace the entry is %v", e)
	}
}

// TestLedgerImportNeverReplacesSilently: an import that would change an
// entry already in the ledger is refused as a whole (exit 1, naming the entry,
// its number and the fields), unless --replace.
func TestLedgerImportNeverReplacesSilently(t *testing.T) {
	data := t.TempDir()
	if code, out, errs := runCLI(t, "", "--data", data, "ledger", "add", "--tenant", "acme", "--number", "+861058001234",
		"--holder", "Acme Ltd", "--purposes", "service"); code != 0 {
		t.Fatalf("add: %d %q %q", code, out, errs)
	}
	file := filepath.Join(t.TempDir(), "ledger.csv")
	os.WriteFile(file, []byte("number,holder,purposes\n+861058001235,Acme Ltd,service\n+861058001234,Acme Ltd,service;marketing\n"), 0o600)
	code, out, errs := runCLI(t, "", "--data", data, "ledger", "import", file, "--tenant", "acme")
	if code != 1 || !strings.Contains(errs, "entry 2: +861058001234") || !strings.Contains(errs, "purposes") || !strings.Contains(errs, "--replace") {
		t.Fatalf("import over a different entry: %d %q %q; want exit 1 naming entry 2, its number, purposes and --replace", code, out, errs)
	}
	if code, _, _ := runCLI(t, "", "--data", data, "ledger", "show", "--tenant", "acme", "+861058001235"); code != 1 {
		t.Fatal("a refused import stored its other lines")
	}
	same := filepath.Join(t.TempDir(), "same.csv")
	os.WriteFile(same, []byte("number,holder,purposes\n+861058001235,Acme Ltd,service\n+861058001234,Acme Ltd,service\n"), 0o600)
	if code, out, errs := runCLI(t, "", "--data", data, "ledger", "import", same, "--tenant", "acme"); code != 0 {
		t.Fatalf("import of a new entry and an unchanged one: %d %q %q", code, out, errs)
	}
	code, out, errs = runCLI(t, "", "--data", data, "ledger", "import", file, "--tenant", "acme", "--replace")
	if code != 0 || !strings.Contains(out, "1 replaced") {
		t.Fatalf("import --replace: %d %q %q", code, out, errs)
	}
}

// TestAdminLedgerAddReplace: admin ledger add sends --replace; without it a
// different entry is refused (exit 1) naming the fields.
func TestAdminLedgerAddReplace(t *testing.T) {
	s := startAdminSidecar(t, sidecar.Config{})
	add := func(extra ...string) (int, string, string) {
		return s.admin(t, append([]string{"ledger", "add", "--tenant", "acme", "--number", "+861058001234"}, extra...)...)
	}
	if code, out, errs := add("--holder", "Acme Ltd", "--purposes", "service"); code != 0 {
		t.Fatalf("add: %d %q %q", code, out, errs)
	}
	if code, out, errs := add("--holder", "Acme Ltd", "--purposes", "service"); code != 0 {
		t.Fatalf("the same entry again: %d %q %q", code, out, errs)
	}
	if code, out, errs := add("--holder", "Other Co", "--purposes", "service"); code != 1 || !strings.Contains(errs, "holder") {
		t.Fatalf("another holder: %d %q %q; want exit 1 naming holder", code, out, errs)
	}
	if code, out, errs := add("--holder", "Other Co", "--purposes", "service", "--replace"); code != 0 {
		t.Fatalf("--replace: %d %q %q", code, out, errs)
	}
}
