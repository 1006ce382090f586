package schedule

import (
	"strings"
	"unicode"

	"github.com/dialgate/dialgate/internal/textfold"

	"golang.org/x/text/unicode/norm"
)

// normSubject returns the spelling a dial's Subject is counted under by the
// per-subject caps and pauses: the rules the do-not-call scopes match by
// (dnc.Scope.Matches) — Unicode compatibility form (NFKC: full-width
// "ｓｏｌａｒ" is "solar"), without invisible format characters (zero-width
// space, soft hyphen, variation selectors), without surrounding white space,
// full Unicode case folding ("SOLAR", "Solar" and "solar" are one subject) —
// and, as a subject is free text typed or pasted by a dialer, every run of
// inner white space (a no-break or ideographic space too) made one space
// ("solar  panels" is "solar panels"). A subject of white space and
// invisible characters alone normalises to "". It does not allocate when s
// is already so and ASCII.
func normSubject(s string) string {
	if normalASCII(s) {
		return s
	}
	s = norm.NFKC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case textfold.Ignorable(r):
		case unicode.IsSpace(r):
			space = b.Len() > 0
		default:
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteRune(r)
		}
	}
	return textfold.Fold(b.String())
}

// normalASCII reports whether s is printable ASCII without upper-case
// letters, surrounding white space or two spaces in a row: a spelling
// normSubject leaves as it is.
func normalASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x20 || c > 0x7e, 'A' <= c && c <= 'Z':
			return false
		case c == ' ' && (i == 0 || i == len(s)-1 || s[i-1] == ' '):
			return false
		}
	}
	return true
}

// blankSubject reports whether s names no matter: it is empty, or white
// space and invisible characters alone (normSubject makes it "").
func blankSubject(s string) bool {
	if normalASCII(s) {
		return s == ""
	}
	return normSubject(s) == ""
}
