package callerid

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"

	"github.com/dialgate/dialgate"
)

// TestParseLedgerRefusesAmbiguousApostrophe: a ledger CSV not written by
// WriteLedgerCSV (an earlier build's, or one written by hand) whose holder,
// access or qualification starts with an apostrophe before =, +, -, @ holds
// that apostrophe as text; read as a spreadsheet-safe export it would lose
// it, and the stored entry would silently differ from the file. Such a cell
// is refused, naming the line and the field; a plain "'Acme" and a formula
// without an apostrophe read as they are.
func TestParseLedgerRefusesAmbiguousApostrophe(t *testing.T) {
	for _, c := range []struct{ field, cell string }{
		{"holder", "'=Acme Holdings"},
		{"access", "''+ext"},
		{"qualification", "'-x"},
		{"holder", "'@acme"},
	} {
		cells := map[string]string{"holder": "Acme", "access": "", "qualification": ""}
		cells[c.field] = c.cell
		file := "number,holder,access,qualification,purposes\n" +
			"+861058001234,Acme,,,service\n" +
			"+862158001234," + cells["holder"] + "," + cells["access"] + "," + cells["qualification"] + ",service\n"
		es, err := ParseLedger(strings.NewReader(file), "acme")
		if err == nil {
			t.Errorf("%s %q: read as %+v, want refused", c.field, c.cell, es)
			continue
		}
		var le *LineError
		if !errors.As(err, &le) || le.Line != 3 || !errors.Is(err, ErrInvalidEntry) || !strings.Contains(err.Error(), c.field+":") {
			t.Errorf("%s %q: %v, want a line 3 error naming %s", c.field, c.cell, err, c.field)
		}
	}
	// Not ambiguous: read as they are.
	file := "number,holder,access,qualification,purposes\n" +
		"+861058001234,'Acme,=x,+8613800138000,service\n"
	es, err := ParseLedger(strings.NewReader(file), "acme")
	if err != nil {
		t.Fatal(err)
	}
	if e := es[0]; e.Holder != "'Acme" || e.Access != "=x" || e.Qualification != "+8613800138000" {
		t.Errorf("read %q/%q/%q", e.Holder, e.Access, e.Qualification)
	}
}

// TestWriteLedgerCSVMarksItsFiles: a file WriteLedgerCSV wrote says so in
// its first line, so that ParseLedger removes the apostrophes it added —
// also when a spreadsheet saved the file again with a byte-order mark, CRLF
// line ends, the note quoted or followed by empty cells — and the error
// lines still count the note.
func TestWriteLedgerCSVMarksItsFiles(t *testing.T) {
	es := []Entry{{Tenant: "acme", Number: dialgate.MustParseNumber("+861058001234"), Type: TypeFixed,
		Holder: "'=Acme", Access: "=x", Purposes: []dialgate.Purpose{dialgate.PurposeService}}}
	var buf bytes.Buffer
	if err := WriteLedgerCSV(&buf, es); err != nil {
		t.Fatal(err)
	}
	raw := buf.String()
	first, rest, _ := strings.Cut(raw, "\n")
	if !strings.HasPrefix(first, "#") {
		t.Fatalf("first line %q: no note", first)
	}
	for name, f := range map[string]string{
		"as written":  raw,
		"bom":         "\xEF\xBB\xBF" + raw,
		"crlf":        strings.ReplaceAll(raw, "\n", "\r\n"),
		"quoted note": `"` + first + `"` + "\n" + rest,
		"padded note": first + ",,,,,,,,\n" + rest,
	} {
		back, err := ParseLedger(strings.NewReader(f), "acme")
		if err != nil {
			t.Errorf("%s: %v\n%s", name, err, f)
			continue
		}
		if len(back) != 1 || back[0].Holder != "'=Acme" || back[0].Access != "=x" {
			t.Errorf("%s: read %+v", name, back)
		}
		bad := f + "+86abc,,Acme,,,service,,,false\n"
		_, err = ParseLedger(strings.NewReader(strings.ReplaceAll(bad, "\r\n", "\n")), "acme")
		var le *LineError
		if !errors.As(err, &le) || le.Line != 4 {
			t.Errorf("%s: bad row: %v, want line 4", name, err)
		}
	}
}

// FuzzParseLedgerUnmarkedKeepsText: a ledger CSV without WriteLedgerCSV's
// note is read with every holder as its cell holds it, or refused; never
// read as other text.
func FuzzParseLedgerUnmarkedKeepsText(f *testing.F) {
	for _, h := range hostileText {
		f.Add(h)
	}
	f.Add("''")
	f.Add("'-")
	f.Fuzz(func(t *testing.T, holder string) {
		if strings.TrimSpace(holder) != holder {
			t.Skip()
		}
		var buf bytes.Buffer
		cw := csv.NewWriter(&buf)
		_ = cw.Write([]string{"number", "holder", "purposes"})
		_ = cw.Write([]string{"+861058001234", holder, "service"})
		cw.Flush()
		if strings.HasPrefix(buf.String(), ledgerNoteMark) {
			t.Skip()
		}
		es, err := ParseLedger(&buf, "t")
		if err != nil {
			return
		}
		if len(es) != 1 || es[0].Holder != holder {
			t.Fatalf("holder %q read as %+v", holder, es)
		}
	})
}
