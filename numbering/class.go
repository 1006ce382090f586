package numbering

import (
	"strconv"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/decimal"
)

// Class is the kind of a telephone number. The zero Class is ClassUnknown.
type Class uint8

// The number classes. Every class but ClassInternational is a +86 number.
const (
	// ClassUnknown is a +86 number that fits no known class (wrong length,
	// unassigned prefix, short codes such as 10086 or 12345), or the zero Number.
	ClassUnknown Class = iota
	// ClassMobile is an ordinary mobile number: 11 national digits starting
	// 13–19, not MVNO-only or satellite.
	ClassMobile
	// ClassMVNO is a mobile number of an MVNO-only network code: 170, 171, 162,
	// 165, 167.
	ClassMVNO
	// ClassSatellite is a satellite mobile number: 174, 1349, 1619.
	ClassSatellite
	// ClassFixed is a fixed line: area code (2 or 3 digits) and a 7- or 8-digit
	// local number whose first digit is 2–8.
	ClassFixed
	// Class95 is a national "95" customer-service code of 5 or 6 digits.
	Class95
	// Class96 is a provincial "96" customer-service code of 5 or 6 digits,
	// with or without an area code.
	Class96
	// Class400 is a 10-digit "400" shared-cost inbound number.
	Class400
	// Class800 is a 10-digit "800" free-phone inbound number.
	Class800
	// ClassSMSPort is a "106" SMS port, never a voice caller ID.
	ClassSMSPort
	// ClassInternational is a number outside +86.
	ClassInternational
)

var classNames = [...]string{
	ClassUnknown:       "unknown",
	ClassMobile:        "mobile",
	ClassMVNO:          "mvno",
	ClassSatellite:     "satellite",
	ClassFixed:         "fixed",
	Class95:            "95",
	Class96:            "96",
	Class400:           "400",
	Class800:           "800",
	ClassSMSPort:       "sms_port",
	ClassInternational: "international",
}

// String returns the class's short lower-case name ("mobile", "mvno", "fixed",
// "95", "400", "sms_port", "international", …).
func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return "Class(" + strconv.Itoa(int(c)) + ")"
}

// IsMobile reports whether c is a mobile class (ordinary, MVNO or satellite).
func (c Class) IsMobile() bool {
	return c == ClassMobile || c == ClassMVNO || c == ClassSatellite
}

// Segment is a number segment (号段): a block of 10,000 numbers that share all
// digits but the last four. For a Chinese mobile it is the first 7 national
// digits ("1380013"); for a Chinese fixed line the area code and the first 3 or
// 4 local digits ("010-5800"); for an international number the E.164 digits
// before the last four ("+1 212555"). Service codes (95, 96, 400, 800, 106) and
// unknown numbers have no segment.
//
// For a North American (NANP, +1) number of 10 national digits the segment is
// its NPA-NXX, the first 6 national digits ("+1 405555" for +1 405 555 0100):
// a central-office code of 10,000 line numbers, the NANP analogue of a 号段.
// Every such number has one, not only geographic ones: toll-free codes (800,
// 833, 844, 855, 866, 877, 888), N11 codes and codes outside the plan (an NPA
// or NXX starting 0 or 1) keep theirs. Dropping them would let a dialer count
// through, say, +1 800 555 0000…0099 unseen by the sweep checks, and the
// sequential-dialing ban those checks serve (15 O.S. §755.1(D)) is not limited
// to geographic numbers. A +1 number of another length has the generic
// international segment (its digits before the last four).
//
// Segment is a small comparable value: use it as a map key. The zero Segment is
// not valid and prints as "".
type Segment struct {
	v    uint64 // the segment's digits as an integer (no leading zeros)
	n    uint8  // number of digits; 0 for the zero Segment
	kind uint8  // segMobile, segFixed or segIntl
	ac   uint8  // area code length (fixed) or country code length (intl)
}

const (
	segMobile uint8 = 1 + iota
	segFixed
	segIntl
)

// IsValid reports whether s is a segment rather than the zero Segment.
func (s Segment) IsValid() bool { return s.n != 0 }

// Uint64 returns the segment's digits as an integer (1380013 for "1380013"),
// 0 for the zero Segment. Segments of different kinds may share a value; use
// the Segment itself as a key.
func (s Segment) Uint64() uint64 { return s.v }

// String returns "1380013" for a mobile segment, "010-5800" for a fixed-line
// segment (area code with its trunk 0), "+1 212555" for an international one,
// and "" for the zero Segment. The text never holds a whole callee number.
func (s Segment) String() string {
	if s.n == 0 {
		return ""
	}
	var buf [24]byte
	return string(s.AppendTo(buf[:0]))
}

// AppendTo appends the text form of s (see String) to b.
func (s Segment) AppendTo(b []byte) []byte {
	if s.n == 0 {
		return b
	}
	var d [20]byte
	digits := strconv.AppendUint(d[:0], s.v, 10)
	switch s.kind {
	case segFixed:
		b = append(b, '0')
		b = append(b, digits[:s.ac]...)
		b = append(b, '-')
		return append(b, digits[s.ac:]...)
	case segIntl:
		b = append(b, '+')
		b = append(b, digits[:s.ac]...)
		b = append(b, ' ')
		return append(b, digits[s.ac:]...)
	}
	return append(b, digits...)
}

// Next returns the segment that follows s: the next block of 10,000 numbers,
// of the same kind and digit count ("1380014" after "1380013", "010-5801"
// after "010-5800", "+1 405556" after "+1 405555"). The segment's numbers
// and the next one's are successive integers: a run of consecutive numbers
// may straddle the two (package sweep looks across the boundary). It
// returns the zero Segment for the zero Segment and when the next block
// would need one more digit. Next does not say whether the next block is
// in use.
func (s Segment) Next() Segment {
	if s.n == 0 || s.v+1 >= decimal.Pow10[s.n] {
		return Segment{}
	}
	s.v++
	return s
}

// Info is what Classify knows about a number. The zero Info describes an
// unknown number.
type Info struct {
	// Class is the number's kind.
	Class Class
	// Segment is the number's 号段; the zero Segment for service codes and
	// unknown numbers.
	Segment Segment
	// Suffix is the last four digits (the ABCD of a mobile number), 0–9999,
	// when Segment is valid; 0 otherwise.
	Suffix int
	// AreaCode is the area code with its trunk 0 ("010", "0755") for a fixed
	// line or a "96" code dialled with one; "" otherwise.
	AreaCode string
	// Network is the 3-digit mobile network code (138 for 138xxxxxxxx), 0 for
	// non-mobile numbers.
	Network int
}

// Classify tells what kind of number n is and which segment it belongs to. It
// is pure, does not allocate, and is safe for concurrent use. The zero Number
// is ClassUnknown; any number outside +86 is ClassInternational.
func Classify(n dialgate.Number) Info {
	if !n.IsValid() {
		return Info{}
	}
	if n.CountryCode() != 86 {
		return classifyIntl(n)
	}
	v, nd := n.NationalUint64()
	if nd < 4 {
		return Info{}
	}
	top := func(k int) uint64 { // the first k national digits
		if k > nd {
			return v
		}
		return v / decimal.Pow10[nd-k]
	}
	switch d1 := top(1); {
	case d1 == 0: // a national number never starts with 0 (that is the trunk prefix)
		return Info{}
	case d1 == 1:
		t3 := top(3)
		// +86 106… is ambiguous in E.164: a 10-digit one is a Beijing fixed
		// line (010-6xxx xxxx); any other length is an SMS port.
		if t3 == 106 && nd >= 8 && nd != 10 {
			return Info{Class: ClassSMSPort}
		}
		if t3 >= 130 && nd == 11 {
			return mobile(v, int(t3), top(4))
		}
		if t3/10 == 10 { // Beijing, area code 10
			return fixedOrCode(v, nd, 2)
		}
		return Info{}
	case d1 == 2:
		return fixedOrCode(v, nd, 2)
	case d1 == 4:
		if top(3) == 400 && nd == 10 {
			return Info{Class: Class400}
		}
	case d1 == 8:
		if top(3) == 800 && nd == 10 {
			return Info{Class: Class800}
		}
	case d1 == 9:
		switch t2 := top(2); {
		case t2 == 95 && (nd == 5 || nd == 6):
			return Info{Class: Class95}
		case t2 == 96 && (nd == 5 || nd == 6):
			return Info{Class: Class96}
		}
	}
	return fixedOrCode(v, nd, 3)
}

// mobile classifies an 11-digit number starting 13–19.
func mobile(v uint64, net int, t4 uint64) Info {
	c := ClassMobile
	switch {
	case net == 170 || net == 171 || net == 162 || net == 165 || net == 167:
		c = ClassMVNO
	case net == 174 || t4 == 1349 || t4 == 1619:
		c = ClassSatellite
	}
	return Info{
		Class:   c,
		Segment: Segment{v: v / 1e4, n: 7, kind: segMobile},
		Suffix:  int(v % 1e4),
		Network: net,
	}
}

// fixedOrCode classifies a number as an area code of acLen digits followed by a
// fixed-line local number or a "96" code.
func fixedOrCode(v uint64, nd, acLen int) Info {
	ll := nd - acLen // local digits
	if ll < 5 || ll > 8 {
		return Info{}
	}
	ac := v / decimal.Pow10[ll]
	local := v % decimal.Pow10[ll]
	area := areaCodes[ac]
	if area == "" {
		return Info{}
	}
	first := local / decimal.Pow10[ll-1]
	if ll <= 6 {
		if local/decimal.Pow10[ll-2] == 96 {
			return Info{Class: Class96, AreaCode: area}
		}
		return Info{}
	}
	if first < 2 || first > 8 {
		return Info{}
	}
	return Info{
		Class:    ClassFixed,
		Segment:  Segment{v: v / 1e4, n: uint8(nd - 4), kind: segFixed, ac: uint8(acLen)},
		Suffix:   int(v % 1e4),
		AreaCode: area,
	}
}

func classifyIntl(n dialgate.Number) Info {
	info := Info{Class: ClassInternational}
	digits := n.Len()
	cc := digits - nationalLen(n)
	if digits-4 > cc { // at least one national digit stays in the segment
		v := n.Uint64()
		info.Segment = Segment{v: v / 1e4, n: uint8(digits - 4), kind: segIntl, ac: uint8(cc)}
		info.Suffix = int(v % 1e4)
	}
	return info
}

func nationalLen(n dialgate.Number) int {
	_, nd := n.NationalUint64()
	return nd
}

// areaCodes maps a Chinese area code (without its trunk 0) to its text with the
// trunk 0, for the codes in use: 10 and 20–29 (two digits, 26 unassigned) and
// the three-digit codes 3xx–9xx. Three-digit codes are accepted by range: the
// plan has gaps, but a number in a gap is still a fixed-line shape, and
// classifying it as fixed is the cautious choice for the checks. 400 and 800
// are not in it: they are the 400 and 800 number prefixes, never area codes,
// and "+86 400 2345 6789" (a 400 number with a digit after it) classified as
// a fixed line would pass as a caller ID the inbound-only rule refuses.
var areaCodes = func() (a [1000]string) {
	a[10] = "010"
	for c := 20; c <= 29; c++ {
		if c != 26 {
			a[c] = "0" + strconv.Itoa(c)
		}
	}
	for c := 300; c <= 999; c++ {
		if c != 400 && c != 800 {
			a[c] = "0" + strconv.Itoa(c)
		}
	}
	return a
}()

// Digits returns the number of digits of s ("1380013": 7), 0 for the zero
// Segment.
func (s Segment) Digits() int { return int(s.n) }

// StrideSpan is the number of successive segments one StrideBlock holds.
const StrideSpan = 100_000_000

// StrideBlock names StrideSpan successive segments of one kind and digit
// count (Segment.Stride). It is a small comparable value: use it as a map
// key. The zero StrideBlock names no block.
type StrideBlock struct {
	hi   uint64 // the segment digits above the last 8 (after the offset)
	n    uint8
	kind uint8
	ac   uint8
}

// Stride returns where s lies among the segments of its kind and digit
// count, counted from off segments below it: block names the StrideSpan
// successive segments s lies in, and index is s's place in them, 0 to
// StrideSpan-1. Two segments of one block whose indexes are successive
// integers are successive blocks of 10,000 numbers (…0000 1234, …0001 1234):
// a dialer stepping through segments with one suffix makes successive
// indexes, which package sweep finds as a run. A segment of at most 8
// digits (a Chinese mobile or fixed-line segment, a North American NPA-NXX)
// has, with off 0, index equal to its digits and one block for its whole
// kind; a longer one's block boundaries are every StrideSpan segments, and
// a caller that must see runs across them looks again with off
// StrideSpan/2. The zero Segment returns the zero StrideBlock and 0.
func (s Segment) Stride(off uint64) (block StrideBlock, index int) {
	if s.n == 0 {
		return StrideBlock{}, 0
	}
	v := s.v + off
	return StrideBlock{hi: v / StrideSpan, n: s.n, kind: s.kind, ac: s.ac}, int(v % StrideSpan)
}

// AppendTo appends a text naming b to dst: its kind ("m" mobile, "f" fixed
// line, "i" international), digit count, code length and high digits
// ("m7.0.0"). It holds no whole number. The zero StrideBlock appends
// nothing.
func (b StrideBlock) AppendTo(dst []byte) []byte {
	if b.n == 0 {
		return dst
	}
	switch b.kind {
	case segMobile:
		dst = append(dst, 'm')
	case segFixed:
		dst = append(dst, 'f')
	default:
		dst = append(dst, 'i')
	}
	dst = strconv.AppendUint(dst, uint64(b.n), 10)
	dst = append(dst, '.')
	dst = strconv.AppendUint(dst, uint64(b.ac), 10)
	dst = append(dst, '.')
	return strconv.AppendUint(dst, b.hi, 10)
}

// SameKind reports whether s and o are valid segments of one kind and digit
// count (and code length): segments among which Next steps, so that their
// Uint64 values count successive blocks of 10,000 numbers.
func (s Segment) SameKind(o Segment) bool {
	return s.n != 0 && s.n == o.n && s.kind == o.kind && s.ac == o.ac
}
