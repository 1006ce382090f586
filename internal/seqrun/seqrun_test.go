package seqrun

import "testing"

// A value held by several ids counts until the last of them is released,
// whatever the order of the releases.
func TestReleaseSharedValue(t *testing.T) {
	for _, order := range [][]string{{"a", "b", "c"}, {"c", "b", "a"}, {"b", "a", "c"}} {
		r := New[string](10, 0, 0, 100) // no run closes the key
		for _, id := range []string{"a", "b", "c"} {
			if _, ok := r.Add(id, "k", 10, 1); !ok {
				t.Fatalf("%s not recorded", id)
			}
		}
		if _, ok := r.Add("n", "k", 11, 1); !ok {
			t.Fatal("11 not recorded")
		}
		for i, id := range order {
			r.Release(id)
			want := 3 // 10, 11 and 12
			if i == len(order)-1 {
				want = 2 // 11 and 12
			}
			if n := r.Length("k", 12, 2); n != want {
				t.Fatalf("order %v, after releasing %s: length %d, want %d", order, id, n, want)
			}
		}
	}
}

// Values leave the window at their latest record, also when the key's
// oldest instant lags behind (a value recorded again later, another
// released).
func TestPruneAfterReRecord(t *testing.T) {
	r := New[string](5, 0, 0, 100)
	r.Add("a", "k", 10, 0)
	r.Add("b", "k", 11, 50)
	r.Add("c", "k", 10, 60) // 10 again: its instant becomes 60
	if n := r.Length("k", 9, 120); n != 3 {
		t.Fatalf("at 120: length %d, want 3 (9, 10 at 60, 11 at 50)", n)
	}
	if n := r.Length("k", 9, 155); n != 2 {
		t.Fatalf("at 155: length %d, want 2 (9, 10: 11 left at 150)", n)
	}
	if n := r.Length("k", 9, 160); n != 1 {
		t.Fatalf("at 160: length %d, want 1 (10 left at 160)", n)
	}
}

// A value recorded by a caller whose clock runs behind the key's oldest
// instant still leaves the window at its own instant.
func TestPruneCallerBehind(t *testing.T) {
	r := New[string](5, 0, 0, 100)
	r.Add("a", "k", 10, 100)
	r.Add("b", "k", 20, 50) // behind the key's oldest (100)
	if n := r.Length("k", 21, 140); n != 2 {
		t.Fatalf("at 140: length %d, want 2 (20 at 50 still in the window)", n)
	}
	if n := r.Length("k", 21, 155); n != 1 {
		t.Fatalf("at 155: length %d, want 1 (20 left at 150)", n)
	}
	if n := r.Length("k", 11, 155); n != 2 {
		t.Fatalf("at 155: length %d, want 2 (10 at 100 still in the window)", n)
	}
}

// TestReRecordedValueHoldsNoExpiredIDs: a number dialled again within
// every window (a callee called daily) never leaves the window, and each
// record added its id to the value's holders; ids whose records had left
// the window were forgotten by the Set but stayed in the value, so a
// long-running sidecar's memory grew by an id a dial for as long as the
// number kept being dialled. A value now holds only ids the Set still
// holds.
func TestReRecordedValueHoldsNoExpiredIDs(t *testing.T) {
	const hour = int64(3600e9)
	r := New[string](20, 2, 0, hour)
	for i := range 200 {
		id := "d" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		if _, ok := r.Add(id, "k", 1234, int64(i)*hour/2); !ok {
			t.Fatalf("record %d refused", i)
		}
	}
	st := r.keys["k"]
	i, found := st.find(1234)
	if !found {
		t.Fatal("1234 not held")
	}
	v := st.vals[i]
	if held := 1 + len(v.more); held > 8 {
		t.Fatalf("the value holds %d ids after 200 records half an hour apart; want only those of the last window and margin (≤ 8)", held)
	}
	for _, id := range append([]string{v.id}, v.more...) {
		if !r.Held(id) {
			t.Errorf("the value holds %s, which the Set no longer holds", id)
		}
	}
}
