package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/callerid"
)

// TestLedgerImportReadsNeutralisedCSV: a ledger exported for spreadsheets
// (callerid.WriteLedgerCSV, formulas behind an apostrophe) imports with
// ledger import as exactly the entries exported — a holder that is a
// formula, one that itself starts with an apostrophe, and a number-like
// text included.
func TestLedgerImportReadsNeutralisedCSV(t *testing.T) {
	data := t.TempDir()
	es := []callerid.Entry{
		{Tenant: "acme", Number: dialgate.MustParseNumber("+861058001234"), Type: callerid.TypeFixed,
			Holder: `=HYPERLINK("http://example.invalid","Acme")`, Access: "+cmd|' /C calc'!A0", Qualification: "'=B2-2019",
			Purposes: []dialgate.Purpose{dialgate.PurposeService}},
		{Tenant: "acme", Number: dialgate.MustParseNumber("+862158001234"), Type: callerid.TypeFixed,
			Holder: "'Acme Ltd", Access: "-2+3", Qualification: "+8613800138000",
			Purposes: []dialgate.Purpose{dialgate.PurposeMarketing}},
	}
	var buf bytes.Buffer
	if err := callerid.WriteLedgerCSV(&buf, es); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "ledger.csv")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runCLI(t, "", "--data", data, "ledger", "import", file, "--tenant", "acme"); code != 0 {
		t.Fatalf("import: exit %d, %s %s\n%s", code, out, errs, buf.String())
	}
	code, out, errs := runCLI(t, "", "--data", data, "ledger", "show", "--tenant", "acme", "--json")
	if code != 0 {
		t.Fatalf("show: exit %d, %s", code, errs)
	}
	var got []callerid.Entry
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(got) != len(es) {
		t.Fatalf("%d entries stored, want %d: %s", len(got), len(es), out)
	}
	for _, w := range es {
		found := false
		for _, g := range got {
			if g.Number == w.Number {
				found = true
				if diff := w.ChangedFields(g); diff != nil {
					t.Errorf("%s stored with another %v: %+v, want %+v", w.Number, diff, g, w)
				}
			}
		}
		if !found {
			t.Errorf("%s not stored", w.Number)
		}
	}
	// Imported again, the same file changes nothing (no --replace needed).
	if code, out, errs := runCLI(t, "", "--data", data, "ledger", "import", file, "--tenant", "acme"); code != 0 {
		t.Errorf("second import: exit %d, %s %s", code, out, errs)
	}
}

// TestLedgerImportRefusesAmbiguousApostrophe: a ledger CSV of an earlier
// build (or written by hand) whose holder starts with an apostrophe before
// "=" holds that apostrophe as text; import refuses it (exit 2, naming the
// line and the field) and stores nothing, rather than storing the holder
// without it.
func TestLedgerImportRefusesAmbiguousApostrophe(t *testing.T) {
	data := t.TempDir()
	file := filepath.Join(t.TempDir(), "old.csv")
	old := "number,holder,purposes\n+861058001234,Acme,service\n+862158001234,'=Acme (Beijing),service\n"
	if err := os.WriteFile(file, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "", "--data", data, "ledger", "import", file, "--tenant", "acme")
	if code != 2 || !bytes.Contains([]byte(errs), []byte("line 3: holder:")) {
		t.Fatalf("import: exit %d, %s %s; want 2 naming line 3's holder", code, out, errs)
	}
	code, out, errs = runCLI(t, "", "--data", data, "ledger", "show", "--tenant", "acme", "--json")
	if code == 2 && bytes.Contains([]byte(errs), []byte("no store")) {
		return // refused before a store was made
	}
	if code != 0 {
		t.Fatalf("show: exit %d, %s", code, errs)
	}
	var got []callerid.Entry
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(got) != 0 {
		t.Errorf("stored %+v, want nothing", got)
	}
}
