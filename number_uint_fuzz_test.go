package dialgate_test

import (
	"errors"
	"strconv"
	"testing"

	"github.com/dialgate/dialgate"
)

// FuzzNumberFromUint64 checks that NumberFromUint64, the parser of the
// integer form registries and stores keep, never panics, refuses with an
// error wrapping ErrInvalidNumber, and accepts exactly what ParseNumber
// accepts written with "+": the same Number, whose Uint64 is the input.
func FuzzNumberFromUint64(f *testing.F) {
	for _, v := range []uint64{0, 1, 86, 8613800138000, 12125550100, 861058001234, 8601058001234, 390669812345,
		999999999999999, 1000000000000000, 18446744073709551615, 8001234567, 4479111234567} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v uint64) {
		n, err := dialgate.NumberFromUint64(v)
		p, perr := dialgate.ParseNumber("+" + strconv.FormatUint(v, 10))
		if err != nil {
			if !errors.Is(err, dialgate.ErrInvalidNumber) || n.IsValid() {
				t.Fatalf("NumberFromUint64(%d) = %v, %v", v, n, err)
			}
			if perr == nil {
				t.Fatalf("NumberFromUint64(%d): %v, but ParseNumber reads +%d as %v", v, err, v, p)
			}
			return
		}
		if perr != nil || p != n {
			t.Fatalf("NumberFromUint64(%d) = %v, ParseNumber: %v, %v", v, n, p, perr)
		}
		if n.Uint64() != v || n.Digits() != strconv.FormatUint(v, 10) {
			t.Fatalf("NumberFromUint64(%d) = %v: Uint64 %d, Digits %q", v, n, n.Uint64(), n.Digits())
		}
	})
}
