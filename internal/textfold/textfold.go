// Package textfold gives the one form in which dialgate compares the names a
// person or a dialer types — do-not-call and consent scopes, call subjects —
// so that spellings a person cannot tell apart are one name everywhere.
package textfold

import (
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"
)

// Ignorable reports whether r is invisible: a format character (zero-width
// space, soft hyphen, bidirectional marks…), a variation selector or another
// default-ignorable code point.
func Ignorable(r rune) bool {
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Variation_Selector, r) ||
		unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r)
}

// Compat returns s in Unicode compatibility form (NFKC: full-width
// "ｆｉｎａｎｃｅ" and the ligature "ﬁnance" become "finance"), without
// invisible characters (Ignorable) and surrounding white space: the
// spellings of one name that a person cannot tell apart, or that an input
// method or a copy from a web page makes by accident. It does not allocate
// when s is already so.
func Compat(s string) string {
	s = norm.NFKC.String(s)
	s = strings.Map(func(r rune) rune {
		if Ignorable(r) {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// Fold returns s case-folded in full, as Unicode defines it, in NFKC:
// "Straße" and "STRASSE" both become "strasse", which strings.EqualFold,
// folding letter by letter, tells apart — and another language's upper-case
// function (Java's, JavaScript's, Python's) makes "STRASSE" of "Straße".
//
// The string is lower-cased before it is folded: golang.org/x/text's
// folding maps the Cherokee capitals to the small letters and the small
// letters to the capitals, so that "Ꮫ" and "ꮫ" would fold apart; lower-cased
// first, both fold to one form (FuzzName).
func Fold(s string) string {
	// Folding can leave a string out of normal form (a capital with a
	// combining mark folds to a letter the mark composes with).
	return norm.NFKC.String(cases.Fold().String(cases.Lower(language.Und).String(s)))
}

// Name returns Fold(Compat(s)): the form in which two names are one.
func Name(s string) string { return Fold(Compat(s)) }
