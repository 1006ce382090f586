package dnc

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dialgate/dialgate/internal/textfold"

	"github.com/dialgate/dialgate"
)

// ScopeKind is what part of a dial a scope matches.
type ScopeKind string

// The scope kinds of DESIGN §4.
const (
	ScopeGlobal   ScopeKind = "global"   // every dial
	ScopeIndustry ScopeKind = "industry" // Dial.Industry
	ScopeBusiness ScopeKind = "business" // Dial.BusinessLine
	ScopeTenant   ScopeKind = "tenant"   // Dial.Tenant
	ScopeCampaign ScopeKind = "campaign" // Dial.Campaign
)

// Scope says which dials a do-not-call entry applies to: "global",
// "industry:<x>", "business:<x>", "tenant:<x>" or "campaign:<x>". It is a
// comparable value; the zero Scope is invalid. Matching ignores case, the
// white space around the dial's field, Unicode compatibility forms and
// invisible format characters (see Matches).
type Scope struct {
	Kind  ScopeKind // what part of a dial the scope matches
	Value string    // the value that part must equal; empty for ScopeGlobal, else 1 to 256 bytes
}

// GlobalScope is the scope that matches every dial.
var GlobalScope = Scope{Kind: ScopeGlobal}

// ParseScope parses a scope string. An empty string is an error (no silent
// default); use "global" for every dial.
func ParseScope(s string) (Scope, error) {
	if s == "global" {
		return GlobalScope, nil
	}
	kind, val, ok := strings.Cut(s, ":")
	if !ok {
		return Scope{}, fmt.Errorf("scope %q: want global, industry:<x>, business:<x>, tenant:<x> or campaign:<x>", s)
	}
	switch ScopeKind(kind) {
	case ScopeIndustry, ScopeBusiness, ScopeTenant, ScopeCampaign:
	default:
		return Scope{}, fmt.Errorf("scope %q: unknown kind %q (want global, industry, business, tenant or campaign)", s, kind)
	}
	if val == "" || strings.TrimSpace(val) != val || len(val) > 256 {
		return Scope{}, fmt.Errorf("scope %q: value must be 1 to 256 bytes without surrounding spaces", s)
	}
	for i := 0; i < len(val); i++ {
		if c := val[i]; c < 0x20 || c == 0x7f {
			return Scope{}, fmt.Errorf("scope %q: control character in value", s)
		}
	}
	if !utf8.ValidString(val) {
		// Stored as JSON it would read back with U+FFFD in place of the
		// bad bytes: no longer the scope of its key, and every entry of
		// its number unreadable with it.
		return Scope{}, fmt.Errorf("scope %q: value is not valid UTF-8", s)
	}
	return Scope{Kind: ScopeKind(kind), Value: val}, nil
}

// MustParseScope is like ParseScope but panics on error; for tests and constants.
func MustParseScope(s string) Scope {
	sc, err := ParseScope(s)
	if err != nil {
		panic(err)
	}
	return sc
}

// String returns the scope in its text form ("industry:finance").
func (s Scope) String() string {
	if s.Kind == ScopeGlobal {
		return "global"
	}
	if s.Kind == "" {
		return ""
	}
	return string(s.Kind) + ":" + s.Value
}

// IsValid reports whether s is a well-formed scope.
func (s Scope) IsValid() bool {
	_, err := ParseScope(s.String())
	return err == nil && s.Kind != ""
}

// MarshalText implements encoding.TextMarshaler.
func (s Scope) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Scope) UnmarshalText(b []byte) error {
	sc, err := ParseScope(string(b))
	if err != nil {
		return err
	}
	*s = sc
	return nil
}

// Matches reports whether the scope applies to dial d: the dial's field of the
// scope's kind equals the value, ignoring case (Unicode full case folding:
// "STRASSE" is "Straße"), surrounding white space, Unicode compatibility
// forms (NFKC: full-width letters, ligatures) and invisible characters
// (format characters such as the zero-width space and the soft hyphen,
// variation selectors, the combining grapheme joiner). A
// dial that leaves the scope's field empty or blank (no Industry for an
// "industry:" entry, and so on) cannot be shown to be outside the refusal, so
// it matches: fail closed. So does a
// scope of no known kind (an entry read back damaged): it is treated as
// global rather than skipped.
func (s Scope) Matches(d dialgate.Dial) bool {
	var v string
	switch s.Kind {
	case ScopeGlobal:
		return true
	case ScopeIndustry:
		v = d.Industry
	case ScopeBusiness:
		v = d.BusinessLine
	case ScopeTenant:
		v = d.Tenant
	case ScopeCampaign:
		v = d.Campaign
	default:
		return true
	}
	// The dial's field is free text: one of only white space says as little
	// as an empty one, and "Finance" or " finance" is the industry a refusal
	// of "finance" names. Compared exactly, each would dodge the refusal.
	v = strings.TrimSpace(v)
	if v == "" {
		return true
	}
	if ascii(v) && ascii(s.Value) {
		return strings.EqualFold(v, s.Value)
	}
	if v == s.Value {
		return true
	}
	v, want := textfold.Compat(v), textfold.Compat(s.Value)
	if v == "" {
		return true
	}
	if cv, cw := caseless(v), caseless(want); cv || cw {
		// A name without cased letters (Chinese, say) folds to itself,
		// and a name with one never folds to a name without: compare
		// without the allocations of case folding.
		return cv && cw && v == want
	}
	return textfold.Fold(v) == textfold.Fold(want)
}

// Equivalent reports whether s and o apply to the same dials: the same kind,
// and values Matches takes for one another (without regard to case or
// compatibility forms, as a dial's field is compared: "industry:Finance" is
// equivalent to "industry:finance").
func (s Scope) Equivalent(o Scope) bool {
	if s.Kind != o.Kind {
		return false
	}
	if s.Value == o.Value {
		return true
	}
	if ascii(s.Value) && ascii(o.Value) {
		return strings.EqualFold(s.Value, o.Value)
	}
	a, b := textfold.Compat(s.Value), textfold.Compat(o.Value)
	if a == b {
		return true
	}
	// As Matches compares: names without cased letters as written (Hangul
	// jamo split by an invisible character fold to a syllable, but Matches
	// does not take one for the other), only names with them folded.
	return !caseless(a) && !caseless(b) && textfold.Fold(a) == textfold.Fold(b)
}

// ascii reports whether s is 7-bit ASCII, which compatText leaves as it is
// and strings.EqualFold folds in full.
func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// caseless reports whether no rune of s has a case: none is an upper-case,
// lower-case or title-case letter or folds to another rune, so that case
// folding leaves s as it is.
func caseless(s string) bool {
	for _, r := range s {
		if ('\u4e00' <= r && r <= '\u9fff') || ('\uac00' <= r && r <= '\ud7a3') {
			continue // CJK unified ideographs, Hangul syllables: no case
		}
		if unicode.SimpleFold(r) != r || unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) {
			return false
		}
	}
	return true
}
