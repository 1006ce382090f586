package dnc

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/dialgate/dialgate"
)

// FuzzBuildSet fuzzes the build `dialgate dnc build` runs (BuildSet: the
// parse, chunks sorted and spilled to delta-encoded runs, the merge) with
// chunks small enough to spill: the set built holds exactly the numbers
// ParseList reads from the same lists, and its statistics are ParseList's.
func FuzzBuildSet(f *testing.F) {
	f.Add("+8613800138000\n+8613800138001\n+8613800138000\n+12125550100\n", "+447911123456\n+8613800138001\n", uint8(2))
	f.Add("+12125550100\n+12125550199\n+12125550101\n", "", uint8(1))
	f.Add("phone\n+33612345678\nbad\n", "#c\n+33612345679\n", uint8(3))
	f.Fuzz(func(t *testing.T, a, b string, chunk uint8) {
		if len(a)+len(b) > 1<<14 {
			return
		}
		var want []uint64
		var wst ParseStats
		for _, in := range []string{a, b} {
			st, err := ParseList(strings.NewReader(in), ParseOptions{}, func(n dialgate.Number) error {
				want = append(want, n.Uint64())
				return nil
			}, func(*LineError) error { return nil })
			if err != nil {
				return // a UTF-16 list: refused by both
			}
			wst.Lines += st.Lines
			wst.Numbers += st.Numbers
			wst.Bad += st.Bad
			wst.Skipped += st.Skipped
		}
		slices.Sort(want)
		want = slices.Compact(want)
		set, st, err := BuildSet(context.Background(), []Source{{"a", strings.NewReader(a)}, {"b", strings.NewReader(b)}},
			BuildOptions{ChunkNumbers: int(chunk%8) + 1, TempDir: t.TempDir(), Bad: func(string, *LineError) error { return nil }})
		if err != nil {
			t.Fatal(err)
		}
		if st.ParseStats != wst || st.Distinct != len(want) {
			t.Fatalf("stats %+v, ParseList's %+v and %d distinct", st, wst, len(want))
		}
		var got []uint64
		set.All(func(v uint64) bool { got = append(got, v); return true })
		if !slices.Equal(got, want) {
			t.Fatalf("set %v, ParseList read %v", got, want)
		}
		for _, v := range want {
			if !set.Contains(v) {
				t.Fatalf("%d built but not found", v)
			}
		}
	})
}
