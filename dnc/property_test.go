package dnc

import (
	"context"
	"testing"

	"pgregory.net/rapid"

	"github.com/dialgate/dialgate"
)

// TestNeverForgets is the property of issue 9: across registry snapshots, the
// store-backed overlay and snapshot swaps, no number ever added is reported
// absent, and no number never added is reported listed.
func TestNeverForgets(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ctx := context.Background()
		st := newTestStore()
		// A tiny Bloom filter so false positives (confirmed by the store) happen.
		l, err := NewLists(ctx, st, ListsOptions{Capacity: 16, FalsePositiveRate: 0.2, CacheSize: 8})
		if err != nil {
			t.Fatal(err)
		}
		reg, _ := NewRegistry("reg")
		c, err := New(Config{}, l, reg)
		if err != nil {
			t.Fatal(err)
		}
		// Numbers from a few segments, so prefixes share blocks and runs.
		genNum := rapid.Custom(func(t *rapid.T) uint64 {
			seg := rapid.SampledFrom([]uint64{8613800138, 8613900139, 8618600186, 1212555}).Draw(t, "seg")
			return seg*10000 + rapid.Uint64Range(0, 9999).Draw(t, "suffix")
		})
		overlay := map[uint64]bool{}
		snap := map[uint64]bool{}
		if _, err := reg.Swap(snapOf(t, "reg", "", t0)); err != nil {
			t.Fatal(err)
		}
		check := func(v uint64) {
			n, err := dialgate.NumberFromUint64(v)
			if err != nil {
				t.Fatal(err)
			}
			rs, err := c.Check(ctx, dialgate.Dial{To: n, Purpose: dialgate.PurposeMarketing, At: t0})
			if err != nil {
				t.Fatal(err)
			}
			want := overlay[v] || snap[v]
			if got := len(rs) > 0; got != want {
				t.Fatalf("number %d: listed=%v, want %v (overlay %v, snapshot %v)", v, got, want, overlay[v], snap[v])
			}
		}
		t.Repeat(map[string]func(*rapid.T){
			"add": func(t *rapid.T) {
				v := genNum.Draw(t, "v")
				n, _ := dialgate.NumberFromUint64(v)
				if err := c.Add(ctx, Entry{Number: n, Scope: GlobalScope, List: "opt_out", AddedAt: t0}); err != nil {
					t.Fatal(err)
				}
				overlay[v] = true
				check(v)
			},
			"swap": func(t *rapid.T) {
				// The next registry copy: some old numbers dropped, some new ones.
				next := map[uint64]bool{}
				for v := range snap {
					if rapid.Bool().Draw(t, "keep") {
						next[v] = true
					}
				}
				for _, v := range rapid.SliceOfN(genNum, 0, 50).Draw(t, "new") {
					next[v] = true
				}
				vs := make([]uint64, 0, len(next))
				for v := range next {
					vs = append(vs, v)
				}
				if _, err := reg.Swap(snapOf(t, "reg", "", t0, vs...)); err != nil {
					t.Fatal(err)
				}
				snap = next
			},
			"rebuild": func(t *rapid.T) {
				if err := l.Rebuild(ctx); err != nil {
					t.Fatal(err)
				}
			},
			"check": func(t *rapid.T) { check(genNum.Draw(t, "v")) },
			"": func(t *rapid.T) {
				for v := range overlay {
					check(v)
				}
				for v := range snap {
					check(v)
				}
			},
		})
	})
}
