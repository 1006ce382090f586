package numbering_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/numbering"
)

func TestParseDroppingTrunkPrefix(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"+86 010 5800 1234", "+861058001234"},
		{"8601058001234", "+861058001234"},
		{"+44 07911 123456", "+447911123456"},
		{"+86 10 5800 1234", "+861058001234"}, // no prefix: as ParseNumber
		{"+39 06 6982 1234", "+390669821234"}, // Italy: the 0 is the number's
		// Argentina: a mobile written nationally (0 11 15 1234 5678) is
		// +54 9 11 1234 5678 in E.164, as the plan's transform rule says.
		{"+54 011 15 1234 5678", "+5491112345678"},
	} {
		n, err := numbering.ParseDroppingTrunkPrefix(tc.in)
		if err != nil || n.String() != tc.want {
			t.Errorf("ParseDroppingTrunkPrefix(%q) = %v, %v; want %s", tc.in, n, err, tc.want)
		}
	}
	for _, in := range []string{"+86abc", "", "+86 0"} {
		if _, err := numbering.ParseDroppingTrunkPrefix(in); !errors.Is(err, dialgate.ErrInvalidNumber) {
			t.Errorf("ParseDroppingTrunkPrefix(%q): %v, want ErrInvalidNumber", in, err)
		}
	}
}

// FuzzParseDroppingTrunkPrefix checks that the list reader never panics, that
// it reads what ParseNumber reads as ParseNumber does, and that it reads a
// trunk-prefixed number only as the same country's number made of the digits
// after the prefix: never another country, never digits that were not there.
func FuzzParseDroppingTrunkPrefix(f *testing.F) {
	for _, s := range []string{"+86 010 5800 1234", "8601058001234", "+44 07911 123456", "+86 10 5800 1234",
		"+39 06 6982 1234", "+86abc", "", "+86 0", "+1 0212 555 0100", "+86 0 12593 1380013", "+7 0495 123 4567", "+61 0412 345 678", "+54 011 15 1234 5678"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := numbering.ParseDroppingTrunkPrefix(s)
		direct, derr := dialgate.ParseNumber(s)
		if err != nil {
			if !errors.Is(err, dialgate.ErrInvalidNumber) || n.IsValid() {
				t.Fatalf("ParseDroppingTrunkPrefix(%q) = %v, %v", s, n, err)
			}
			if derr == nil {
				t.Fatalf("ParseDroppingTrunkPrefix(%q): %v, but ParseNumber reads it as %v", s, err, direct)
			}
			return
		}
		if !n.IsValid() {
			t.Fatalf("ParseDroppingTrunkPrefix(%q): invalid number without error", s)
		}
		if derr == nil {
			if n != direct {
				t.Fatalf("ParseDroppingTrunkPrefix(%q) = %v, ParseNumber %v", s, n, direct)
			}
			return
		}
		if !errors.Is(derr, dialgate.ErrTrunkPrefix) {
			t.Fatalf("ParseDroppingTrunkPrefix(%q) = %v, but ParseNumber refused it for another reason: %v", s, n, derr)
		}
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, s)
		cc := strconv.Itoa(n.CountryCode())
		if !strings.HasPrefix(digits, cc+"0") {
			t.Fatalf("ParseDroppingTrunkPrefix(%q) = %v: not a number of country code %s", s, n, cc)
		}
		// The digits after the trunk 0 (a carrier code dropped), unless
		// the plan rewrites the national form (Argentina's 0 11 15… is the
		// mobile +54 9 11…).
		if !strings.HasSuffix(digits[len(cc)+1:], n.National()) && !transforms(n.CountryCode()) {
			t.Fatalf("ParseDroppingTrunkPrefix(%q) = %v: not the digits after the trunk 0 of country code %s", s, n, cc)
		}
		if back, err := dialgate.ParseNumber(n.String()); err != nil || back != n {
			t.Fatalf("ParseDroppingTrunkPrefix(%q) = %v does not round-trip: %v, %v", s, n, back, err)
		}
	})
}

// transforms reports whether the main region of country code cc rewrites
// a national number as it strips its national prefix (libphonenumber's
// national_prefix_transform_rule).
func transforms(cc int) bool {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return false
	}
	region := phonenumbers.GetRegionCodeForCountryCode(cc)
	for _, md := range coll.GetMetadata() {
		if md.GetId() == region {
			return md.GetNationalPrefixTransformRule() != ""
		}
	}
	return false
}
