package callerid

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/strictjson"
	"github.com/dialgate/dialgate/internal/textsafe"
)

// LineError is a ledger-file error on one line. It wraps the cause, which
// wraps ErrInvalidEntry.
type LineError struct {
	Line int   // 1-based line number in the file
	Err  error // what is wrong
}

// Error returns "line N: " followed by the problem.
func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// Unwrap returns the cause.
func (e *LineError) Unwrap() error { return e.Err }

// ledgerColumns are the columns of a CSV ledger file, in the order written by
// WriteLedgerCSV.
var ledgerColumns = []string{"number", "type", "holder", "access", "qualification", "purposes", "valid_from", "valid_until", "office_use_only"}

// ParseLedger reads a ledger file and returns its entries, each normalized and
// assigned to tenant. It reads either
//
//   - CSV with a header row naming the columns (any order): number, holder and
//     purposes are required; type, access, qualification, valid_from,
//     valid_until (RFC 3339) and office_use_only (true/false) are optional;
//     purposes are separated by ";" or "|"; lines starting with "#" are
//     comments; in a file whose first line is the note WriteLedgerCSV
//     writes (also quoted or followed by empty cells), a holder, access or
//     qualification cell that starts with apostrophes followed by =, +, -,
//     @, a tab or a carriage return (not a plain number) loses one
//     apostrophe, which WriteLedgerCSV adds so that spreadsheets show such
//     text rather than run it as a formula (textsafe.CSVText: "'=x" reads
//     "=x", a cell of two apostrophes and =x reads "'=x", "'Acme" reads
//     "'Acme"); in any other file (an earlier build's, or written by hand)
//     such a cell is refused, as its apostrophe may be the text's own; or
//   - JSON lines: one object per line with the keys of Entry except tenant
//     (a file whose first non-blank character is "{").
//
// It stops at the first bad line and returns a *LineError naming the line and
// the field, wrapping ErrInvalidEntry. A number that appears twice is an error.
func ParseLedger(r io.Reader, tenant string) ([]Entry, error) {
	br := bufio.NewReader(r)
	var (
		entries []Entry
		err     error
	)
	if sniffJSON(br) {
		entries, err = parseLedgerJSON(br, tenant)
	} else {
		safe, r := sniffLedgerNote(br)
		entries, err = parseLedgerCSV(r, tenant, safe)
	}
	if err != nil {
		return nil, err
	}
	return entries, nil
}

// sniffJSON reports whether the first non-blank byte is "{".
func sniffJSON(br *bufio.Reader) bool {
	b, _ := br.Peek(4096)
	b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

// ledgerNoteMark begins the first line of every ledger CSV WriteLedgerCSV
// writes (ledgerNote): its free-text cells are spreadsheet-safe
// (textsafe.CSVCell), so ParseLedger removes the apostrophe added before a
// formula. It holds no comma, semicolon or quote, which a spreadsheet saving
// the file again would split or quote.
const ledgerNoteMark = "# dialgate ledger CSV with spreadsheet-safe text cells"

// ledgerNote is the first line of a ledger CSV WriteLedgerCSV writes.
const ledgerNote = ledgerNoteMark + ": a holder or access or qualification starting with = + - or @ has one more leading apostrophe which ledger import removes"

// sniffLedgerNote reports whether br's first line is ledgerNote's (after a
// byte-order mark; quoted or followed by empty cells, as a spreadsheet may
// save it) and returns the reader of the CSV: without that line, replaced by
// an empty one (which the CSV reader skips and counts, so that errors name
// the file's lines).
func sniffLedgerNote(br *bufio.Reader) (bool, io.Reader) {
	b, _ := br.Peek(4096)
	line := b
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		line = b[:i+1]
	} else if len(b) == 4096 {
		return false, br
	}
	t := bytes.TrimPrefix(line, []byte("\xEF\xBB\xBF"))
	t = bytes.TrimPrefix(t, []byte(`"`))
	if !bytes.HasPrefix(t, []byte(ledgerNoteMark)) {
		return false, br
	}
	n := len(line)
	_, _ = br.Discard(n)
	return true, io.MultiReader(strings.NewReader("\n"), br)
}

type dupCheck map[key]int

func (d dupCheck) add(e Entry, line int) error {
	k := key{e.Tenant, e.Number}
	if first, ok := d[k]; ok {
		return &LineError{Line: line, Err: entryErr("number", "%s already listed on line %d", e.Number, first)}
	}
	d[k] = line
	return nil
}

// fileEntry is a JSON-lines ledger record: Entry without the tenant.
type fileEntry struct {
	Number        string             `json:"number"`
	Type          ResourceType       `json:"type"`
	Holder        string             `json:"holder"`
	Access        string             `json:"access"`
	Qualification string             `json:"qualification"`
	Purposes      []dialgate.Purpose `json:"purposes"`
	ValidFrom     string             `json:"valid_from"`
	ValidUntil    string             `json:"valid_until"`
	OfficeUseOnly bool               `json:"office_use_only"`
}

func parseLedgerJSON(r io.Reader, tenant string) ([]Entry, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	var out []Entry
	seen := dupCheck{}
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if line == 1 {
			text = bytes.TrimPrefix(text, []byte("\xEF\xBB\xBF"))
		}
		if len(text) == 0 || text[0] == '#' {
			continue
		}
		if err := checkKeys(text); err != nil {
			return nil, &LineError{Line: line, Err: err}
		}
		dec := json.NewDecoder(bytes.NewReader(text))
		dec.DisallowUnknownFields()
		var fe fileEntry
		if err := dec.Decode(&fe); err != nil {
			return nil, &LineError{Line: line, Err: fmt.Errorf("%w: %w", jsonErr(err), ErrInvalidEntry)}
		}
		// Anything but the end of the line after the object is refused:
		// dec.More alone reports a stray "}" or "]" as no more input.
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			return nil, &LineError{Line: line, Err: fmt.Errorf("text after the JSON object: %w", ErrInvalidEntry)}
		}
		e, err := fe.entry(tenant)
		if err == nil {
			e, err = e.Normalize()
		}
		if err != nil {
			return nil, &LineError{Line: line, Err: err}
		}
		if err := seen.add(e, line); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, &LineError{Line: line + 1, Err: fmt.Errorf("%w: %w", err, ErrInvalidEntry)}
	}
	return out, nil
}

// fileKeys are the keys of a JSON-lines ledger record, exactly as written.
var fileKeys = map[string]bool{
	"number": true, "type": true, "holder": true, "access": true, "qualification": true,
	"purposes": true, "valid_from": true, "valid_until": true, "office_use_only": true,
}

// checkKeys rejects a record with a key given twice or in another case
// ("Purposes"): encoding/json matches keys case-insensitively and keeps the
// last of duplicates, which would silently pick one of two purpose lists or
// office-use flags. Anything that is not an object is left to the decoder.
func checkKeys(text []byte) error {
	k, p, bad := strictjson.BadKey(text, fileKeys)
	if !bad {
		return nil
	}
	if len(k) > 40 {
		k = k[:40] + "…"
	}
	if p == strictjson.Twice {
		return entryErr(k, "given twice")
	}
	return entryErr(strings.ToValidUTF8(k, "?"), "unknown key (keys are lower case: %s)", strings.Join(ledgerColumns, ", "))
}

func jsonErr(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Errorf("%s: want %s", te.Field, te.Type)
	}
	return err
}

func (fe fileEntry) entry(tenant string) (Entry, error) {
	e := Entry{Tenant: tenant, Type: fe.Type, Holder: fe.Holder, Access: fe.Access,
		Qualification: fe.Qualification, Purposes: fe.Purposes, OfficeUseOnly: fe.OfficeUseOnly}
	return e, e.parseFields(fe.Number, fe.ValidFrom, fe.ValidUntil)
}

// parseFields parses the number and the validity bounds of a file record into e.
func (e *Entry) parseFields(number, from, until string) error {
	n, err := dialgate.ParseNumber(number)
	if err != nil {
		if number == "" {
			return entryErr("number", "missing")
		}
		return fmt.Errorf("number: %w: %w", err, ErrInvalidEntry)
	}
	e.Number = n
	for _, f := range []struct {
		name, v string
		dst     *time.Time
	}{{"valid_from", from, &e.ValidFrom}, {"valid_until", until, &e.ValidUntil}} {
		if f.v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, f.v)
		if err != nil {
			return entryErr(f.name, "%q is not an RFC 3339 time (2027-12-31T00:00:00+08:00)", f.v)
		}
		*f.dst = t
	}
	return nil
}

// parseLedgerCSV reads a CSV ledger; safe says its free-text cells are
// spreadsheet-safe (sniffLedgerNote).
func parseLedgerCSV(r io.Reader, tenant string, safe bool) ([]Entry, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil {
		return nil, csvErr(err, 1)
	}
	hline, _ := cr.FieldPos(0)
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\xEF\xBB\xBF")))
		if !slices.Contains(ledgerColumns, h) {
			return nil, &LineError{Line: hline, Err: fmt.Errorf("header: unknown column %q (want %s): %w", h, strings.Join(ledgerColumns, ", "), ErrInvalidEntry)}
		}
		if _, dup := col[h]; dup {
			return nil, &LineError{Line: hline, Err: fmt.Errorf("header: column %q twice: %w", h, ErrInvalidEntry)}
		}
		col[h] = i
	}
	for _, req := range []string{"number", "holder", "purposes"} {
		if _, ok := col[req]; !ok {
			return nil, &LineError{Line: hline, Err: fmt.Errorf("header: missing column %q: %w", req, ErrInvalidEntry)}
		}
	}
	var out []Entry
	seen := dupCheck{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvErr(err, 0)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != len(header) {
			return nil, &LineError{Line: line, Err: fmt.Errorf("%d fields, the header has %d: %w", len(rec), len(header), ErrInvalidEntry)}
		}
		e, err := csvEntry(rec, col, tenant, safe)
		if err == nil {
			e, err = e.Normalize()
		}
		if err != nil {
			return nil, &LineError{Line: line, Err: err}
		}
		if err := seen.add(e, line); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func csvErr(err error, line int) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &LineError{Line: pe.Line, Err: fmt.Errorf("%w: %w", pe.Err, ErrInvalidEntry)}
	}
	return &LineError{Line: line, Err: fmt.Errorf("%w: %w", err, ErrInvalidEntry)}
}

func csvEntry(rec []string, col map[string]int, tenant string, safe bool) (Entry, error) {
	get := func(name string) string {
		if i, ok := col[name]; ok {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	// The free-text cells, as WriteLedgerCSV neutralised them for
	// spreadsheets (textsafe.CSVCell), read back as the text they hold. In
	// a file without its note (an earlier build's, or written by hand) a
	// cell that would lose an apostrophe is refused: there it may be the
	// text's own, and reading it either way could store other text than
	// the file's author meant.
	var ambiguous error
	text := func(name string) string {
		c := get(name)
		t := textsafe.CSVText(c)
		if t != c && !safe && ambiguous == nil {
			ambiguous = entryErr(name, "%q starts with an apostrophe before %q, which a ledger CSV written by dialgate (first line %q) adds so that spreadsheets show text and ledger import removes, but which is part of the text in any other file: refused rather than read either way; to remove it, give that first line; to keep it, give the entry as JSON lines",
				c, strings.TrimLeft(c, "'")[:1], ledgerNoteMark)
		}
		return t
	}
	e := Entry{Tenant: tenant, Type: ResourceType(get("type")), Holder: text("holder"),
		Access: text("access"), Qualification: text("qualification")}
	if ambiguous != nil {
		return Entry{}, ambiguous
	}
	for _, p := range strings.FieldsFunc(get("purposes"), func(r rune) bool { return r == ';' || r == '|' }) {
		e.Purposes = append(e.Purposes, dialgate.Purpose(strings.TrimSpace(p)))
	}
	if err := e.parseFields(get("number"), get("valid_from"), get("valid_until")); err != nil {
		return e, err
	}
	switch strings.ToLower(get("office_use_only")) {
	case "", "false", "no", "0":
	case "true", "yes", "1":
		e.OfficeUseOnly = true
	default:
		return e, entryErr("office_use_only", "%q is not true or false", get("office_use_only"))
	}
	return e, nil
}

// WriteLedgerCSV writes entries as a CSV ledger file that ParseLedger reads
// back (without the tenant) as the same entries: validity bounds keep their
// fractional seconds and offsets. The file is one people open in a
// spreadsheet: the free-text cells (holder, access, qualification) are
// written with textsafe.CSVCell, so that one starting with =, +, -, @, a tab
// or a carriage return (a holder named "=HYPERLINK(…)") gets a leading
// apostrophe and shows as text instead of running as a formula (CSV
// injection); ParseLedger removes it again. The file's first line is a note
// (a "#" comment) saying so, by which ParseLedger tells such a file from an
// earlier build's. The number (E.164, +86…), type, purposes, times and flag
// are written as they are.
func WriteLedgerCSV(w io.Writer, entries []Entry) error {
	if _, err := io.WriteString(w, ledgerNote+"\n"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(ledgerColumns); err != nil {
		return err
	}
	for _, e := range entries {
		ps := make([]string, len(e.Purposes))
		for i, p := range e.Purposes {
			ps[i] = string(p)
		}
		rec := []string{e.Number.String(), string(e.Type), textsafe.CSVCell(e.Holder), textsafe.CSVCell(e.Access), textsafe.CSVCell(e.Qualification),
			strings.Join(ps, ";"), fmtTime(e.ValidFrom), fmtTime(e.ValidUntil), fmt.Sprint(e.OfficeUseOnly)}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// fmtTime writes a validity bound as RFC 3339 with as many fractional
// digits as it has (RFC3339Nano), which ParseLedger reads back to the
// nanosecond: cut to the second, a valid_from would move earlier.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}
