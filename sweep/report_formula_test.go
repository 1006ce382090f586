package sweep

import (
	"bytes"
	"encoding/csv"
	"errors"
	"testing"

	"github.com/dialgate/dialgate"
)

// TestWriteCSVNeutralisesFormulas: screen --csv is opened in a spreadsheet;
// its free-text cell (the error) is written so that a spreadsheet shows it
// as text (a leading apostrophe before =, +, -, @), while the number stays
// the E.164 number it is. Screen's own errors start with "line N:", but a
// Report built by a caller may say anything.
func TestWriteCSVNeutralisesFormulas(t *testing.T) {
	n := dialgate.MustParseNumber("+8613800138000")
	rep := &Report{Results: []Result{
		{Line: 1, Findings: FindingInvalid, Err: errors.New(`=HYPERLINK("http://example.invalid","x")`)},
		{Line: 2, Findings: FindingInvalid, Err: errors.New("+cmd|' /C calc'!A0")},
		{Line: 3, Number: n},
	}}
	var b bytes.Buffer
	if err := rep.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows: %q", len(rows), rows)
	}
	for i, want := range []string{`'=HYPERLINK("http://example.invalid","x")`, "'+cmd|' /C calc'!A0"} {
		if got := rows[i+1][6]; got != want {
			t.Errorf("row %d: error cell %q, want %q", i+1, got, want)
		}
	}
	if rows[3][1] != "+8613800138000" {
		t.Errorf("number cell %q, want +8613800138000 as it is", rows[3][1])
	}
}
