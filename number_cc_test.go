package dialgate

import (
	"regexp/syntax"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// TestLeadingZeroCountryCodes checks leadingZeroCC against libphonenumber's
// metadata: a code is in it exactly when the national number pattern of one
// of its regions can match a number that starts with 0.
func TestLeadingZeroCountryCodes(t *testing.T) {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]bool{}
	for _, md := range coll.GetMetadata() {
		re, err := syntax.Parse(md.GetGeneralDesc().GetNationalNumberPattern(), syntax.Perl)
		if err != nil {
			t.Fatalf("%s: %v", md.GetId(), err)
		}
		if first, _ := firstBytes(re.Simplify()); first['0'] {
			want[int(md.GetCountryCode())] = true
		}
	}
	for c := range 1000 {
		if leadingZeroCC[c] != want[c] {
			t.Errorf("country code %d: leadingZeroCC says %v, libphonenumber's metadata %v", c, leadingZeroCC[c], want[c])
		}
	}
}

// firstBytes returns the digits a match of re can start with, and whether re
// matches the empty string.
func firstBytes(re *syntax.Regexp) (set [256]bool, empty bool) {
	switch re.Op {
	case syntax.OpLiteral:
		if len(re.Rune) == 0 {
			return set, true
		}
		set[byte(re.Rune[0])] = true
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := max(re.Rune[i], '0'); r <= min(re.Rune[i+1], '9'); r++ {
				set[r] = true
			}
		}
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		for r := '0'; r <= '9'; r++ {
			set[r] = true
		}
	case syntax.OpCapture, syntax.OpPlus:
		return firstBytes(re.Sub[0])
	case syntax.OpStar, syntax.OpQuest:
		set, _ = firstBytes(re.Sub[0])
		return set, true
	case syntax.OpRepeat:
		set, empty = firstBytes(re.Sub[0])
		return set, empty || re.Min == 0
	case syntax.OpConcat, syntax.OpAlternate:
		empty = re.Op == syntax.OpConcat
		for _, sub := range re.Sub {
			s, e := firstBytes(sub)
			for i, ok := range s {
				set[i] = set[i] || ok
			}
			if re.Op == syntax.OpConcat && !e {
				return set, false
			}
			empty = empty || e
		}
		return set, empty
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText:
		return set, true
	default:
		panic("unexpected regexp op " + re.Op.String())
	}
	return set, false
}
