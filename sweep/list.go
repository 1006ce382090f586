package sweep

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/numbering"
)

// ErrBadList is wrapped by the errors ReadList returns for a list it cannot
// read at all (an unknown CSV header, an over-long line); a bad number on one
// line is not such an error but an Item with Err set.
var ErrBadList = errors.New("sweep: bad dial list")

// Item is one number of a dial list, with its line. When the line does not
// hold a valid number, Err says why and Number is the zero Number.
type Item struct {
	Line   int             // 1-based line number in the file
	Number dialgate.Number // the number, when Err is nil
	Err    error           // why the line is not a number
}

// ListOptions says how to read a dial list.
type ListOptions struct {
	// Country is the country calling code of numbers written without "+": with
	// 86, "13900139000" and "010 5800 1234" (trunk 0) are read as +86 numbers,
	// with 1, "2125550100" as +12125550100.
	// Numbers with "+" are always international. Zero: every number must be in
	// international form (a bare "8613900139000" is still accepted).
	Country int
	// RequirePlus, with Country zero, makes a number written without "+" a
	// bad line (ErrNoPlus) instead of reading it as international: a list of
	// national numbers ("4055550100") read so would be another country's
	// numbers ("+40…"), screened in the wrong segments.
	RequirePlus bool
}

// ErrNoPlus is wrapped by the Err of a list line whose number is written
// without "+" when ListOptions.RequirePlus is set and no Country is given.
var ErrNoPlus = errors.New("written without + and no country code given")

// numberColumns are the CSV header names ReadList takes as the number column.
var numberColumns = []string{"number", "phone", "to", "callee", "mobile", "tel", "telephone", "msisdn", "号码", "电话", "手机", "手机号", "电话号码"}

const maxLine = 64 * 1024

// ReadList reads a dial list and calls fn for every number line, in order:
// either one number a line, or CSV whose number column is named in a header
// row (number, phone, to, callee, mobile, tel, msisdn, 号码, 电话, 手机…) or, without a
// header, is the first column. Blank lines and lines starting with "#" are
// skipped, except, after a CSV header or first row, a "#" line with a comma:
// that is a row to a dialer's CSV reader ("#1 VIP,13900139000"), and is read. A line whose number does not parse is passed to fn with Err set
// (naming the line), and reading goes on. ReadList stops at the first error fn
// returns, and returns it; it returns an error wrapping ErrBadList when the
// file cannot be read as a list at all.
func ReadList(r io.Reader, opts ListOptions, fn func(Item) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), maxLine)
	line := 0
	col := -1    // -1: not decided yet; otherwise the CSV column (0 for plain lists)
	csv := false // the header (or first row) has commas
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if line == 1 {
			b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			continue
		}
		// A CSV reader takes "#1 VIP,13900139000" for a row: once the list
		// is CSV, only a "#" line without a comma is a comment.
		if b[0] == '#' && (!csv || bytes.IndexByte(b, ',') < 0) {
			continue
		}
		if col < 0 {
			c, header, err := sniffColumn(b)
			if err != nil {
				return fmt.Errorf("line %d: %w", line, err)
			}
			col, csv = c, bytes.IndexByte(b, ',') >= 0
			if header {
				continue
			}
		}
		it := Item{Line: line}
		f, err := csvField(b, col)
		switch {
		case err != nil:
		case opts.RequirePlus && opts.Country == 0 && !strings.HasPrefix(f, "+"):
			err = fmt.Errorf("%q: %w", f, ErrNoPlus)
		default:
			it.Number, err = parseListNumber(f, opts.Country)
		}
		if err != nil {
			it.Err = fmt.Errorf("line %d: %w", line, err)
		}
		if err := fn(it); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("line %d: longer than %d bytes: %w", line+1, maxLine, ErrBadList)
		}
		return fmt.Errorf("read list: %w", err)
	}
	return nil
}

// sniffColumn decides, from the first data line, which column holds the
// number and whether that line is a header.
func sniffColumn(b []byte) (col int, header bool, err error) {
	if bytes.IndexByte(b, ',') < 0 {
		f := strings.ToLower(strings.Trim(string(b), `" `))
		for _, name := range numberColumns {
			if f == name {
				return 0, true, nil
			}
		}
		return 0, false, nil
	}
	fields := splitCSV(b)
	for i, f := range fields {
		f = strings.ToLower(strings.TrimSpace(f))
		for _, name := range numberColumns {
			if f == name {
				return i, true, nil
			}
		}
	}
	// No header: the number is the first column, unless the line looks like a
	// header with no column we know.
	first := strings.TrimSpace(fields[0])
	if first != "" && !hasDigit(first) {
		return 0, false, fmt.Errorf("CSV header has no number column (want one of %s): %w", strings.Join(numberColumns, ", "), ErrBadList)
	}
	return 0, false, nil
}

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			return true
		}
	}
	return false
}

// splitCSV splits one CSV line into fields, honouring double quotes.
func splitCSV(b []byte) []string {
	var out []string
	var cur []byte
	inQ := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inQ && c == '"' && i+1 < len(b) && b[i+1] == '"':
			cur = append(cur, '"')
			i++
		case c == '"':
			inQ = !inQ
		case c == ',' && !inQ:
			out = append(out, string(cur))
			cur = cur[:0]
		default:
			cur = append(cur, c)
		}
	}
	return append(out, string(cur))
}

// csvField returns field col of line b (b itself for a plain list without
// commas).
func csvField(b []byte, col int) (string, error) {
	if col == 0 && bytes.IndexByte(b, ',') < 0 {
		return strings.Trim(string(b), `"`), nil
	}
	if bytes.IndexByte(b, '"') < 0 {
		for i := 0; i < col; i++ {
			j := bytes.IndexByte(b, ',')
			if j < 0 {
				return "", fmt.Errorf("no column %d", col+1)
			}
			b = b[j+1:]
		}
		if j := bytes.IndexByte(b, ','); j >= 0 {
			b = b[:j]
		}
		return string(bytes.TrimSpace(b)), nil
	}
	fields := splitCSV(b)
	if col >= len(fields) {
		return "", fmt.Errorf("no column %d", col+1)
	}
	return strings.TrimSpace(fields[col]), nil
}

// parseListNumber parses one list number; see ListOptions.Country.
func parseListNumber(s string, country int) (dialgate.Number, error) {
	if s == "" {
		return dialgate.Number{}, errors.New("empty number")
	}
	if s[0] == '+' || country == 0 {
		return numbering.ParseDroppingTrunkPrefix(s)
	}
	// National forms: remove separators to look at the digits.
	var buf [32]byte
	d := buf[:0]
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if len(d) == len(buf) {
				return dialgate.ParseNumber(s) // too long: let ParseNumber say so
			}
			d = append(d, c)
		case c == ' ' || c == '-':
		default:
			return dialgate.ParseNumber(s) // reports the bad character
		}
	}
	// A national number of the country, with or without its trunk prefix
	// ("2125550100" or "1 212 555 0100" with 1, "7911 123456" or
	// "07911 123456" with 44), or an international one without "+" when only
	// that reading is a valid number ("8613900139000" with 86): the country's
	// numbering plan (libphonenumber) decides. Read as international, a
	// national number would be another country's number.
	if region := phonenumbers.GetRegionCodeForCountryCode(country); region != "ZZ" && region != "001" {
		if pn, err := phonenumbers.Parse(string(d), region); err == nil {
			return dialgate.ParseNumber(phonenumbers.Format(pn, phonenumbers.E164))
		}
	}
	cc := fmt.Appendf(nil, "+%d", country)
	switch {
	case country == 86 && len(d) == 11 && d[0] == '1':
		return dialgate.ParseNumber(string(append(cc, d...)))
	case len(d) > 1 && d[0] == '0' && d[1] != '0':
		return dialgate.ParseNumber(string(append(cc, d[1:]...)))
	}
	return dialgate.ParseNumber(s)
}
