package dnc

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/decimal"
	"github.com/dialgate/dialgate/numbering"
)

// ParseOptions says how to read a number list. The zero value reads
// international numbers ("+8613800138000" or "8613800138000"), one a line or in
// the first column of a CSV file.
type ParseOptions struct {
	// CountryCode, when not zero, is the country calling code of numbers written
	// without "+": such lines are national significant numbers of that country
	// (a US registry file lists "2125550123"; CountryCode 1 reads it as
	// +12125550123; with 86, "010 5800 1234" is +861058001234). Numbers
	// written with "+" are read as they are. Either way a trunk prefix 0
	// after the country code is dropped where the country's numbering plan
	// has one ("+86 010 5800 1234" is +861058001234).
	CountryCode int
	// RequirePlus, when CountryCode is zero, makes a line whose number is
	// written without "+" malformed, its error wrapping ErrNoPlus. Without a
	// country code such a line is read as international ("4930123456" is
	// +49 30123456, a German number), which is right for a list whose
	// numbers already start with their country code and silently wrong for
	// a list of national numbers; a caller that cannot tell which it was
	// given sets RequirePlus and asks. (A line that is ambiguous read so —
	// "2125550100", a North American national number, or an 11-digit one
	// starting with 1 — is malformed either way, as for dialgate.ParseNumber.)
	// It is ignored when CountryCode is set.
	RequirePlus bool
	// Column is the 0-based CSV column that holds the number (default 0).
	Column int
}

// ParseStats counts what ParseList read.
type ParseStats struct {
	Lines   int64 // lines read
	Numbers int64 // numbers passed to the callback (duplicates included)
	Bad     int64 // malformed lines
	Skipped int64 // blank lines, comments and a CSV header line
}

// LineError is one malformed line of a list: its 1-based line number and why.
type LineError struct {
	Line int64 // 1-based line number in the list
	Err  error // the problem: a number error, or one wrapping ErrBadLine
}

// Error returns "line N: " followed by the problem.
func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// Unwrap returns the cause.
func (e *LineError) Unwrap() error { return e.Err }

// ErrBadLine is wrapped by the LineError causes that are not number errors
// (over-long lines, a bad CSV column).
var ErrBadLine = errors.New("dnc: bad list line")

// ErrNoPlus is wrapped by the LineError cause of a number written without
// "+" when ParseOptions.RequirePlus is set and no CountryCode is given.
var ErrNoPlus = errors.New(`dnc: number written without "+"`)

// ParseList streams a number list from r: one number a line, or CSV with the
// number in column opts.Column. A first line that is not a number, whose
// number field holds a letter and at most four digits ("phone", "电话号码",
// "phone_e164"), is taken as a CSV header and skipped; any other line that
// is not a number (a number with text around it, "tel:+86…") is malformed,
// and so is a number no dial can be made to in the numbering plans
// dialgate knows (dialgate.Dial.Validate: a +1 number of other than 10
// digits, a +86 mobile of other than 11), which a file cut short in its
// last line or a wrong column yields.
// Blank lines and lines starting with "#" are skipped, but for a CSV row
// whose number column, not the first, holds a number or digits written as
// one, at least 7 (a "#1001" record id starts such a row): such a row is
// read, or reported malformed, as it would be without the "#". Surrounding spaces are ignored; lines may end in LF,
// CRLF or CR alone (old Mac spreadsheets); a UTF-8 byte-order mark is
// ignored and UTF-16 text is refused. CSV fields may be quoted ("…", with ""
// for a quote), commas inside quotes included. It holds one line in memory
// at a time.
//
// add is called for every number, in file order. For each malformed line bad
// is called with a *LineError; when bad is nil the first malformed line stops
// the parse and is returned. An error from add or bad stops the parse and is
// returned as is.
func ParseList(r io.Reader, opts ParseOptions, add func(dialgate.Number) error, bad func(*LineError) error) (ParseStats, error) {
	var st ParseStats
	if opts.Column < 0 || opts.Column > 1000 {
		return st, fmt.Errorf("dnc: ParseOptions.Column %d out of range 0..1000", opts.Column)
	}
	if opts.CountryCode < 0 || opts.CountryCode > 999 {
		return st, fmt.Errorf("dnc: ParseOptions.CountryCode %d out of range 1..999", opts.CountryCode)
	}
	var ccDigits uint64
	if opts.CountryCode > 0 {
		ccDigits = uint64(opts.CountryCode)
	}
	br := bufio.NewReaderSize(&crReader{r: r}, 1<<16)
	if b, _ := br.Peek(3); bytes.HasPrefix(b, []byte(utf8BOM)) {
		_, _ = br.Discard(len(utf8BOM))
	} else if bytes.HasPrefix(b, []byte("\xFF\xFE")) || bytes.HasPrefix(b, []byte("\xFE\xFF")) {
		// Read as bytes, every line would be malformed (NULs between the
		// digits) but for a first one taken as a header.
		st.Lines, st.Bad = 1, 1
		return st, &LineError{Line: 1, Err: fmt.Errorf("%w: the list is UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8", ErrBadLine)}
	}
	first := true
	report := func(e *LineError) error {
		st.Bad++
		if bad == nil {
			return e
		}
		return bad(e)
	}
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			st.Lines++
			// Skip the rest of the over-long line.
			for err == bufio.ErrBufferFull {
				_, err = br.ReadSlice('\n')
			}
			if e := report(&LineError{Line: st.Lines, Err: fmt.Errorf("%w: longer than %d bytes", ErrBadLine, br.Size())}); e != nil {
				return st, e
			}
			if err == io.EOF {
				return st, nil
			}
			if err != nil {
				return st, fmt.Errorf("dnc: read list: %w", err)
			}
			continue
		}
		if len(line) == 0 && err == io.EOF {
			return st, nil
		}
		if err != nil && err != io.EOF {
			return st, fmt.Errorf("dnc: read list: %w", err)
		}
		st.Lines++
		field, ferr := numberField(line, opts.Column)
		if ferr == nil && len(field) == 0 {
			field = commentRow(line, opts.Column, ccDigits)
		}
		if ferr == nil && len(field) == 0 {
			st.Skipped++
		} else {
			var n dialgate.Number
			if ferr == nil {
				n, ferr = parseField(field, ccDigits)
			}
			if ferr == nil {
				// A line read as a number no dial is ever made to (the US
				// registry's flat file read from its local-number column,
				// "201,2000000" as +1 2000000; a file cut short in its last
				// line; digits written after a number) would list that
				// number while the callee the line meant went unlisted: it
				// is a malformed line.
				ferr = dialgate.CheckCallee(n)
			}
			if ferr != nil && opts.RequirePlus && ccDigits == 0 && isDigits(field) {
				// A number written without "+" that is ambiguous read as
				// international ("2125550100": New York written nationally, or
				// Morocco): refused for the missing "+", so the caller asks for
				// the list's country code; never taken for a CSV header.
				ferr = fmt.Errorf("%w (%w)", ErrNoPlus, ferr)
			}
			if ferr != nil {
				hdr := field
				if hdr == nil {
					hdr = line // the field itself could not be found
				}
				if first && headerLike(hdr) && !errors.Is(ferr, ErrNoPlus) {
					st.Skipped++ // a CSV header
				} else if e := report(&LineError{Line: st.Lines, Err: ferr}); e != nil {
					return st, e
				}
			} else if opts.RequirePlus && ccDigits == 0 && field[0] != '+' {
				// Checked only once the line is a number, so a CSV header is
				// still taken as one.
				if e := report(&LineError{Line: st.Lines, Err: fmt.Errorf("%w (read as international, its country code would be %d)", ErrNoPlus, n.CountryCode())}); e != nil {
					return st, e
				}
			} else {
				st.Numbers++
				if e := add(n); e != nil {
					return st, e
				}
			}
			first = false
		}
		if err == io.EOF {
			return st, nil
		}
	}
}

// numberField returns the trimmed number field of a line, or an empty field
// for a blank or comment line. A line without a comma is the field (one
// number a line), without the double quotes around it if any; otherwise the
// line is a CSV record and the field is its column col.
func numberField(line []byte, col int) ([]byte, error) {
	line = bytes.TrimRight(line, "\r\n")
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] == '#' {
		return nil, nil
	}
	if bytes.IndexByte(line, ',') < 0 && col == 0 {
		if len(line) >= 2 && line[0] == '"' && line[len(line)-1] == '"' {
			line = bytes.TrimSpace(line[1 : len(line)-1])
		}
		return line, nil
	}
	f, err := csvField(line, col)
	if err != nil {
		return nil, err
	}
	if len(f) == 0 {
		return nil, fmt.Errorf("%w: column %d is empty", ErrBadLine, col)
	}
	return f, nil
}

// commentRow returns the number field of a line starting with "#" that is a
// CSV row nonetheless: its number column, which is not the first, holds a
// number, or digits shaped as one (numberShaped) that do not parse as given
// (a national number where "+" is required, one starting with the country
// code under a CountryCode, one of too many digits), which the caller then
// reports as it reports such a row without "#". An export whose first
// column is a record id such as "#1001" starts every row with "#"; read as
// comments, its numbers would be dropped without a word. It returns nil
// for a comment.
func commentRow(line []byte, col int, cc uint64) []byte {
	line = bytes.TrimSpace(line)
	if col == 0 || len(line) == 0 || line[0] != '#' {
		return nil
	}
	f, err := csvField(line, col)
	if err != nil || len(f) == 0 {
		return nil
	}
	if _, err := parseField(f, cc); err != nil && !numberShaped(f) {
		return nil
	}
	return f
}

// numberShaped reports whether b is written as a telephone number is: an
// optional leading "+", then digits and the separators people write in
// numbers (space, hyphen, dot, slash, parentheses: "(212) 555-0100",
// "+1.212.555.0100", "030/1234567" — ParseNumber allows only the first
// two, and the same row without "#" is reported), at least 7 digits — more
// than a count or a year in a comment holds. The decorations exports put
// around a number count as its writing too: a spreadsheet formula
// ="…", a "tel:" scheme, an extension ("x5", "ext. 12"), white space and
// dashes other than ASCII (a no-break space), full-width digits and "＋".
func numberShaped(b []byte) bool {
	s := strings.TrimSpace(string(b))
	s = strings.TrimPrefix(s, "=")
	s = strings.TrimSpace(strings.Trim(s, "\"'"))
	if len(s) >= 4 && strings.EqualFold(s[:4], "tel:") {
		s = s[4:]
	}
	// Byte by byte, ASCII letters only: strings.ToLower may change the
	// length, and lower indexes s.
	lb := []byte(s)
	for i, c := range lb {
		if c >= 'A' && c <= 'Z' {
			lb[i] = c + ('a' - 'A')
		}
	}
	lower := string(lb)
	for _, ext := range [...]string{"extension", "ext.", "ext", "x"} {
		if i := strings.LastIndex(lower, ext); i > 0 && strings.Trim(lower[i+len(ext):], " 0123456789") == "" {
			s = s[:i]
			break
		}
	}
	s = strings.TrimSpace(s)
	if t, ok := strings.CutPrefix(s, "+"); ok {
		s = t
	} else {
		s = strings.TrimPrefix(s, "\uff0b")
	}
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', r >= '\uff10' && r <= '\uff19':
			digits++
		case r == '.' || r == '/' || r == '(' || r == ')' || r == '\u2212' ||
			unicode.IsSpace(r) || unicode.Is(unicode.Pd, r):
		default:
			return false
		}
	}
	return digits >= 7
}

// csvField returns field col of the CSV record line (RFC 4180, on one line):
// fields are separated by commas; a field may be quoted, with "" standing for
// a quote and commas inside the quotes part of the field; white space around
// a field and around its quotes is dropped.
func csvField(line []byte, col int) ([]byte, error) {
	for i := 0; ; i++ {
		line = bytes.TrimLeft(line, " \t")
		var f []byte
		if len(line) > 0 && line[0] == '"' {
			// Quoted: up to the quote that is not doubled.
			j, esc := 1, false
			for {
				k := bytes.IndexByte(line[j:], '"')
				if k < 0 {
					return nil, fmt.Errorf("%w: column %d: a quote is not closed", ErrBadLine, i)
				}
				j += k
				if j+1 < len(line) && line[j+1] == '"' {
					j, esc = j+2, true
					continue
				}
				break
			}
			f = line[1:j]
			if esc {
				f = bytes.ReplaceAll(f, []byte(`""`), []byte(`"`))
			}
			line = bytes.TrimLeft(line[j+1:], " \t")
			if len(line) > 0 && line[0] != ',' {
				return nil, fmt.Errorf("%w: column %d: text after the closing quote", ErrBadLine, i)
			}
		} else {
			k := bytes.IndexByte(line, ',')
			if k < 0 {
				k = len(line)
			}
			f, line = line[:k], line[k:]
		}
		if i == col {
			return bytes.TrimSpace(f), nil
		}
		if len(line) == 0 {
			return nil, fmt.Errorf("%w: no column %d", ErrBadLine, col)
		}
		line = line[1:] // the comma
	}
}

// parseField parses one number; one written with its national trunk prefix
// after the country code ("010 5800 1234" read as a +86 national number, or
// "+86 010 5800 1234") is read without it: kept, the 0 would list a number no
// dial is ever made to, and the callee the line names would not be listed
// (numbering.ParseDroppingTrunkPrefix).
func parseField(f []byte, cc uint64) (dialgate.Number, error) {
	n, err := parseDigits(f, cc)
	if !errors.Is(err, dialgate.ErrTrunkPrefix) {
		return n, err
	}
	s := string(f)
	if len(f) > 0 && f[0] != '+' && cc != 0 {
		s = "+" + strconv.FormatUint(cc, 10) + " " + s
	}
	return numbering.ParseDroppingTrunkPrefix(s)
}

// parseDigits parses one number, with a fast path for plain digit strings.
func parseDigits(f []byte, cc uint64) (dialgate.Number, error) {
	plus := f[0] == '+'
	if !plus && cc != 0 {
		if err := ambiguousNational(f, cc); err != nil {
			return dialgate.Number{}, err
		}
	}
	d := f
	if plus {
		d = f[1:]
	}
	if len(d) > 0 && len(d) <= 15 && d[0] != '0' {
		var v uint64
		ok := true
		for _, c := range d {
			if c < '0' || c > '9' {
				ok = false
				break
			}
			v = v*10 + uint64(c-'0')
		}
		if ok {
			switch {
			case plus:
				return dialgate.NumberFromUint64(v)
			case cc != 0:
				if len(d)+len(strconv.FormatUint(cc, 10)) <= 15 {
					return dialgate.NumberFromUint64(cc*decimal.Pow10[len(d)] + v)
				}
			case !ambiguousInternational(d):
				return dialgate.NumberFromUint64(v)
			}
		}
	}
	s := string(f)
	if !plus && cc != 0 {
		s = "+" + strconv.FormatUint(cc, 10) + " " + s
	}
	return dialgate.ParseNumber(s)
}

// ambiguousInternational reports whether the digits d, written without "+"
// and read as international, are ambiguous for dialgate.ParseNumber (which
// then refuses them): 11 digits starting with 1 (a Chinese national mobile or
// a NANP number), or 10 digits of the North American shape NXX-NXX-XXXX (a
// NANP number written nationally: "2125550100" is not Morocco's +212…).
func ambiguousInternational(d []byte) bool {
	return (len(d) == 11 && d[0] == '1') || (len(d) == 10 && d[0] >= '2' && d[3] >= '2')
}

// ambiguousNational reports a line read as national (ParseOptions.CountryCode
// cc) whose digits already start with cc and are, as written, a valid number
// of that country ("12125550100" with cc 1, "8613800138000" with cc 86).
// Prefixing cc would silently make it a different number and the callee it
// names would not be listed, so such a line is an error: write it with "+".
func ambiguousNational(f []byte, cc uint64) error {
	var digits [32]byte
	ds := append(digits[:0], '+')
	for _, c := range f {
		switch {
		case c >= '0' && c <= '9':
			if len(ds) == len(digits) {
				return nil // too long to be a number; ParseNumber reports it
			}
			ds = append(ds, c)
		case c == ' ' || c == '-':
		default:
			return nil // not digits; ParseNumber reports it
		}
	}
	var ccb [4]byte
	if !bytes.HasPrefix(ds[1:], strconv.AppendUint(ccb[:0], cc, 10)) {
		return nil
	}
	pn, err := phonenumbers.Parse(string(ds), "")
	if err != nil || int(pn.GetCountryCode()) != int(cc) || !phonenumbers.IsValidNumber(pn) {
		return nil
	}
	return fmt.Errorf("%w: starts with the country code %d and is a valid number as written; write it with \"+\" (read as national it would be a different number)", ErrBadLine, cc)
}

// isDigits reports whether b is a number written with digits and the
// separators ParseNumber allows (space, hyphen) only, no "+".
func isDigits(b []byte) bool {
	digit := false
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c == ' ' || c == '-':
		default:
			return false
		}
	}
	return digit
}

// headerLike reports whether b, a first line's number field that is not a
// number, reads as a column name: it holds a letter and at most four digits
// ("phone", "电话号码", "phone_e164"). A number with text around it
// ("tel:+8613800138000", "13800138000 Zhang") has more, and is a malformed
// line rather than a header skipped without a word. Digits of any script
// count ("手机：１３８…" in full-width digits is a number with a label, not
// a column name).
func headerLike(b []byte) bool {
	letter, digits := false, 0
	for _, r := range string(b) {
		switch {
		case unicode.IsDigit(r):
			digits++
		case unicode.IsLetter(r):
			letter = true
		}
	}
	return letter && digits <= 4
}

// utf8BOM is the UTF-8 byte-order mark some editors and spreadsheets write
// at the start of a text file.
const utf8BOM = "\uFEFF"

// crReader turns the line endings CR LF and a lone CR (old Mac
// spreadsheets) into LF, so that a list read line by line at LF sees each of
// its lines. It keeps whether the last byte it read was a CR, to drop the LF
// of a CR LF split across two reads.
type crReader struct {
	r  io.Reader
	cr bool
}

// Read implements io.Reader.
func (c *crReader) Read(p []byte) (int, error) {
	for {
		n, err := c.r.Read(p)
		if n == 0 {
			return 0, err
		}
		if !c.cr && bytes.IndexByte(p[:n], '\r') < 0 {
			return n, err
		}
		w := 0
		for _, b := range p[:n] {
			if b == '\n' && c.cr {
				c.cr = false
				continue
			}
			c.cr = b == '\r'
			if c.cr {
				b = '\n'
			}
			p[w] = b
			w++
		}
		if w > 0 || err != nil {
			return w, err
		}
	}
}
