package numbering

import (
	"strings"
	"testing"

	"github.com/dialgate/dialgate"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		class   Class
		number  string
		segment string
		suffix  int
		area    string
		network int
	}{
		// ordinary mobiles, 13x–19x
		{ClassMobile, "+8613800138000", "1380013", 8000, "", 138},
		{ClassMobile, "+8613900139001", "1390013", 9001, "", 139},
		{ClassMobile, "+8619912340000", "1991234", 0, "", 199},
		{ClassMobile, "+8614500001234", "1450000", 1234, "", 145},
		{ClassMobile, "+8613489990001", "1348999", 1, "", 134}, // 134 but not 1349
		// MVNO-only network codes
		{ClassMVNO, "+8617000170001", "1700017", 1, "", 170},
		{ClassMVNO, "+8617112345678", "1711234", 5678, "", 171},
		{ClassMVNO, "+8616212345678", "1621234", 5678, "", 162},
		{ClassMVNO, "+8616512345678", "1651234", 5678, "", 165},
		{ClassMVNO, "+8616712345678", "1671234", 5678, "", 167},
		// satellite
		{ClassSatellite, "+8617400001234", "1740000", 1234, "", 174},
		{ClassSatellite, "+8613490001234", "1349000", 1234, "", 134},
		{ClassSatellite, "+8616190001234", "1619000", 1234, "", 161},
		// fixed lines: 2-digit and 3-digit area codes, 7 and 8 local digits
		{ClassFixed, "+861058001234", "010-5800", 1234, "010", 0},
		{ClassFixed, "+862161234567", "021-6123", 4567, "021", 0},
		{ClassFixed, "+8675523456789", "0755-2345", 6789, "0755", 0},
		{ClassUnknown, "+8675512345678", "", 0, "", 0}, // local number starts with 1
		{ClassFixed, "+863712345678", "0371-234", 5678, "0371", 0},
		{ClassFixed, "+869512345678", "0951-234", 5678, "0951", 0}, // Yinchuan: area code 951, not a 95 code
		{ClassFixed, "+861065521234", "010-6552", 1234, "010", 0},  // 10-digit 106… is Beijing
		// service codes
		{Class95, "+8695555", "", 0, "", 0},
		{Class95, "+86955888", "", 0, "", 0},
		{Class96, "+8696511", "", 0, "", 0},
		{Class96, "+8696123", "", 0, "", 0},
		{Class96, "+8657196123", "", 0, "0571", 0},
		{Class400, "+864001234567", "", 0, "", 0},
		{Class800, "+868008101234", "", 0, "", 0},
		{ClassSMSPort, "+8610690001", "", 0, "", 0},
		{ClassSMSPort, "+86106900012345", "", 0, "", 0},
		// international
		{ClassInternational, "+12125550100", "+1 212555", 100, "", 0},
		{ClassInternational, "+442071234567", "+44 207123", 4567, "", 0},
		{ClassInternational, "+85212345678", "+852 1234", 5678, "", 0},
		{ClassInternational, "+8521234", "", 0, "", 0}, // too short for a segment
		// unknown +86
		{ClassUnknown, "+8610086", "", 0, "", 0},       // carrier short code
		{ClassUnknown, "+8612345", "", 0, "", 0},       // government hotline
		{ClassUnknown, "+861380013800", "", 0, "", 0},  // 12-digit mobile shape
		{ClassUnknown, "+86138001380", "", 0, "", 0},   // 9... too short for a mobile
		{ClassUnknown, "+8612012345678", "", 0, "", 0}, // 12x is not a mobile network code
		{ClassUnknown, "+862612345678", "", 0, "", 0},  // area code 26 unassigned
		{ClassUnknown, "+861019001234", "", 0, "", 0},  // local number starts with 9
		{ClassUnknown, "+861010001234", "", 0, "", 0},  // local number starts with 1
		{ClassUnknown, "+864001234", "", 0, "", 0},     // short 400 shape
		// 400 and 800 are not area codes: a 400 or 800 number with a digit
		// written after it is no fixed line (as a caller ID it would pass
		// as one and escape the inbound-only rule).
		{ClassUnknown, "+8640023456789", "", 0, "", 0},
		{ClassUnknown, "+8680023456789", "", 0, "", 0},
		{ClassUnknown, "+86951234567890", "", 0, "", 0}, // too long
	}
	for _, tt := range tests {
		t.Run(tt.class.String()+"/"+tt.number, func(t *testing.T) {
			got := Classify(dialgate.MustParseNumber(tt.number))
			if got.Class != tt.class {
				t.Errorf("Class = %v, want %v", got.Class, tt.class)
			}
			if s := got.Segment.String(); s != tt.segment {
				t.Errorf("Segment = %q, want %q", s, tt.segment)
			}
			if got.Segment.IsValid() != (tt.segment != "") {
				t.Errorf("Segment.IsValid = %v", got.Segment.IsValid())
			}
			if got.Suffix != tt.suffix {
				t.Errorf("Suffix = %d, want %d", got.Suffix, tt.suffix)
			}
			if got.AreaCode != tt.area {
				t.Errorf("AreaCode = %q, want %q", got.AreaCode, tt.area)
			}
			if got.Network != tt.network {
				t.Errorf("Network = %d, want %d", got.Network, tt.network)
			}
		})
	}
}

// TestClassifyNANP pins the segment of North American (+1) numbers: the
// NPA-NXX (first 6 national digits) for every 10-digit number, geographic or
// not, so that the sweep checks (us-ok's sequential rule, 15 O.S. §755.1(D))
// see a count through any NXX. Numbers of other lengths keep the generic
// international segment (the digits before the last four).
func TestClassifyNANP(t *testing.T) {
	tests := []struct {
		name, number, segment string
		suffix                int
	}{
		// geographic: NPA and NXX start 2–9
		{"new york", "+12125550100", "+1 212555", 100},
		{"oklahoma city", "+14055550199", "+1 405555", 199},
		{"canada", "+16045550100", "+1 604555", 100},
		{"caribbean", "+18765550100", "+1 876555", 100},
		{"last of an nxx", "+19899999999", "+1 989999", 9999},
		{"first of an nxx", "+12002000000", "+1 200200", 0},
		// toll-free keeps its NPA-NXX: a run through it is still a run
		{"toll-free 800", "+18005550100", "+1 800555", 100},
		{"toll-free 833", "+18332220042", "+1 833222", 42},
		{"toll-free 888", "+18885550100", "+1 888555", 100},
		// N11 codes (not assigned as NPA or NXX) keep it too
		{"N11 as NPA", "+12115550100", "+1 211555", 100},
		{"N11 as NXX", "+12129110100", "+1 212911", 100},
		// outside the plan: NPA or NXX starting 0 or 1
		{"NPA starting 1", "+11125550100", "+1 112555", 100},
		{"NXX starting 1", "+12121550100", "+1 212155", 100},
		{"NXX starting 0", "+12120550100", "+1 212055", 100},
		// other lengths: the digits before the last four
		{"9 national digits", "+1212555010", "+1 21255", 5010},
		{"11 national digits", "+121255501001", "+1 2125550", 1001},
		{"5 national digits", "+121201", "+1 2", 1201},
		{"4 national digits", "+15550", "", 0}, // no national digit left for a segment
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := dialgate.MustParseNumber(tt.number)
			got := Classify(n)
			if got.Class != ClassInternational {
				t.Errorf("Class = %v, want international", got.Class)
			}
			if s := got.Segment.String(); s != tt.segment {
				t.Errorf("Segment = %q, want %q", s, tt.segment)
			}
			if got.Segment.IsValid() != (tt.segment != "") {
				t.Errorf("Segment.IsValid = %v", got.Segment.IsValid())
			}
			if got.Suffix != tt.suffix {
				t.Errorf("Suffix = %d, want %d", got.Suffix, tt.suffix)
			}
			if got.AreaCode != "" || got.Network != 0 {
				t.Errorf("AreaCode %q, Network %d: want none", got.AreaCode, got.Network)
			}
		})
	}
	// One NPA-NXX, one segment; the neighbouring NXX, a different one.
	a := Classify(dialgate.MustParseNumber("+14055550000")).Segment
	b := Classify(dialgate.MustParseNumber("+14055559999")).Segment
	c := Classify(dialgate.MustParseNumber("+14055560000")).Segment
	if a != b || a == c {
		t.Errorf("segments %v %v %v: want the first two equal, the third different", a, b, c)
	}
}

func TestClassifyZeroNumber(t *testing.T) {
	if got := Classify(dialgate.Number{}); got != (Info{}) {
		t.Fatalf("Classify(zero) = %+v, want zero Info", got)
	}
}

func TestSegmentsAreDistinct(t *testing.T) {
	// A mobile segment and a fixed or international segment with the same
	// digits must not compare equal.
	a := Classify(dialgate.MustParseNumber("+8613800138000")).Segment
	b := Classify(dialgate.MustParseNumber("+861380013800")).Segment // unknown, zero
	c := Classify(dialgate.MustParseNumber("+11380013000")).Segment
	if a == b || a == c {
		t.Fatalf("segments collide: %v %v %v", a, b, c)
	}
	same := Classify(dialgate.MustParseNumber("+8613800139999")).Segment
	if a != same {
		t.Fatalf("numbers of one 号段 have different segments: %v %v", a, same)
	}
}

func TestClassString(t *testing.T) {
	for c := ClassUnknown; c <= ClassInternational; c++ {
		if s := c.String(); s == "" || strings.HasPrefix(s, "Class(") {
			t.Errorf("Class %d has no name", c)
		}
	}
	if s := Class(200).String(); s != "Class(200)" {
		t.Errorf("Class(200).String() = %q", s)
	}
	if !ClassMVNO.IsMobile() || ClassFixed.IsMobile() {
		t.Error("IsMobile wrong")
	}
}

func FuzzClassify(f *testing.F) {
	for _, s := range []uint64{
		8613800138000, 861058001234, 8695555, 864001234567, 8610690001, 12125550100,
		862161234567, 8675523456789, 863712345678, 8657196123, 8617400001234, 8616190001234,
		8619212345678, 8614912345678, 86106900012345, 8612012345678, 442071234567,
		18005550100, 12119110100, 11125550100, 1212555010, 14055550199,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v uint64) {
		n, err := dialgate.NumberFromUint64(v)
		if err != nil {
			return
		}
		info := Classify(n)
		if info.Class > ClassInternational {
			t.Fatalf("class %d out of range", info.Class)
		}
		if (info.Class == ClassInternational) != (n.CountryCode() != 86) {
			t.Fatalf("%v: class %v for country code %d", n, info.Class, n.CountryCode())
		}
		nat, nd := n.NationalUint64()
		// Every 11-digit +86 number of network code 13x–19x is a mobile with
		// its 7-digit 号段: otherwise a sweep through it escapes the segment
		// checks, or a subscriber number passes as a business caller ID.
		isMobileShape := n.CountryCode() == 86 && nd == 11 && nat/1e8 >= 130 && nat/1e8 <= 199
		if info.Class.IsMobile() != isMobileShape {
			t.Fatalf("%v: class %v", n, info.Class)
		}
		if isMobileShape && (info.Network != int(nat/1e8) || info.Segment.Uint64() != nat/1e4 || len(info.Segment.String()) != 7) {
			t.Fatalf("%v: mobile network %d segment %v", n, info.Network, info.Segment)
		}
		if !info.Class.IsMobile() && info.Network != 0 {
			t.Fatalf("%v: class %v with network %d", n, info.Class, info.Network)
		}
		// Which classes have a segment.
		wantSeg := info.Class.IsMobile() || info.Class == ClassFixed ||
			(info.Class == ClassInternational && nd > 4)
		if info.Segment.IsValid() != wantSeg {
			t.Fatalf("%v: class %v segment %q", n, info.Class, info.Segment)
		}
		if info.Segment.IsValid() {
			if info.Suffix < 0 || info.Suffix > 9999 || uint64(info.Suffix) != n.Uint64()%1e4 {
				t.Fatalf("%v: suffix %d", n, info.Suffix)
			}
			// The segment is the number without its last four digits, and
			// its text spells exactly those digits (a fixed line's with the
			// trunk 0 of its area code).
			want := n.National()[:nd-4]
			switch info.Class {
			case ClassFixed:
				want = "0" + want
			case ClassInternational:
				want = n.Digits()[:n.Len()-4]
			}
			seg := info.Segment.String()
			if got := strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return r
				}
				return -1
			}, seg); got != want {
				t.Fatalf("%v: segment %q, want the digits %s", n, seg, want)
			}
			if info.Class == ClassFixed && !strings.HasPrefix(seg, info.AreaCode+"-") {
				t.Fatalf("%v: segment %q, area code %q", n, seg, info.AreaCode)
			}
			// Every number of the segment is in the same segment, with the
			// same class.
			for _, abcd := range []uint64{0, 1, 5000, 9998, 9999} {
				m, err := dialgate.NumberFromUint64(n.Uint64()/1e4*1e4 + abcd)
				if err != nil {
					t.Fatalf("%v: sibling %d: %v", n, abcd, err)
				}
				if mi := Classify(m); mi.Segment != info.Segment || mi.Class != info.Class || mi.Suffix != int(abcd) {
					t.Fatalf("%v and %v: segments %v (%v) and %v (%v)", n, m, info.Segment, info.Class, mi.Segment, mi.Class)
				}
			}
		} else if info.Suffix != 0 {
			t.Fatalf("%v: suffix without a segment", n)
		}
		// A 10-digit North American number, geographic or not (toll-free,
		// N11, outside the plan), has its NPA-NXX as segment.
		if n.CountryCode() == 1 && nd == 10 && (!info.Segment.IsValid() || info.Segment.String() != "+1 "+n.National()[:6]) {
			t.Fatalf("%v: NANP segment %q, want its NPA-NXX", n, info.Segment)
		}
		if info.Class.IsMobile() && (n.Len() != 13 || info.Network < 130 || info.Network > 199) {
			t.Fatalf("%v: mobile with network %d", n, info.Network)
		}
		if (info.AreaCode != "") != (info.Class == ClassFixed || (info.Class == Class96 && n.Len() > 8)) {
			t.Fatalf("%v: class %v area code %q", n, info.Class, info.AreaCode)
		}
	})
}

var sinkInfo Info

func BenchmarkClassify(b *testing.B) {
	nums := []dialgate.Number{
		dialgate.MustParseNumber("+8613800138000"),
		dialgate.MustParseNumber("+861058001234"),
		dialgate.MustParseNumber("+8675523456789"),
		dialgate.MustParseNumber("+12125550100"),
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		sinkInfo = Classify(nums[i&3])
	}
}

// Next is the following block of 10,000 numbers, of the same kind: the
// segment of the number one above the segment's last.
func TestSegmentNext(t *testing.T) {
	for _, tc := range []struct{ last, want string }{
		{"+8613800139999", "1380014"},
		{"+8613899999999", "1390000"},
		{"+861058009999", "010-5801"},
		{"+8675521239999", "0755-2124"},
		{"+14055559999", "+1 405556"},
		{"+447700909999", "+44 770091"},
	} {
		n := dialgate.MustParseNumber(tc.last)
		s := Classify(n).Segment
		got := s.Next()
		if got.String() != tc.want {
			t.Errorf("%s: Next of %s = %q, want %q", tc.last, s, got, tc.want)
		}
		after, err := dialgate.NumberFromUint64(n.Uint64() + 1)
		if err != nil {
			t.Fatal(err)
		}
		if a := Classify(after); a.Segment != got || a.Suffix != 0 {
			t.Errorf("%s: Next %v is not the segment of the number after it (%v, suffix %d)", tc.last, got, a.Segment, a.Suffix)
		}
	}
	if got := (Segment{}).Next(); got.IsValid() {
		t.Errorf("zero Segment: Next = %v", got)
	}
}

// Successive segments of one kind have successive stride indexes in one
// block (a stride sweep through them is a run); segments of other kinds or
// digit counts are in other blocks.
func TestSegmentStride(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"+8613800001234", "+8613800011234"}, // 1380000 → 1380001
		{"+8613899991234", "+8613900001234"}, // 1389999 → 1390000 (network boundary)
		{"+861058001234", "+861058011234"},
		{"+14055551234", "+14055561234"},
		{"+447700901234", "+447700911234"},
	} {
		sa := Classify(dialgate.MustParseNumber(tc.a)).Segment
		sb := Classify(dialgate.MustParseNumber(tc.b)).Segment
		ba, ia := sa.Stride(0)
		bb, ib := sb.Stride(0)
		if ba != bb || ib != ia+1 {
			t.Errorf("%s → %s: stride (%v, %d) → (%v, %d), want one block and successive indexes", sa, sb, ba, ia, bb, ib)
		}
		if ba == (StrideBlock{}) || len(ba.AppendTo(nil)) == 0 {
			t.Errorf("%s: zero block", sa)
		}
	}
	mob, _ := Classify(dialgate.MustParseNumber("+8613800001234")).Segment.Stride(0)
	fix, _ := Classify(dialgate.MustParseNumber("+861058001234")).Segment.Stride(0)
	nanp, _ := Classify(dialgate.MustParseNumber("+14055551234")).Segment.Stride(0)
	if mob == fix || mob == nanp || fix == nanp {
		t.Errorf("blocks of different kinds coincide: %v %v %v", mob, fix, nanp)
	}
	if string(mob.AppendTo(nil)) == string(fix.AppendTo(nil)) {
		t.Errorf("block texts coincide: %s", mob.AppendTo(nil))
	}
	// A long segment's block boundary is seen with the offset.
	long := Classify(dialgate.MustParseNumber("+491999999991234")).Segment
	if long.Digits() != 11 {
		t.Fatalf("%s: %d digits, want 11", long, long.Digits())
	}
	{
		b0, _ := long.Stride(0)
		b1, _ := long.Next().Stride(0)
		if b0 == b1 {
			t.Errorf("%s and its next in one block: want a block boundary between them", long)
		}
		h0, j0 := long.Stride(StrideSpan / 2)
		h1, j1 := long.Next().Stride(StrideSpan / 2)
		if h0 != h1 || j1 != j0+1 {
			t.Errorf("%s: offset strides (%v, %d) → (%v, %d) not successive", long, h0, j0, h1, j1)
		}
	}
	if b, i := (Segment{}).Stride(0); b != (StrideBlock{}) || i != 0 || len(b.AppendTo(nil)) != 0 {
		t.Errorf("zero Segment: Stride = %v, %d", b, i)
	}
}
