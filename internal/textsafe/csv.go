package textsafe

// formulaStart holds the characters that make a spreadsheet (Excel,
// LibreOffice Calc, Google Sheets) read a CSV cell as a formula, or skip to
// one (tab, carriage return): OWASP's list for CSV injection.
const formulaStart = "=+-@\t\r"

// CSVCell returns s as a cell of a CSV (or TSV) file meant to be opened by
// people in a spreadsheet, so that the spreadsheet shows it as text rather
// than running it as a formula (CSV injection: a holder or campaign named
// `=HYPERLINK("http://…","x")` or `+cmd|' /C calc'!A0`): a cell starting
// with = + - @, a tab or a carriage return gets a leading apostrophe
// (OWASP's guidance; spreadsheets read a leading apostrophe as "text").
//
// A plain number — an optional sign, digits, and an optional fraction, such
// as the E.164 number +8613800138000 or -12 — runs nothing and is written as
// it is. So that the cell can be read back as the text it holds (CSVText), a
// cell that already starts with apostrophes before such a character gets one
// more ("'=x" is written with two). Call it for free-text cells only: a column
// of numbers, times or codes dialgate writes and checks needs none.
//
// It returns s itself, without allocating, when s needs nothing.
func CSVCell(s string) string {
	if !formulaAfterQuotes(s) {
		return s
	}
	return "'" + s
}

// CSVText returns the text a cell written by CSVCell holds: one leading
// apostrophe is removed from a cell whose apostrophes are followed by a
// character CSVCell escapes (not a plain number); any other cell is its own
// text ("'Acme" stays "'Acme"). CSVText(CSVCell(s)) == s for every s. A cell
// written by hand the way spreadsheets write text ("'=x") reads as "=x".
func CSVText(cell string) string {
	if len(cell) > 0 && cell[0] == '\'' && formulaAfterQuotes(cell) {
		return cell[1:]
	}
	return cell
}

// formulaAfterQuotes reports whether s, once its leading apostrophes are
// skipped, starts with a character of formulaStart and is not a plain
// number.
func formulaAfterQuotes(s string) bool {
	i := 0
	for i < len(s) && s[i] == '\'' {
		i++
	}
	r := s[i:]
	if r == "" {
		return false
	}
	for j := 0; j < len(formulaStart); j++ {
		if r[0] == formulaStart[j] {
			return !plainNumber(r)
		}
	}
	return false
}

// plainNumber reports whether s is a sign (+ or -), one or more ASCII
// digits and optionally a dot followed by one or more digits: a value a
// spreadsheet reads as a number, never as a formula.
func plainNumber(s string) bool {
	if len(s) < 2 || (s[0] != '+' && s[0] != '-') {
		return false
	}
	s = s[1:]
	digits := func() int {
		n := 0
		for n < len(s) && '0' <= s[n] && s[n] <= '9' {
			n++
		}
		return n
	}
	n := digits()
	if n == 0 {
		return false
	}
	s = s[n:]
	if s == "" {
		return true
	}
	if s[0] != '.' {
		return false
	}
	s = s[1:]
	n = digits()
	return n > 0 && n == len(s)
}
