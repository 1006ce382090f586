package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLedgerCommands(t *testing.T) {
	data := t.TempDir()
	code, out, errs := runCheckAt(t, "", "--data", data, "ledger", "add", "--tenant", "acme", "--number", "+861058001234",
		"--holder", "Acme Ltd", "--purposes", "marketing,service", "--valid-until", "2027-12-31T00:00:00+08:00")
	if code != 0 || !strings.Contains(out, "added +861058001234 (fixed)") {
		t.Fatalf("add: %d %q %q", code, out, errs)
	}
	// The check command now finds the caller ID in the ledger.
	code, out, errs = runCheckAt(t, "", "--data", data, "check", "--to", "+8613800138000", "--from", "+861058001234",
		"--purpose", "service", "--lead-id", "x", "--tenant", "acme", "--at", "2026-12-04T10:00:00+08:00")
	if code != 0 {
		t.Fatalf("check with a ledger caller ID: %d %q %q", code, out, errs)
	}
	code, out, _ = runCheckAt(t, "", "--data", data, "check", "--to", "+8613800138000", "--from", "+8613900139000",
		"--purpose", "service", "--lead-id", "x", "--tenant", "acme", "--at", "2026-12-04T10:00:00+08:00")
	if code != 1 || !strings.Contains(out, "callerid.subscriber_number") {
		t.Fatalf("check with a subscriber caller ID: %d %q", code, out)
	}

	file := filepath.Join(t.TempDir(), "ledger.csv")
	os.WriteFile(file, []byte("number,holder,purposes,type\n+8695566,Acme Ltd,service;collections,95\n+8613800138001,Acme Ltd,service,mobile_business\n"), 0o600)
	code, out, errs = runCheckAt(t, "", "--data", data, "ledger", "import", file, "--tenant", "acme")
	if code != 0 || !strings.Contains(out, "imported 2") {
		t.Fatalf("import: %d %q %q", code, out, errs)
	}
	code, out, _ = runCheckAt(t, "", "--data", data, "ledger", "show", "--tenant", "acme", "--json")
	var entries []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &entries) != nil || len(entries) != 3 {
		t.Fatalf("show --json: %d %q", code, out)
	}
	code, out, _ = runCheckAt(t, "", "--data", data, "ledger", "show", "--tenant", "acme", "+8695566")
	if code != 0 || !strings.Contains(out, "collections") {
		t.Fatalf("show one: %d %q", code, out)
	}
	if code, _, _ = runCheckAt(t, "", "--data", data, "ledger", "show", "--tenant", "acme", "+8695500"); code != 1 {
		t.Fatalf("show a missing entry: exit %d, want 1", code)
	}

	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("number,holder,purposes\n+861058001235,A,service\n+861058001236,,service\n"), 0o600)
	code, _, errs = runCheckAt(t, "", "--data", data, "ledger", "import", bad, "--tenant", "acme")
	if code != 2 || !strings.Contains(errs, "line 3: holder: missing") {
		t.Fatalf("malformed import: %d %q", code, errs)
	}
	code, out, _ = runCheckAt(t, "", "--data", data, "ledger", "show", "--tenant", "acme", "+861058001235")
	if code != 1 {
		t.Fatalf("a malformed file stored its good lines: %d %q", code, out)
	}
	for _, args := range [][]string{
		{"ledger", "add", "--tenant", "acme", "--holder", "A", "--purposes", "service"},
		{"ledger", "add", "--number", "+8613800138000", "--holder", "A", "--purposes", "service"},
		{"ledger", "add", "--number", "+861058001234", "--holder", "A", "--purposes", "spam"},
		{"ledger", "add", "--number", "+861058001234", "--holder", "A", "--purposes", "service", "--valid-from", "soon"},
	} {
		if code, _, errs := runCheckAt(t, "", append([]string{"--data", data}, args...)...); code != 2 || !strings.HasPrefix(strings.TrimPrefix(errs, "dialgate: "), "--") {
			t.Errorf("%v: exit %d, stderr %q; want 2 and an error naming the flag", args, code, errs)
		}
	}
}

func TestScreenCommand(t *testing.T) {
	var b strings.Builder
	b.WriteString("phone,name\n")
	for i := range 22 {
		fmt.Fprintf(&b, "1390000%04d,x\n", i)
	}
	b.WriteString("13800138000,y\nnot-a-number,z\n13800138000,dup\n")
	file := filepath.Join(t.TempDir(), "list.csv")
	os.WriteFile(file, []byte(b.String()), 0o600)
	code, out, errs := runCLI(t, "", "screen", file)
	if code != 1 || !strings.Contains(out, "line 25\t\t\tlist.invalid(line 25:") || !strings.Contains(out, "sweep.sequential(run 22)") ||
		!strings.Contains(out, "25 numbers: 1 allowed, 1 invalid, 1 duplicate, 0 do-not-call, 22 in sequential runs") {
		t.Fatalf("screen: %d\n%s\n%s", code, out, errs)
	}
	code, out, _ = runCLI(t, "", "screen", "--json", file)
	var doc struct {
		Summary struct{ Total, Sequential int }
		Results []struct{ Line int }
	}
	if code != 1 || json.Unmarshal([]byte(out), &doc) != nil || doc.Summary.Total != 25 || len(doc.Results) != 25 {
		t.Fatalf("screen --json: %d %q", code, out)
	}
	code, out, _ = runCLI(t, "", "screen", "--csv", file)
	if code != 1 || len(strings.Split(strings.TrimSpace(out), "\n")) != 26 {
		t.Fatalf("screen --csv: %d %q", code, out)
	}
	ok := filepath.Join(t.TempDir(), "ok.txt")
	os.WriteFile(ok, []byte("+8613800138000\n+8613900139000\n"), 0o600)
	if code, out, _ := runCLI(t, "", "screen", ok); code != 0 || !strings.Contains(out, "2 allowed") {
		t.Fatalf("clean list: %d %q", code, out)
	}
	if code, _, _ := runCLI(t, "", "screen", "--json", "--csv", ok); code != 2 {
		t.Fatalf("--json --csv: exit %d", code)
	}
	if code, _, _ := runCLI(t, "", "screen", filepath.Join(t.TempDir(), "missing")); code != 2 {
		t.Fatalf("missing file: exit %d", code)
	}
}

// A CSV row whose first cell starts with "#" is a row to a dialer's CSV
// reader, so screen must screen its number, not skip it as a comment.
func TestScreenCSVRowStartingWithHash(t *testing.T) {
	file := filepath.Join(t.TempDir(), "list.csv")
	os.WriteFile(file, []byte("# exported for winter, batch 1\nnote,phone\n#1 VIP,13900139000\n# batch 2\nok,13900139000\n"), 0o600)
	code, out, errs := runCLI(t, "", "screen", "--all", file)
	if code != 1 || !strings.Contains(out, "line 3\t+8613900139000") || !strings.Contains(out, "2 numbers: 1 allowed, 0 invalid, 1 duplicate") {
		t.Fatalf("screen: exit %d, want 1 with line 3 screened and line 5 its duplicate\n%s\n%s", code, out, errs)
	}
}

// Under a profile other than cn, numbers without + are not read as Chinese
// numbers by default: a US list read so was screened in the wrong segments
// and its sequential runs missed. They are invalid until --country is given.
func TestScreenCountryDefaultsToCNOnly(t *testing.T) {
	var b strings.Builder
	for i := range 12 {
		fmt.Fprintf(&b, "40555501%02d\n", i)
	}
	file := filepath.Join(t.TempDir(), "us.txt")
	os.WriteFile(file, []byte(b.String()), 0o600)
	code, out, errs := runCLI(t, "", "screen", "--profile", "us-ok", file)
	if code != 1 || !strings.Contains(out, "12 invalid") || !strings.Contains(errs, "12 numbers written without +: give --country") {
		t.Fatalf("us-ok list without --country: exit %d, want 1 with every number invalid and --country named\n%s\n%s", code, out, errs)
	}
	code, out, errs = runCLI(t, "", "screen", "--profile", "us-ok", "--country", "1", file)
	if code != 1 || !strings.Contains(out, "12 in sequential runs") {
		t.Fatalf("us-ok list with --country 1: exit %d, want the run of 12 found\n%s\n%s", code, out, errs)
	}
}

// --country must be a country calling code: "--country 4" (for 44) read
// "020 7946 0000" as the Czech number +420 7946 0000 and allowed it.
func TestScreenCountryFlagMustBeACountryCode(t *testing.T) {
	file := filepath.Join(t.TempDir(), "list.txt")
	os.WriteFile(file, []byte("020 7946 0000\n"), 0o600)
	for _, c := range []string{"4", "3", "1000", "-1", "999"} {
		if code, out, errs := runCLI(t, "", "screen", "--country", c, file); code != 2 || !strings.Contains(errs, "--country") {
			t.Errorf("--country %s: exit %d, stderr %q, want 2 naming --country\n%s", c, code, errs, out)
		}
	}
	for _, c := range []string{"0", "44", "86", "1"} {
		if code, out, errs := runCLI(t, "", "screen", "--country", c, file); code == 2 {
			t.Errorf("--country %s: exit 2: %s %s", c, out, errs)
		}
	}
}

// TestLedgerAddErrorQuotesValuesAsWritten: an error of `ledger add` names the
// flag of the field at fault (--valid-until for valid_until) but leaves the
// rest of the message alone. It used to turn every "_" into "-", so the
// error for --type advised "mobile-business", which --type refuses, and
// quoted the value given otherwise than it was written.
func TestLedgerAddErrorQuotesValuesAsWritten(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--number", "+8613800138000"}, []string{"--type: ", "write mobile_business"}},
		{[]string{"--number", "+861058001234", "--type", "fixed_line"}, []string{"--type: ", `"fixed_line"`, "or mobile_business"}},
		{[]string{"--number", "+861058001234", "--valid-from", "2027-01-01T00:00:00Z", "--valid-until", "2026-01-01T00:00:00Z"},
			[]string{"--valid-until: "}},
	} {
		args := append([]string{"ledger", "add", "--tenant", "acme", "--holder", "A", "--purposes", "service"}, c.args...)
		code, _, errs := runCLI(t, "", args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (%q)", c.args, code, errs)
		}
		for _, w := range c.want {
			if !strings.Contains(errs, w) {
				t.Errorf("%v: stderr %q does not say %q", c.args, errs, w)
			}
		}
	}
}

// screen --dnc finds a French overseas line listed under its other
// spelling (+596 596 … in the snapshot, +33 596 … in the list), as the
// gate's do-not-call check does.
func TestScreenDNCOverseasSpelling(t *testing.T) {
	dir := t.TempDir()
	reg := filepath.Join(dir, "bloctel.txt")
	os.WriteFile(reg, []byte("+596596000180\n"), 0o600)
	snap := filepath.Join(dir, "bloctel.dnc")
	if code, _, errs := runCLI(t, "", "dnc", "build", "--out", snap, "--name", "fr-bloctel", "--as-of", "2026-06-01T00:00:00Z", reg); code != 0 {
		t.Fatalf("dnc build: %s", errs)
	}
	prof := filepath.Join(dir, "fr-screen.yaml")
	os.WriteFile(prof, []byte("schema: dialgate.profile.v1\nname: fr-screen\nextends: fr\nsweep:\n  coverage: {max_per_segment: 1000, cite: {source: U, ref: test}}\n"), 0o600)
	list := filepath.Join(dir, "list.txt")
	os.WriteFile(list, []byte("+33596000180\n+33596000181\n"), 0o600)
	code, out, errs := runCLI(t, "", "screen", "--profile", prof, "--dnc", snap, list)
	if code != 1 || !strings.Contains(out, "2 numbers: 1 allowed, 0 invalid, 0 duplicate, 1 do-not-call") {
		t.Fatalf("screen: exit %d, want 1 with the +33 spelling found on the list\n%s\n%s", code, out, errs)
	}
}
