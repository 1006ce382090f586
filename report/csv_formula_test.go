package report_test

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/textsafe"
)

// TestCSVCellsKeepNames: the report's CSV neutralises formulas the way every
// dialgate export does (textsafe.CSVCell), so a cell shows, and reads back
// (textsafe.CSVText), as the name it holds: a campaign that itself starts
// with an apostrophe before "=" keeps it (two apostrophes written), and a
// campaign named like a number ("-12", "+8613800138000") is data, written
// as it is.
func TestCSVCellsKeepNames(t *testing.T) {
	log, dir := openTestLog(t)
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	g := clockGate(t, log, &now)
	names := []string{"'=HYPERLINK(\"http://example.invalid\",\"x\")", "-12", "+8613800138000", "=1+1"}
	for i, c := range names {
		callWith(t, g, "+86139001390"+string(rune('0'+i))+"0", c, dialgate.Outcome{Answered: true})
	}
	r := closeAndBuildQ4(t, log, dir)
	var b bytes.Buffer
	if err := r.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{ // campaign → cell
		names[0]:         "''=HYPERLINK(\"http://example.invalid\",\"x\")",
		"-12":            "-12",
		"+8613800138000": "+8613800138000",
		"=1+1":           "'=1+1",
	}
	found := map[string]bool{}
	for _, row := range rows {
		if row[0] != "abandoned_without_message" {
			continue
		}
		name := textsafe.CSVText(row[1])
		w, ok := want[name]
		if !ok {
			t.Errorf("row %q: key reads back as %q, no campaign of the report", row, name)
			continue
		}
		if row[1] != w {
			t.Errorf("campaign %q written %q, want %q", name, row[1], w)
		}
		found[name] = true
	}
	if len(found) != len(names) {
		t.Errorf("found the campaigns %v, want %q", found, names)
	}
}
