package dialgate

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/dialgate/dialgate/internal/decimal"
)

// Number is a telephone number in E.164 form: a country calling code followed by
// the national significant number, at most 15 digits in all.
//
// Number is a small comparable value type, like [net/netip.Addr]: use it as a map
// key, compare it with ==. The zero Number is not valid (IsValid reports false)
// and prints as the empty string.
type Number struct {
	v  uint64 // the digits as an integer; E.164 numbers never start with 0
	n  uint8  // number of digits, 0 for the zero Number
	cc uint8  // length of the country calling code (1–3)
}

// ErrInvalidNumber is wrapped by every error ParseNumber returns.
var ErrInvalidNumber = errors.New("dialgate: invalid number")

// ErrTrunkPrefix is wrapped by the error for a national number written with
// its trunk prefix 0 after the country code ("+86 010 5800 1234"); it wraps
// ErrInvalidNumber. A list importer that reads national spellings can drop
// the 0 and parse again (dnc.ParseList does).
var ErrTrunkPrefix = fmt.Errorf("%w: national trunk prefix after the country code", ErrInvalidNumber)

// NumberError describes why a text is not a Number. It wraps ErrInvalidNumber
// (through ErrTrunkPrefix for a trunk prefix after the country code).
type NumberError struct {
	Input   string // the text given, shortened to at most 40 bytes (cut between characters) and "…"
	Problem string // what is wrong, in plain words
	err     error  // ErrTrunkPrefix, or nil for ErrInvalidNumber
}

// Error returns the input and what is wrong with it.
func (e *NumberError) Error() string {
	return fmt.Sprintf("invalid number %q: %s", e.Input, e.Problem)
}

// Unwrap returns ErrTrunkPrefix or ErrInvalidNumber.
func (e *NumberError) Unwrap() error {
	if e.err != nil {
		return e.err
	}
	return ErrInvalidNumber
}

func numberErr(s, problem string) error {
	if len(s) > 40 {
		// Cut before a character that does not fit whole (a full-width
		// digit is 3 bytes), not inside it.
		cut := 40
		for k := 0; k < utf8.UTFMax-1 && !utf8.RuneStart(s[cut]); k++ {
			cut--
		}
		s = s[:cut] + "…"
	}
	return &NumberError{Input: s, Problem: problem}
}

// ParseNumber parses an international number: an optional leading "+", then the
// country calling code and the national significant number, with single spaces or
// hyphens allowed between digit groups. It accepts "+8613800138000",
// "8613800138000" and "+86 138-0013-8000".
//
// It rejects everything else with an error that wraps ErrInvalidNumber and names
// the problem: letters or other characters, a national trunk prefix ("0…", or
// "+86 010…" after the country code, except in the numbering plans whose
// national numbers may start with 0, such as Italy's), the "00" international
// prefix, an unassigned country code, fewer than 4 national digits, more than 15
// digits in all, and, without a "+", an 11-digit number that starts with 1 (a
// Chinese national mobile number and a NANP number look the same) or a 10-digit
// one of the North American shape NXX-NXX-XXXX, N being 2–9 ("2125550100" is New
// York's +1 212 555 0100 written nationally, not Morocco's +212 555 0100): write
// those with "+".
func ParseNumber(s string) (Number, error) {
	if s == "" {
		return Number{}, numberErr(s, "empty")
	}
	i := 0
	plus := false
	if s[0] == '+' {
		plus = true
		i = 1
	}
	var v uint64
	n := 0
	prevSep := true // a separator may not come first
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if n == 0 && c == '0' {
				if len(s) > i+1 && s[i+1] == '0' {
					return Number{}, numberErr(s, `starts with the "00" international prefix; write "+" and the country code instead`)
				}
				return Number{}, numberErr(s, `starts with 0 (a national trunk prefix); write "+" and the country code instead`)
			}
			n++
			if n > 15 {
				return Number{}, numberErr(s, "more than 15 digits (E.164 maximum)")
			}
			v = v*10 + uint64(c-'0')
			prevSep = false
		case c == ' ' || c == '-':
			if prevSep {
				return Number{}, numberErr(s, fmt.Sprintf("separator %q at position %d not between two digits", c, i))
			}
			prevSep = true
		case c == '+':
			return Number{}, numberErr(s, fmt.Sprintf(`"+" at position %d; only a leading "+" is allowed`, i))
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size <= 1 {
				return Number{}, numberErr(s, fmt.Sprintf("byte 0x%02x at position %d is not UTF-8", c, i))
			}
			// The whole character, not its first byte: a full-width "１"
			// or "＋" is named as typed ('ï' told the user nothing).
			return Number{}, numberErr(s, fmt.Sprintf("character %q at position %d is not a digit", r, i))
		}
	}
	if n == 0 {
		return Number{}, numberErr(s, "no digits")
	}
	if prevSep {
		return Number{}, numberErr(s, "ends with a separator")
	}
	if !plus && n == 11 && v/1e10 == 1 {
		return Number{}, numberErr(s, `ambiguous: 11 digits starting with 1 may be a Chinese national mobile or a NANP number; write it with "+" and the country code`)
	}
	if !plus && n == 10 && v/1e9 >= 2 && v/1e6%10 >= 2 {
		// "2125550100" read as international is +212 555 0100, a Moroccan
		// number: a North American number written nationally would be
		// judged in another country's zone and miss its own lists and caps.
		return Number{}, numberErr(s, `ambiguous: 10 digits NXX-NXX-XXXX may be a North American national number (+1 omitted) or an international one; write it with "+" and the country code`)
	}
	return numberFromDigits(s, v, n)
}

func numberFromDigits(s string, v uint64, n int) (Number, error) {
	cc := countryCodeLen(v, n)
	if cc == 0 {
		return Number{}, numberErr(s, "unassigned country calling code")
	}
	if n-cc < 4 {
		return Number{}, numberErr(s, "fewer than 4 digits after the country code")
	}
	if v/decimal.Pow10[n-cc-1]%10 == 0 && !leadingZeroCC[v/decimal.Pow10[n-cc]] {
		// "+86 010 5800 1234" is "+86 10 5800 1234" with its trunk prefix
		// kept: two spellings of one number must not be two Numbers (the
		// second would miss the first's do-not-call entries and caps).
		ccv, rest, nd := v/decimal.Pow10[n-cc], v%decimal.Pow10[n-cc-1], n-cc-1
		err := numberErr(s, fmt.Sprintf(`national number starts with 0 (a national trunk prefix) after the country code; write "+%d %0*d", not "+%d 0%0*d"`, ccv, nd, rest, ccv, nd, rest))
		err.(*NumberError).err = ErrTrunkPrefix
		return Number{}, err
	}
	return Number{v: v, n: uint8(n), cc: uint8(cc)}, nil
}

// NumberFromUint64 returns the Number whose E.164 digits, read as a decimal
// integer, are v (8613800138000 for +8613800138000). It is the inverse of
// Number.Uint64 and fails under the same rules as ParseNumber.
func NumberFromUint64(v uint64) (Number, error) {
	if v == 0 {
		return Number{}, numberErr("0", "no digits")
	}
	n := 0
	for x := v; x > 0; x /= 10 {
		n++
	}
	if n > 15 {
		return Number{}, numberErr(strconv.FormatUint(v, 10), "more than 15 digits (E.164 maximum)")
	}
	num, err := numberFromDigits("", v, n)
	if err != nil {
		// The digits are written out only for the error: a registry build
		// calls this for every number it reads.
		err.(*NumberError).Input = strconv.FormatUint(v, 10)
	}
	return num, err
}

// MustParseNumber is like ParseNumber but panics on error. Use it only for
// constants and in tests.
func MustParseNumber(s string) Number {
	n, err := ParseNumber(s)
	if err != nil {
		panic(err)
	}
	return n
}

// IsValid reports whether n is a parsed number rather than the zero Number.
func (n Number) IsValid() bool { return n.n != 0 }

// Uint64 returns the E.164 digits as a decimal integer (8613800138000 for
// +8613800138000), or 0 for the zero Number. It is a compact map or set key.
func (n Number) Uint64() uint64 { return n.v }

// Len returns the number of E.164 digits, 0 for the zero Number.
func (n Number) Len() int { return int(n.n) }

// CountryCode returns the country calling code (86 for +8613800138000), or 0 for
// the zero Number.
func (n Number) CountryCode() int {
	if n.n == 0 {
		return 0
	}
	return int(n.v / decimal.Pow10[n.n-n.cc])
}

// National returns the national significant number: the digits after the country
// code ("13800138000" for +8613800138000), or "" for the zero Number.
func (n Number) National() string {
	if n.n == 0 {
		return ""
	}
	d := n.Digits()
	return d[n.cc:]
}

// NationalUint64 returns the national significant number as an integer and its
// digit count (13800138000, 11 for +8613800138000).
func (n Number) NationalUint64() (v uint64, digits int) {
	if n.n == 0 {
		return 0, 0
	}
	nd := n.n - n.cc
	return n.v % decimal.Pow10[nd], int(nd)
}

// Digits returns the E.164 digits without the "+" ("8613800138000"), or "" for
// the zero Number.
func (n Number) Digits() string {
	if n.n == 0 {
		return ""
	}
	var buf [16]byte
	return string(n.appendDigits(buf[:0]))
}

// appendDigits appends the digits. E.164 numbers never start with 0, so the
// integer form keeps every digit.
func (n Number) appendDigits(b []byte) []byte {
	return strconv.AppendUint(b, n.v, 10)
}

// String returns the number in E.164 form with a leading "+" ("+8613800138000"),
// or "" for the zero Number.
func (n Number) String() string {
	if n.n == 0 {
		return ""
	}
	var buf [16]byte
	return string(n.AppendTo(buf[:0]))
}

// AppendTo appends the E.164 form ("+8613800138000") to b and returns the result.
// It appends nothing for the zero Number.
func (n Number) AppendTo(b []byte) []byte {
	if n.n == 0 {
		return b
	}
	b = append(b, '+')
	return n.appendDigits(b)
}

// MarshalText implements encoding.TextMarshaler. The zero Number marshals to
// empty text.
func (n Number) MarshalText() ([]byte, error) {
	return n.AppendTo(make([]byte, 0, 16)), nil
}

// UnmarshalText implements encoding.TextUnmarshaler. Empty text gives the zero
// Number; anything else must parse with ParseNumber.
func (n *Number) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*n = Number{}
		return nil
	}
	p, err := ParseNumber(string(text))
	if err != nil {
		return err
	}
	*n = p
	return nil
}

// planProblem returns why n cannot be a number of its country's numbering
// plan, as far as dialgate knows the plan, or "" when nothing is known to be
// wrong. It knows these plans:
//
//   - North America (+1): 10 digits after the country code, NPA-NXX-XXXX,
//     whose area code (NPA) and exchange code (NXX) start with 2–9.
//   - China (+86), for a callee only (cn): a mobile number (network code
//     13x–19x) has 11 digits after +86; a number with a 2-digit area code
//     (10, 20–29, and the 106 SMS ports that share the 10 prefix) has at most
//     10; a 400 or 800 number exactly 10; any other at most 11 (a 3-digit
//     area code and 8 local digits), or 10 in an area whose lines have 7
//     local digits (sevenDigitAreas). A
//     caller ID is left to the callerid check, which denies every +86 caller
//     ID it cannot classify.
//   - The lengths of the national numbers of the United Kingdom (+44: 7
//     to 10 digits), France and its overseas departments (+33, +262, +590,
//     +594, +596: 9 digits) and Australia's geographic and mobile numbers
//     (+61 2, 3, 4, 7, 8: 9 digits), which the profiles uk, fr and au
//     judge (nsnPlans).
//   - Mexico (+52): 10 digits after the country code. The mobile prefix 1
//     ("+52 1 55 …"), withdrawn in 2019, is refused: it reaches the line
//     written without it, which would be a second Number its lists and caps
//     do not know.
//
// Digits written after a number (an extension, an overdialled digit) make
// another Number, one the do-not-call lists and caps of the line the dialer
// reaches do not know: a plan that cannot hold it must refuse it. The
// message never holds n's digits (a callee's number is not logged raw).
func (n Number) planProblem(cn bool) string {
	v, nd := n.NationalUint64()
	if nd == 0 {
		return ""
	}
	first := func(k int) uint64 { return v / decimal.Pow10[nd-k] } // the first k national digits
	switch n.CountryCode() {
	case 1:
		switch {
		case nd != 10:
			return fmt.Sprintf("a North American (+1) number has 10 digits after the country code (NPA-NXX-XXXX), not %d", nd)
		case first(1) < 2:
			return fmt.Sprintf("its area code (NPA) starts with %d; North American area codes start with 2–9", first(1))
		case first(4)%10 < 2:
			return fmt.Sprintf("its exchange code (NXX) starts with %d; North American exchange codes start with 2–9", first(4)%10)
		}
	case 52:
		switch {
		case nd == 11 && first(1) == 1:
			return "a Mexican (+52) number written with the mobile prefix 1, withdrawn in 2019: it reaches the line written without the 1 (10 digits after +52); write it so, one line being one number"
		case nd != 10:
			return fmt.Sprintf("a Mexican (+52) number has 10 digits after the country code, not %d", nd)
		}
	case 33, 44, 61, 262, 590, 594, 596:
		for _, p := range nsnPlans {
			if p.cc != n.CountryCode() || p.lead != 0 && p.lead>>first(1)&1 == 0 {
				continue
			}
			switch {
			case p.min == p.max && nd != p.min:
				return fmt.Sprintf("%s number has %d digits after the country code, not %d: digits after the number (an extension?) are not part of it", p.name, p.min, nd)
			case nd > p.max:
				return fmt.Sprintf("%s number has at most %d digits after the country code, not %d: digits after the number (an extension?) are not part of it", p.name, p.max, nd)
			case nd < p.min:
				return fmt.Sprintf("%s number has at least %d digits after the country code, not %d", p.name, p.min, nd)
			}
		}
	case 86:
		if !cn || nd < 2 {
			return ""
		}
		switch t2 := first(2); {
		case t2 >= 13 && t2 <= 19:
			if nd != 11 {
				return fmt.Sprintf("a Chinese mobile number (network code 13x–19x) has 11 digits after +86, not %d", nd)
			}
		case t2 == 10 || t2/10 == 2:
			if nd > 10 {
				return fmt.Sprintf("a Chinese number with a 2-digit area code (10, 20–29) has at most 10 digits after +86 (8 local digits), not %d: digits after the number (an extension?) are not part of it", nd)
			}
		case nd >= 3 && (first(3) == 400 || first(3) == 800) && nd != 10:
			// 400 and 800 are number prefixes, never area codes: no
			// 3-digit area code's 7 or 8 local digits follow them.
			return fmt.Sprintf("a Chinese %d number has 10 digits after +86, not %d: digits after the number (an extension?) are not part of it, and a shorter one names no line", first(3), nd)
		case nd > 11:
			return fmt.Sprintf("a Chinese number has at most 11 digits after +86 (a 3-digit area code and 8 local digits), not %d: digits after the number (an extension?) are not part of it", nd)
		case nd == 11 && sevenDigitAreas[first(3)]:
			return "a Chinese fixed line of its area code has 7 local digits (10 digits after +86), not 8: digits after the number (an extension?) are not part of it"
		}
	}
	return ""
}

// sevenDigitAreas holds the 3-digit Chinese area codes (without the trunk
// 0) whose fixed lines have 7 local digits, none 8 (Xiamen 0592, Lanzhou
// 0931, Urumqi 0991…), as libphonenumber's metadata has them (checked by
// numbering's TestSevenDigitAreas): a number of such an area with 8 local
// digits is one of its lines with a digit written after it.
var sevenDigitAreas = func() (a [1000]bool) {
	for _, c := range []int{
		310, 312, 313, 314, 315, 316, 317, 318, 319, 335, 349, 350, 351, 352, 353, 354, 355, 356, 357, 358, 359,
		370, 372, 373, 374, 375, 376, 378, 391, 392, 393, 394, 395, 396, 398, 410, 412, 413, 414, 415, 416, 417,
		418, 419, 421, 427, 429, 434, 436, 437, 438, 439, 452, 453, 454, 455, 456, 457, 458, 459, 464, 467, 468,
		469, 470, 471, 472, 473, 474, 475, 476, 477, 478, 479, 482, 483, 530, 533, 534, 535, 536, 537, 538, 539,
		543, 546, 550, 552, 553, 554, 555, 556, 557, 558, 559, 561, 562, 563, 564, 566, 570, 572, 578, 580, 592,
		593, 594, 596, 597, 598, 599, 631, 632, 633, 634, 635, 660, 662, 663, 668, 691, 692, 701, 710, 711, 712,
		713, 714, 715, 716, 717, 718, 719, 722, 724, 728, 730, 734, 735, 736, 737, 738, 739, 743, 744, 745, 746,
		750, 751, 752, 753, 756, 758, 759, 762, 763, 766, 768, 770, 771, 772, 773, 774, 775, 776, 777, 778, 779,
		790, 792, 793, 794, 795, 796, 797, 798, 799, 812, 813, 816, 817, 818, 825, 826, 827, 830, 831, 832, 833,
		834, 835, 836, 837, 838, 839, 852, 853, 854, 855, 856, 857, 858, 859, 870, 872, 873, 874, 875, 876, 877,
		878, 879, 883, 886, 887, 888, 891, 892, 893, 894, 895, 896, 897, 901, 902, 903, 906, 908, 909, 911, 912,
		913, 914, 915, 916, 917, 919, 930, 931, 932, 933, 934, 935, 936, 937, 938, 939, 941, 943, 951, 952, 953,
		954, 955, 970, 971, 972, 973, 974, 975, 976, 977, 978, 979, 990, 991, 992, 993, 994, 995, 996, 997, 998,
		999,
	} {
		a[c] = true
	}
	return a
}()

// nsnPlans are the lengths of the national significant numbers of the
// plans the profiles uk, fr and au judge, from libphonenumber's metadata
// (checked by TestNSNPlans): for the country code cc, a national number
// whose first digit is in lead (a bit set of digits; 0: any) has min to
// max digits.
var nsnPlans = [...]struct {
	cc       int
	lead     uint16
	min, max int
	name     string
}{
	{44, 0, 7, 10, "a British (+44)"},
	{33, 0, 9, 9, "a French (+33)"},
	{262, 0, 9, 9, "a Réunion or Mayotte (+262)"},
	{590, 0, 9, 9, "a Guadeloupe, Saint-Martin or Saint-Barthélemy (+590)"},
	{594, 0, 9, 9, "a French Guiana (+594)"},
	{596, 0, 9, 9, "a Martinique (+596)"},
	// Geographic (2, 3, 7, 8) and mobile (4) numbers; the 1… service
	// numbers (13 xx xx, 1300, 1800…) have other lengths.
	{61, 1<<2 | 1<<3 | 1<<4 | 1<<7 | 1<<8, 9, 9, "an Australian (+61) geographic or mobile"},
}

// countryCodeLen returns the length of the assigned country calling code that
// starts the n-digit number v, or 0 if none does.
func countryCodeLen(v uint64, n int) int {
	for l := 1; l <= 3 && l < n; l++ {
		if assignedCC[v/decimal.Pow10[n-l]] {
			return l
		}
	}
	return 0
}

// leadingZeroCC holds the country calling codes whose national significant
// numbers may start with 0 (Italy's "+39 06…", Côte d'Ivoire's "+225 07…", the
// "+800" free-phone numbers…): the codes of the regions whose national number
// pattern admits a leading 0 in libphonenumber's metadata (checked by
// TestLeadingZeroCountryCodes). After any other code a 0 is a trunk prefix.
var leadingZeroCC = func() (a [1000]bool) {
	for _, c := range []uint64{
		39, 47, 62, 66, 81, 82, 91,
		225, 226, 227, 229, 241, 242, 247, 250, 267, 268,
		359, 378, 501, 507, 598, 676, 679, 687, 800, 853, 881, 888, 974, 992,
	} {
		a[c] = true
	}
	return a
}()

// assignedCC holds the ITU-T E.164 country calling codes in service
// (ITU-T Operational Bulletin list of assigned country codes), including the
// shared global codes 800, 808, 870, 878, 881, 882, 883 and 888.
var assignedCC = func() (a [1000]bool) {
	codes := []uint64{
		1, 7,
		20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49,
		51, 52, 53, 54, 55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86,
		90, 91, 92, 93, 94, 95, 98,
		211, 212, 213, 216, 218, 220, 221, 222, 223, 224, 225, 226, 227, 228, 229,
		230, 231, 232, 233, 234, 235, 236, 237, 238, 239, 240, 241, 242, 243, 244, 245,
		246, 247, 248, 249, 250, 251, 252, 253, 254, 255, 256, 257, 258, 260, 261, 262,
		263, 264, 265, 266, 267, 268, 269, 290, 291, 297, 298, 299,
		350, 351, 352, 353, 354, 355, 356, 357, 358, 359, 370, 371, 372, 373, 374, 375,
		376, 377, 378, 380, 381, 382, 383, 385, 386, 387, 389,
		420, 421, 423,
		500, 501, 502, 503, 504, 505, 506, 507, 508, 509,
		590, 591, 592, 593, 594, 595, 596, 597, 598, 599,
		670, 672, 673, 674, 675, 676, 677, 678, 679, 680, 681, 682, 683, 685, 686, 687,
		688, 689, 690, 691, 692,
		800, 808, 850, 852, 853, 855, 856, 870, 878, 880, 881, 882, 883, 886, 888,
		960, 961, 962, 963, 964, 965, 966, 967, 968, 970, 971, 972, 973, 974, 975, 976,
		977, 979, 992, 993, 994, 995, 996, 998,
	}
	for _, c := range codes {
		a[c] = true
	}
	return a
}()
