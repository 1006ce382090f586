package numbering

import (
	"fmt"
	"testing"

	"github.com/dialgate/dialgate"
)

func TestAssignedFixedLine(t *testing.T) {
	for _, tc := range []struct {
		n    string
		want bool
	}{
		{"+861058001234", true},   // Beijing, 8 local digits
		{"+86102345678", false},   // Beijing, 7
		{"+862158001234", true},   // Shanghai
		{"+86212345678", false},   // Shanghai, 7
		{"+8675523456789", true},  // Shenzhen, 8
		{"+867552345678", false},  // Shenzhen, 7
		{"+865922345678", true},   // Xiamen, 7
		{"+8659223456789", false}, // Xiamen, 8: a line with a digit after it
		{"+868512345678", true},   // Guiyang: 7 or 8
		{"+8685122345678", true},
		{"+863012345678", false}, // 0301: no such area code
		{"+8660023456789", false},
		{"+8626123456789", false}, // 026: not fixed (Classify)
		{"+8613800138000", false}, // mobile
		{"+864001234567", false},  // 400
		{"+8695566", false},       // 95
		{"+86961234", false},      // 96
		{"+861096123", false},     // 96 with an area code
		{"+12125550100", false},   // not +86
		{"+8610612345", false},    // SMS port
		{"+861069012345", true},   // Beijing 6901 2345 (the 10-digit 106 shape)
		{"+8657123456789", true},  // Hangzhou
		{"+865712345678", false},  // Hangzhou, 7
		{"+8631123456789", true},  // Shijiazhuang
		{"+8639123456789", false}, // Jiaozuo: 7 digits
		{"+863912345678", true},
	} {
		if got := AssignedFixedLine(dialgate.MustParseNumber(tc.n)); got != tc.want {
			t.Errorf("AssignedFixedLine(%s) = %v, want %v (class %v)", tc.n, got, tc.want, Classify(dialgate.MustParseNumber(tc.n)).Class)
		}
	}
	if AssignedFixedLine(dialgate.Number{}) {
		t.Error("the zero Number is an assigned fixed line")
	}
}

// TestAssignedFixedLineMatchesLibrary: the compiled metadata answers as
// the library does, for numbers of every area code Classify takes, of 7
// and 8 local digits, and at least one line of every area code the library
// has is assigned (so that a compile error cannot make every fixed-line
// caller ID invalid unseen).
func TestAssignedFixedLineMatchesLibrary(t *testing.T) {
	if !planFor(86).ok {
		t.Fatal("+86 metadata not compiled exactly: AssignedFixedLine falls back to the library")
	}
	areas := 0
	for _, ac := range append([]int{10, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29}, func() (a []int) {
		for c := 300; c <= 999; c++ {
			a = append(a, c)
		}
		return a
	}()...) {
		any := false
		for _, local := range []string{"2345678", "23456789", "5800123", "58001234", "8765432", "87654321", "6001234", "60012345"} {
			n := dialgate.MustParseNumber(fmt.Sprintf("+86%d%s", ac, local))
			got, want := AssignedFixedLine(n), Classify(n).Class == ClassFixed && assignedFixedLineLibrary(n)
			if got != want {
				t.Errorf("%s: AssignedFixedLine %v, library %v", n, got, want)
			}
			any = any || got
		}
		if any {
			areas++
		}
	}
	if areas < 300 {
		t.Errorf("only %d area codes with assigned lines: the metadata changed shape", areas)
	}
}

func TestAssignedFixedLineNoAlloc(t *testing.T) {
	n := dialgate.MustParseNumber("+8675523456789")
	AssignedFixedLine(n)
	if a := testing.AllocsPerRun(100, func() { AssignedFixedLine(n) }); a != 0 {
		t.Errorf("%v allocations a call", a)
	}
}

// FuzzAssignedFixedLine compares AssignedFixedLine with the library's own
// GetNumberType on any +86 number.
func FuzzAssignedFixedLine(f *testing.F) {
	for _, v := range []uint64{861058001234, 86102345678, 8675523456789, 865922345678, 8659223456789, 863012345678, 868512345678} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v uint64) {
		n, ok := cnNumber(v)
		if !ok {
			return
		}
		got := AssignedFixedLine(n)
		want := Classify(n).Class == ClassFixed && assignedFixedLineLibrary(n)
		if got != want {
			t.Fatalf("%s: AssignedFixedLine %v, library %v", n, got, want)
		}
	})
}

// cnNumber reads v as a +86 number: v itself when it starts with 86,
// otherwise +86 followed by v's digits (up to 13), so that the fuzzer's
// integers are Chinese numbers.
func cnNumber(v uint64) (dialgate.Number, bool) {
	if n, err := dialgate.NumberFromUint64(v); err == nil && n.CountryCode() == 86 {
		return n, true
	}
	v %= 1e13
	p := uint64(86)
	for x := v; x > 0; x /= 10 {
		p *= 10
	}
	n, err := dialgate.NumberFromUint64(p + v)
	return n, err == nil && n.CountryCode() == 86
}
