package dialgate_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dialgate/dialgate"
)

func TestParseNumberAccepts(t *testing.T) {
	for _, tc := range []struct {
		in, want, national string
		cc                 int
	}{
		{"+8613800138000", "+8613800138000", "13800138000", 86},
		{"8613800138000", "+8613800138000", "13800138000", 86},
		{"+86 138-0013-8000", "+8613800138000", "13800138000", 86},
		{"+86 10 5800 1234", "+861058001234", "1058001234", 86},
		{"+1 212-555-0100", "+12125550100", "2125550100", 1},
		{"+44 20 7946 0000", "+442079460000", "2079460000", 44},
		{"+33 1 23 45 67 89", "+33123456789", "123456789", 33},
		{"+852 2123 4567", "+85221234567", "21234567", 852},
		{"+8695555", "+8695555", "95555", 86},
		{"+999999999999999", "", "", 0}, // 999 unassigned: rejected below
	} {
		n, err := dialgate.ParseNumber(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("ParseNumber(%q) = %v, want error", tc.in, n)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseNumber(%q): %v", tc.in, err)
			continue
		}
		if got := n.String(); got != tc.want {
			t.Errorf("ParseNumber(%q).String() = %q, want %q", tc.in, got, tc.want)
		}
		if got := n.National(); got != tc.national {
			t.Errorf("ParseNumber(%q).National() = %q, want %q", tc.in, got, tc.national)
		}
		if got := n.CountryCode(); got != tc.cc {
			t.Errorf("ParseNumber(%q).CountryCode() = %d, want %d", tc.in, got, tc.cc)
		}
		if !n.IsValid() {
			t.Errorf("ParseNumber(%q).IsValid() = false", tc.in)
		}
	}
}

func TestParseNumberRejects(t *testing.T) {
	for _, tc := range []struct{ in, problem string }{
		{"", "empty"},
		{"+", "no digits"},
		{"+86abc", "not a digit"},
		{"+86 138--0013", "not between two digits"},
		{"+86 138 ", "ends with a separator"},
		{" +8613800138000", "not between two digits"},
		{"-8613800138000", "not between two digits"},
		{"++8613800138000", `only a leading "+"`},
		{"+86+13800138000", `only a leading "+"`},
		{"008613800138000", `"00" international prefix`},
		{"01058001234", "national trunk prefix"},
		{"+0861380013800", "national trunk prefix"},
		{"13800138000", "ambiguous"},
		{"+86138001380001234", "more than 15 digits"},
		{"+999123456", "unassigned country calling code"},
		{"+86123", "fewer than 4 digits"},
		{"+86(10)58001234", "not a digit"},
		{"+86１３８", `character '１' at position 3 is not a digit`},
		{"＋8613800138000", `character '＋' at position 0 is not a digit`},
		{"+86\xff138", "byte 0xff at position 3 is not UTF-8"},
	} {
		_, err := dialgate.ParseNumber(tc.in)
		if err == nil {
			t.Errorf("ParseNumber(%q): no error, want one mentioning %q", tc.in, tc.problem)
			continue
		}
		if !errors.Is(err, dialgate.ErrInvalidNumber) {
			t.Errorf("ParseNumber(%q) error %v does not wrap ErrInvalidNumber", tc.in, err)
		}
		if !strings.Contains(err.Error(), tc.problem) {
			t.Errorf("ParseNumber(%q) error %q does not mention %q", tc.in, err, tc.problem)
		}
	}
}

func TestNumberZeroValue(t *testing.T) {
	var n dialgate.Number
	if n.IsValid() || n.String() != "" || n.Digits() != "" || n.National() != "" || n.CountryCode() != 0 || n.Uint64() != 0 {
		t.Errorf("zero Number not empty: %#v", n)
	}
	b, err := n.MarshalText()
	if err != nil || len(b) != 0 {
		t.Errorf("zero MarshalText = %q, %v", b, err)
	}
	var m dialgate.Number
	if err := m.UnmarshalText(nil); err != nil || m != n {
		t.Errorf("UnmarshalText(empty) = %v, %v", m, err)
	}
}

func TestNumberComparableAndUint64(t *testing.T) {
	a := dialgate.MustParseNumber("+86 138 0013 8000")
	b := dialgate.MustParseNumber("8613800138000")
	if a != b {
		t.Fatalf("equal numbers compare unequal: %#v %#v", a, b)
	}
	m := map[dialgate.Number]int{a: 1}
	if m[b] != 1 {
		t.Fatal("map lookup by equal number failed")
	}
	c, err := dialgate.NumberFromUint64(a.Uint64())
	if err != nil || c != a {
		t.Fatalf("NumberFromUint64(%d) = %v, %v", a.Uint64(), c, err)
	}
	if v, n := a.NationalUint64(); v != 13800138000 || n != 11 {
		t.Fatalf("NationalUint64 = %d, %d", v, n)
	}
	if _, err := dialgate.NumberFromUint64(0); err == nil {
		t.Fatal("NumberFromUint64(0) accepted")
	}
}

func TestMustParseNumberPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("MustParseNumber did not panic on bad input")
		}
	}()
	dialgate.MustParseNumber("nope")
}

// FuzzParseNumber checks that parsing never panics, and that every accepted
// number round-trips through String, Digits, Uint64 and text marshalling.
func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"+8613800138000", "8613800138000", "+86 138-0013-8000", "+1 212 555 0100",
		"+86abc", "00861", "", "+", "1-", "+44 20 7946 0000", "13800138000", "+999", "+86１３８００１３８０００１２３４５６７８９"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := dialgate.ParseNumber(s)
		if err != nil {
			if !errors.Is(err, dialgate.ErrInvalidNumber) {
				t.Fatalf("error %v does not wrap ErrInvalidNumber", err)
			}
			if n.IsValid() {
				t.Fatalf("error %v with a valid number %v", err, n)
			}
			var ne *dialgate.NumberError
			if errors.As(err, &ne) && utf8.ValidString(s) && !utf8.ValidString(ne.Input) {
				t.Fatalf("ParseNumber(%q): error Input %q is not UTF-8", s, ne.Input)
			}
			return
		}
		if !n.IsValid() {
			t.Fatalf("ParseNumber(%q) returned an invalid number without error", s)
		}
		str := n.String()
		if len(str) < 2 || str[0] != '+' || n.Len() != len(str)-1 || n.Digits() != str[1:] {
			t.Fatalf("ParseNumber(%q): inconsistent forms %q %q %d", s, str, n.Digits(), n.Len())
		}
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, s)
		if digits != n.Digits() {
			t.Fatalf("ParseNumber(%q) digits %q, want %q", s, n.Digits(), digits)
		}
		back, err := dialgate.ParseNumber(str)
		if err != nil || back != n {
			t.Fatalf("round trip of %q: %v, %v", str, back, err)
		}
		u, err := dialgate.NumberFromUint64(n.Uint64())
		if err != nil || u != n {
			t.Fatalf("Uint64 round trip of %q: %v, %v", str, u, err)
		}
		txt, _ := n.MarshalText()
		var m dialgate.Number
		if err := m.UnmarshalText(txt); err != nil || m != n {
			t.Fatalf("text round trip of %q: %v, %v", str, m, err)
		}
		if cc := n.CountryCode(); cc <= 0 || cc > 999 || !strings.HasPrefix(n.Digits(), itoa(cc)) || n.Digits()[len(itoa(cc)):] != n.National() {
			t.Fatalf("country code %d / national %q inconsistent with %q", cc, n.National(), n.Digits())
		}
		// As a callee and a caller ID: refused only as not a possible
		// number; a North American one exactly when it is not NPA-NXX-XXXX.
		d := dialgate.Dial{To: n, From: n, Purpose: dialgate.PurposeService}
		verr := d.Validate()
		if verr != nil && (!errors.Is(verr, dialgate.ErrInvalidDial) || !strings.Contains(verr.Error(), "not a possible number")) {
			t.Fatalf("Validate with %v: %v", n, verr)
		}
		if nat := n.National(); n.CountryCode() == 1 {
			nanp := len(nat) == 10 && nat[0] >= '2' && nat[3] >= '2'
			if nanp != (verr == nil) {
				t.Fatalf("Validate with North American %v: %v", n, verr)
			}
		}
	})
}

func itoa(i int) string {
	var b [20]byte
	p := len(b)
	for i > 0 {
		p--
		b[p] = byte('0' + i%10)
		i /= 10
	}
	return string(b[p:])
}

func BenchmarkParseNumber(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := dialgate.ParseNumber("+8613800138000"); err != nil {
			b.Fatal(err)
		}
	}
}

// A national trunk prefix written after the country code ("+86 010 …", a
// national form with "+86" put in front) is a second spelling of a number
// that must not parse to a different Number: it would miss the
// do-not-call entry and the caps counted under the real number.
func TestParseNumberRejectsTrunkZeroAfterCountryCode(t *testing.T) {
	for _, in := range []string{"+86 010 5800 1234", "+8601058001234", "+86 0138 0013 8000", "8601380013800", "+44 020 7946 0000", "+1 0212 555 0100", "+33 01 23 45 67 89"} {
		if n, err := dialgate.ParseNumber(in); err == nil {
			t.Errorf("ParseNumber(%q) = %v, want an error (trunk 0 after the country code)", in, n)
		} else if !strings.Contains(err.Error(), "trunk prefix") {
			t.Errorf("ParseNumber(%q): %v, want it to name the trunk prefix", in, err)
		}
	}
	if _, err := dialgate.NumberFromUint64(8601058001234); err == nil {
		t.Errorf("NumberFromUint64(8601058001234) accepted a trunk 0 after the country code")
	}
	// Plans whose national numbers may start with 0 keep them.
	for _, in := range []string{"+39 06 6982 1234", "+378 0549 881064", "+225 07 0123 4567", "+47 0 2345", "+81 0120 123 456"} {
		if _, err := dialgate.ParseNumber(in); err != nil {
			t.Errorf("ParseNumber(%q): %v", in, err)
		}
	}
}

func TestTrunkPrefixError(t *testing.T) {
	_, err := dialgate.ParseNumber("+86 010 5800 1234")
	if !errors.Is(err, dialgate.ErrTrunkPrefix) || !errors.Is(err, dialgate.ErrInvalidNumber) {
		t.Errorf("trunk 0 after +86: %v, want ErrTrunkPrefix wrapping ErrInvalidNumber", err)
	}
	if _, err := dialgate.ParseNumber("+86abc"); errors.Is(err, dialgate.ErrTrunkPrefix) {
		t.Errorf("letters: %v is ErrTrunkPrefix", err)
	}
}

// A North American number written nationally, without "+1" ("2125550100",
// "212-555-0100"), read as international is another country's number: +212
// (Morocco), +31 (the Netherlands), +41 (Switzerland)… Its window would be
// judged in that country's zone and the do-not-call entries and caps of the
// real callee, +12125550100, never met. Like an 11-digit number starting 1,
// such a text is ambiguous and refused.
func TestParseNumberRejectsNANPNationalWithoutPlus(t *testing.T) {
	for _, in := range []string{"2125550100", "212-555-0100", "212 555 0100", "3105550100", "4155550100", "6465550100", "4055550100"} {
		if n, err := dialgate.ParseNumber(in); err == nil {
			t.Errorf("ParseNumber(%q) = %v (country code %d), want an error: it may be the North American +1 %s", in, n, n.CountryCode(), in)
		} else if !errors.Is(err, dialgate.ErrInvalidNumber) || !strings.Contains(err.Error(), "ambiguous") {
			t.Errorf("ParseNumber(%q): %v, want an ambiguity error wrapping ErrInvalidNumber", in, err)
		}
	}
	// With "+", or when no North American number has that shape (its area
	// or exchange code would start 0 or 1, or it is not 10 digits), the
	// digits are the international number they say.
	for in, want := range map[string]string{
		"+2125550100":   "+2125550100",
		"+12125550100":  "+12125550100",
		"6561234567":    "+6561234567",    // Singapore: the "exchange" would start 1
		"8613800138000": "+8613800138000", // 13 digits
		"442079460000":  "+442079460000",  // 12 digits
		"85221234567":   "+85221234567",   // 11 digits, not starting 1
	} {
		if n, err := dialgate.ParseNumber(in); err != nil || n.String() != want {
			t.Errorf("ParseNumber(%q) = %v, %v; want %s", in, n, err, want)
		}
	}
}

// TestNumberFromUint64NoAlloc: a registry build calls NumberFromUint64 for
// every number it reads; a valid one allocates nothing, and an error still
// names the digits.
func TestNumberFromUint64NoAlloc(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() {
		if _, err := dialgate.NumberFromUint64(8613800138000); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("NumberFromUint64 allocates %v times a call", n)
	}
	_, err := dialgate.NumberFromUint64(99912345)
	if err == nil || !strings.Contains(err.Error(), `"99912345"`) {
		t.Errorf("error %v does not name the digits", err)
	}
	_, err = dialgate.NumberFromUint64(860105800123)
	if !errors.Is(err, dialgate.ErrTrunkPrefix) || !strings.Contains(err.Error(), "860105800123") {
		t.Errorf("trunk prefix: %v", err)
	}
}
