package dnc

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/dialgate/dialgate"
)

func TestParseList(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		opts    ParseOptions
		want    []string
		badLine []int64
	}{
		{"plain", "+8613800138000\n8613800138001\r\n\n# comment\n  +86 138-0013-8002  \n", ParseOptions{}, []string{"+8613800138000", "+8613800138001", "+8613800138002"}, nil},
		{"no final newline", "+12125550100", ParseOptions{}, []string{"+12125550100"}, nil},
		{"csv with header", "phone,name\n\"+12125550100\",a\n+12125550101,b\n", ParseOptions{}, []string{"+12125550100", "+12125550101"}, nil},
		{"csv column", "a,+12125550100\nb,+12125550101\n", ParseOptions{Column: 1}, []string{"+12125550100", "+12125550101"}, nil},
		{"national US", "2125550100\n+8613800138000\n", ParseOptions{CountryCode: 1}, []string{"+12125550100", "+8613800138000"}, nil},
		// A "national" line that already starts with the country code and is a
		// valid number as written is ambiguous: read as national it would
		// silently become a different number (+112125550100, +868613800138000)
		// and the listed callee would not be listed.
		{"country code without plus", "12125550100\n1-212-555-0101\n2125550102\n", ParseOptions{CountryCode: 1},
			[]string{"+12125550102"}, []int64{1, 2}},
		{"cn country code without plus", "8613800138000\n13800138001\n86 138 0013 8002\n", ParseOptions{CountryCode: 86},
			[]string{"+8613800138001"}, []int64{1, 3}},
		// Where prefixing the country code still makes a number of a valid
		// length (+61 61…, +49 49…), only this refusal keeps the callee listed.
		{"au country code without plus", "61412345678\n0412345679\n", ParseOptions{CountryCode: 61},
			[]string{"+61412345679"}, []int64{1}},
		{"de country code without plus", "4930123456\n", ParseOptions{CountryCode: 49}, nil, []int64{1}},
		// A national number with its trunk prefix 0 (as CN, UK and AU files
		// write them) is that country's number without the 0: read with the
		// 0 kept it would be a number no dial is ever made to, and the callee
		// it names would not be listed. So is an international number written
		// with the trunk 0 after the country code. Italy keeps its 0.
		{"trunk prefix", "010-5800-1234\n01058001235\n0755 8888 0001\n+86 010 5800 1236\n+8613800138000\n", ParseOptions{CountryCode: 86},
			[]string{"+861058001234", "+861058001235", "+8675588880001", "+861058001236", "+8613800138000"}, nil},
		{"trunk prefix uk", "07911 123456\n+44 07911 123457\n", ParseOptions{CountryCode: 44},
			[]string{"+447911123456", "+447911123457"}, nil},
		{"trunk prefix au", "0412 345 678\n", ParseOptions{CountryCode: 61}, []string{"+61412345678"}, nil},
		{"trunk prefix international", "+86 010 5800 1234\n+4407911123456\n", ParseOptions{},
			[]string{"+861058001234", "+447911123456"}, nil},
		// Without "+" and without a country code a line is international
		// ("8613800138000"), so "8601058001234" is the same Beijing number
		// with its trunk 0 kept.
		{"trunk prefix international without plus", "8601058001234\n86 0755 8888 0001\n", ParseOptions{},
			[]string{"+861058001234", "+8675588880001"}, nil},
		{"italian leading zero", "06 6983 12345\n+39 06 6983 12346\n", ParseOptions{CountryCode: 39},
			[]string{"+3906698312345", "+3906698312346"}, nil},
		{"bad lines", "+8613800138000\nhello\n13800138000\n+86138001380001234\n0123\n+8613800138009\n", ParseOptions{},
			[]string{"+8613800138000", "+8613800138009"}, []int64{2, 3, 4, 5}},
		{"long line", strings.Repeat("1", 70000) + "\n+12125550100\n", ParseOptions{}, []string{"+12125550100"}, []int64{1}},
		{"missing column", "+12125550100\n", ParseOptions{Column: 2}, nil, []int64{1}},
		// RequirePlus refuses a number written without "+" (a national
		// "2125550100" would be +212…), never a CSV header, a malformed line
		// or a number with "+"; a country code makes such lines national.
		{"require plus", "phone,name\n\"+12125550100\",a\n2125550101,b\nhello,c\n 8613800138000 ,d\n", ParseOptions{RequirePlus: true},
			[]string{"+12125550100"}, []int64{3, 4, 5}},
		// Without a country code a 10-digit North American national number
		// ("2125550100") is ambiguous, as dialgate.ParseNumber says: read as
		// international it would list Morocco's +212 555 0100 and leave the
		// New York callee unlisted.
		{"nanp national without country code", "2125550100\n212-555-0101\n+8613800138000\n4930123456\n", ParseOptions{},
			[]string{"+8613800138000", "+4930123456"}, []int64{1, 2}},
		// With RequirePlus such a line is refused as written without "+",
		// also as the first line of a CSV file without a header.
		{"require plus nanp national", "2125550100,John\n212-555-0101,Jane\n", ParseOptions{RequirePlus: true},
			nil, []int64{1, 2}},
		{"require plus with country code", "2125550100\n+8613800138000\n", ParseOptions{RequirePlus: true, CountryCode: 1},
			[]string{"+12125550100", "+8613800138000"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got, bad := parseAll(t, tt.in, tt.opts)
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("numbers %v, want %v", got, tt.want)
			}
			if len(bad) != len(tt.badLine) {
				t.Fatalf("bad lines %v, want %v", bad, tt.badLine)
			}
			for i := range bad {
				if bad[i] != tt.badLine[i] {
					t.Errorf("bad lines %v, want %v", bad, tt.badLine)
				}
			}
		})
	}
	// Without a bad-line callback the first bad line stops the parse.
	_, err := ParseList(strings.NewReader("+8613800138000\nx1\n"), ParseOptions{}, func(dialgate.Number) error { return nil }, nil)
	var le *LineError
	if !errors.As(err, &le) || le.Line != 2 {
		t.Fatalf("err = %v, want a LineError for line 2", err)
	}
	// The refusal names what the line would have been read as.
	_, err = ParseList(strings.NewReader("# DE numbers\n4930123456\n"), ParseOptions{RequirePlus: true}, func(dialgate.Number) error { return nil }, nil)
	if !errors.As(err, &le) || le.Line != 2 || !errors.Is(err, ErrNoPlus) || !strings.Contains(err.Error(), "country code would be 49") {
		t.Fatalf("RequirePlus: err = %v, want a LineError for line 2 wrapping ErrNoPlus naming country code 49", err)
	}
	// A North American national number is refused as written without "+"
	// (the CLI then asks for --country-code), not as a bad number.
	for _, in := range []string{"# US numbers\n2125550100\n", "2125550100,John\n", "# US numbers\n212-555-0100\n"} {
		_, err = ParseList(strings.NewReader(in), ParseOptions{RequirePlus: true}, func(n dialgate.Number) error {
			t.Errorf("%q: %v listed", in, n)
			return nil
		}, nil)
		if !errors.As(err, &le) || !errors.Is(err, ErrNoPlus) {
			t.Errorf("RequirePlus %q: err = %v, want a LineError wrapping ErrNoPlus", in, err)
		}
	}
}

// TestParseListNeverDropsSilently covers list files as spreadsheets and other
// systems write them: a byte-order mark, old Mac line endings (CR only),
// quoted CSV fields, and a first line that holds letters but is a number with
// text around it. Each number is read, or its line is reported as malformed:
// none is skipped as a "header" without a word, which listed no one and said
// nothing (an import exited 0 having imported nothing).
func TestParseListNeverDropsSilently(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		opts    ParseOptions
		want    []string
		badLine []int64
		skipped int64
	}{
		{"utf-8 bom", "\uFEFF+8613800138000\n+8613800138001\n", ParseOptions{}, []string{"+8613800138000", "+8613800138001"}, nil, 0},
		{"utf-8 bom before a csv row with a name", "\uFEFF+8613800138000,Zhang San\n+8613800138001,Li Si\n", ParseOptions{},
			[]string{"+8613800138000", "+8613800138001"}, nil, 0},
		{"utf-8 bom before a header", "\uFEFFphone,name\n+8613800138000,a\n", ParseOptions{}, []string{"+8613800138000"}, nil, 1},
		{"cr line endings with a header", "phone\r+8613800138000\r+8613800138001\r", ParseOptions{},
			[]string{"+8613800138000", "+8613800138001"}, nil, 1},
		{"cr line endings", "+8613800138000\r+8613800138001", ParseOptions{}, []string{"+8613800138000", "+8613800138001"}, nil, 0},
		{"mixed line endings", "+8613800138000\r\n+8613800138001\r+8613800138002\n\r\n+8613800138003", ParseOptions{},
			[]string{"+8613800138000", "+8613800138001", "+8613800138002", "+8613800138003"}, nil, 1},
		{"first line a number with a scheme", "tel:+8613800138000\n+8613800138001\n", ParseOptions{},
			[]string{"+8613800138001"}, []int64{1}, 0},
		{"first line a number with a name", "13800138000 Zhang\n13800138001\n", ParseOptions{CountryCode: 86},
			[]string{"+8613800138001"}, []int64{1}, 0},
		{"first line with another separator", "+8613800138000;Zhang\n+8613800138001;Li\n", ParseOptions{},
			nil, []int64{1, 2}, 0},
		{"quoted single column", "\"+86 138 0013 8000\"\n\"+8613800138001\"\n", ParseOptions{},
			[]string{"+8613800138000", "+8613800138001"}, nil, 0},
		{"quoted comma before the number", "\"Wang, Li\",+8613800138000\n\"Zhao, \"\"Wu\"\"\", \"+86 138 0013 8001\" ,x\n", ParseOptions{Column: 1},
			[]string{"+8613800138000", "+8613800138001"}, nil, 0},
		{"quoted comma after the number", "+8613800138000,\"Wang, Li\"\n", ParseOptions{}, []string{"+8613800138000"}, nil, 0},
		{"unterminated quote", "\"Wang, Li,+8613800138000\n+8613800138001,x\n", ParseOptions{Column: 1},
			nil, []int64{1, 2}, 0},
		{"non-ascii header", "电话号码,姓名\n+8613800138000,张三\n", ParseOptions{}, []string{"+8613800138000"}, nil, 1},
		// A first line whose number is written in full-width digits after
		// a label ("手机：", "Tel") held a letter and no ASCII digit, so it
		// was taken for a CSV header and skipped without a word: the
		// opt-out it held was lost while the import reported success. Its
		// digits count as digits: it is a malformed line, reported.
		{"first line a full-width number with a label", "手机：\uff11\uff13\uff18\uff10\uff10\uff11\uff13\uff18\uff10\uff10\uff10\n+8613800138001\n", ParseOptions{},
			[]string{"+8613800138001"}, []int64{1}, 0},
		{"first csv row a full-width number with a scheme", "Zhang,tel:\uff0b\uff18\uff16\uff11\uff13\uff18\uff10\uff10\uff11\uff13\uff18\uff10\uff10\uff10\nLi,+8613800138001\n", ParseOptions{Column: 1},
			[]string{"+8613800138001"}, []int64{1}, 0},
		// A record id such as "#1001" in the first column starts the line with
		// "#": every row of such an export would be a comment. A "#" line
		// whose number column (not the first) holds a number is a row; one
		// whose column does not is a comment, never a malformed line.
		{"hash record ids", "#1001,+8613800138000,Zhang\n#1002, \"+86 138 0013 8001\" ,Li\n# exported by crm, 2 rows\n#\n", ParseOptions{Column: 1},
			[]string{"+8613800138000", "+8613800138001"}, nil, 2},
		{"hash in the number column is a comment", "#+8613800138000,Zhang\n+8613800138001,Li\n", ParseOptions{},
			[]string{"+8613800138001"}, nil, 1},
		// A "#" row whose number column holds a number that does not parse
		// as given — a national number where "+" is required (the import
		// then asks for --country-code), one that starts with the country
		// code under --country-code, one of 16 digits — is a row with a bad
		// number, reported, not a comment skipped without a word: the same
		// rows without "#" are reported, and the opt-outs they hold were
		// lost while the rest of the file was imported.
		{"hash record ids with a number without plus", "#1001,+8613800138000\n#1002,13900139000\n#1003,212-555-0100\n# rows,42\n",
			ParseOptions{Column: 1, RequirePlus: true}, []string{"+8613800138000"}, []int64{2, 3}, 1},
		// Numbers formatted as a CRM or a spreadsheet writes them — in
		// parentheses, with dots or slashes — do not parse either: the
		// same rows without "#" are reported, so these are too (they were
		// skipped as comments, their opt-outs lost without a word).
		{"hash record ids with formatted numbers", "#1001,(212) 555-0100\n#1002,+1 (212) 555-0101\n#1003,+1.212.555.0102\n#1004,030/1234567\n#1005,+8613800138000\n# generated (v2),ok\n",
			ParseOptions{Column: 1}, []string{"+8613800138000"}, []int64{1, 2, 3, 4}, 1},
		// So are numbers written with an extension, a scheme, a no-break
		// space, full-width digits or as a spreadsheet formula: each is
		// reported without "#" and was skipped with it as a comment.
		{"hash record ids with decorated numbers", "#1001,+1 212-555-0100 x5\n#1002,tel:+8613800138001\n#1003,+44\u00a020 7946 0000\n#1004,=\"+8613800138002\"\n#1005,\uff0b\uff18\uff16 138 0013 8003\n#1006,+1 212 555 0104 ext. 12\n#1007,+8613800138000\n# total,1234567 rows\n# generated (v2),ok\n",
			ParseOptions{Column: 1}, []string{"+8613800138000"}, []int64{1, 2, 3, 4, 5, 6}, 2},
		// Letters whose lower case is longer (İ) before an "x": no panic.
		{"hash row with letters before an x", "#1,\u0130\u0130\u0130\u0130x12345678\n", ParseOptions{Column: 1}, nil, nil, 1},
		{"hash record ids with a country code", "#1,13900139000\n#2,8613900139001\n#3,+86 139 0013 9000 1234 5\n", ParseOptions{Column: 1, CountryCode: 86},
			[]string{"+8613900139000"}, []int64{2, 3}, 0},
		// Lines that parse as numbers but are not possible callees in
		// their numbering plan: the US registry's flat file read from its
		// second column ("201,2000000" gives +1 2000000), a file cut short
		// in the middle of its last line ("21255"), digits written after a
		// number. Each listed a number no dial is ever made to (a dial's
		// callee must be a possible number: dialgate.Dial.Validate), so the
		// callee the line meant went unlisted while the build succeeded.
		{"us flat file read from its number column", "201,2000000\n201,2000001\n", ParseOptions{CountryCode: 1, Column: 1},
			nil, []int64{1, 2}, 0},
		{"us file cut in its last line", "2125550123\n21255", ParseOptions{CountryCode: 1},
			[]string{"+12125550123"}, []int64{2}, 0},
		{"nanp international cut", "+12125550123\n+121255\n", ParseOptions{},
			[]string{"+12125550123"}, []int64{2}, 0},
		{"nanp digits after the number", "+1 212 555 0123 9\n", ParseOptions{}, nil, []int64{1}, 0},
		{"cn mobile cut", "13800138000\n1380013\n", ParseOptions{CountryCode: 86},
			[]string{"+8613800138000"}, []int64{2}, 0},
		{"cn digits after the number", "+86 138 0013 8000 1\n+86 10 5800 1234 56\n", ParseOptions{}, nil, []int64{1, 2}, 0},
		// Possible numbers stay: other plans are not judged.
		{"possible numbers", "+8613800138000\n+861058001234\n+4930123456\n+447911123456\n", ParseOptions{},
			[]string{"+8613800138000", "+861058001234", "+4930123456", "+447911123456"}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, got, bad := parseAll(t, tt.in, tt.opts)
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("numbers %v, want %v", got, tt.want)
			}
			if !slices.Equal(bad, tt.badLine) {
				t.Errorf("bad lines %v, want %v", bad, tt.badLine)
			}
			if st.Skipped != tt.skipped {
				t.Errorf("skipped %d, want %d", st.Skipped, tt.skipped)
			}
			if st.Numbers+st.Bad+st.Skipped != st.Lines {
				t.Errorf("stats %+v do not add up", st)
			}
		})
	}
	// UTF-16 text (a spreadsheet's "Unicode text") is refused as a whole,
	// naming the encoding, rather than read as lines of NUL bytes.
	for _, bom := range []string{"\xFF\xFE", "\xFE\xFF"} {
		_, err := ParseList(strings.NewReader(bom+"+\x008\x006\x00"), ParseOptions{}, func(dialgate.Number) error { return nil },
			func(*LineError) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "UTF-16") {
			t.Errorf("UTF-16 list: err = %v, want an error naming UTF-16", err)
		}
	}
}

func FuzzParseList(f *testing.F) {
	f.Add("+8613800138000\n8613800138001\r\n# c\n", 0, 0)
	f.Add("number,name\n\"+12125550100\",a\n", 0, 0)
	f.Add("2125550100\n", 1, 0)
	f.Add("010-5800-1234\n+86 0755 8888 0001\n", 86, 0)
	f.Add("a,b,+12125550100\n", 0, 2)
	f.Add("\uFEFFphone\r+8613800138000\r\n\"+86 138 0013 8001\"\r", 0, 0)
	f.Add("\"Wang, \"\"Li\"\"\", \"+8613800138000\" ,x\n\"open,+8613800138001\n", 0, 1)
	f.Add("\xFF\xFEp\x00", 0, 0)
	f.Add("201,2000000\n2125550123\n21255", 1, 1)
	f.Add("+86 138 0013 8000 1\n1380013\n", 86, 0)
	f.Add("#1001,13900139000\n#1002,+86 139 0013 9000 1234 5\n# rows,42\n", 0, 1)
	f.Fuzz(func(t *testing.T, in string, cc, col int) {
		var n int64
		st, err := ParseList(strings.NewReader(in), ParseOptions{CountryCode: cc, Column: col}, func(num dialgate.Number) error {
			if !num.IsValid() {
				t.Fatal("invalid number passed to add")
			}
			if _, err := dialgate.ParseNumber(num.String()); err != nil {
				t.Fatalf("add got %v which does not re-parse: %v", num, err)
			}
			// A listed number no dial can be made to lists no one.
			if err := (dialgate.Dial{To: num, Purpose: dialgate.PurposeService}).Validate(); err != nil {
				t.Fatalf("add got %v, which no dial can be made to: %v", num, err)
			}
			n++
			return nil
		}, func(*LineError) error { return nil })
		if err != nil {
			utf16 := strings.HasPrefix(in, "\xFF\xFE") || strings.HasPrefix(in, "\xFE\xFF")
			if cc >= 0 && cc <= 999 && col >= 0 && col <= 1000 && !utf16 {
				t.Fatalf("error with valid options: %v", err)
			}
			return
		}
		if st.Numbers != n || st.Numbers+st.Bad+st.Skipped != st.Lines {
			t.Fatalf("stats %+v inconsistent (numbers seen %d)", st, n)
		}
		// Whatever comes before it, a line holding only a number (in the
		// number's column) is read: never swallowed by the line before it,
		// never skipped as a header.
		last := strings.Repeat(",", col) + "+8613800138000"
		var seen bool
		if _, err := ParseList(strings.NewReader(in+"\n"+last+"\n"), ParseOptions{CountryCode: cc, Column: col}, func(num dialgate.Number) error {
			seen = seen || num.String() == "+8613800138000"
			return nil
		}, func(*LineError) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if !seen && len(in) < 1<<15 {
			t.Fatalf("the number on the line after %q was not read", in)
		}
	})
}

// parseAll reads in with opts and returns the stats, the numbers read (as
// E.164 text) and the lines reported malformed.
func parseAll(t *testing.T, in string, opts ParseOptions) (ParseStats, []string, []int64) {
	t.Helper()
	var got []string
	var bad []int64
	st, err := ParseList(strings.NewReader(in), opts, func(n dialgate.Number) error {
		got = append(got, n.String())
		return nil
	}, func(e *LineError) error { bad = append(bad, e.Line); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return st, got, bad
}

// TestParseListRefusesImpossibleNumbers: a number no dial can be made to
// (cases in TestParseListNeverDropsSilently) stops a parse without a
// bad-line callback, naming its line and the plan.
func TestParseListRefusesImpossibleNumbers(t *testing.T) {
	// Every number a list yields can be dialled: a dial to it is valid.
	_, err := ParseList(strings.NewReader("2000000\n"), ParseOptions{CountryCode: 1}, func(n dialgate.Number) error {
		t.Errorf("%v listed", n)
		return nil
	}, nil)
	var le *LineError
	if !errors.As(err, &le) || le.Line != 1 || !strings.Contains(err.Error(), "10 digits") {
		t.Fatalf("err = %v, want a LineError for line 1 naming the plan's 10 digits", err)
	}
}
