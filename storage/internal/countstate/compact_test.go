package countstate

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
)

// checkInvariants fails t unless the records, free lists and tables of s
// agree with each other.
func checkInvariants(t *testing.T, s *State) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	memRefs := map[int32]int32{}
	resKeys := map[int32][]int32{}
	liveKeys := 0
	for i := range s.keys {
		k := int32(i)
		rec := s.keys[k]
		if rec.name == 0 {
			if rec.over != -1 || rec.one[0].Res != -1 {
				t.Fatalf("free key %d holds entries", k)
			}
			continue
		}
		liveKeys++
		name := string(s.strs.get(rec.name))
		if got := s.findKey(name); got != k {
			t.Fatalf("key %d (%q): index finds %d", k, name, got)
		}
		es := s.entries(k)
		if len(es) == 0 || (rec.over >= 0) != (len(es) > 1) {
			t.Fatalf("key %q: %d entries, over %d", name, len(es), rec.over)
		}
		members := int32(0)
		for j, e := range es {
			if j > 0 && es[j-1].At > e.At {
				t.Fatalf("key %q: entries out of order", name)
			}
			if e.Member >= 0 {
				members++
				memRefs[e.Member]++
			}
			if s.res[e.Res].id == 0 {
				t.Fatalf("key %q: entry of freed reservation %d", name, e.Res)
			}
			resKeys[e.Res] = append(resKeys[e.Res], k)
		}
		if members != rec.members {
			t.Fatalf("key %q: members %d, counted %d", name, rec.members, members)
		}
	}
	if liveKeys != s.nkeys || liveKeys != s.keyIdx.n || liveKeys+len(s.keyFree) != len(s.keys) {
		t.Fatalf("keys: %d live, nkeys %d, indexed %d, %d free of %d", liveKeys, s.nkeys, s.keyIdx.n, len(s.keyFree), len(s.keys))
	}
	liveRes := 0
	for i := range s.res {
		r := int32(i)
		if s.res[r].id == 0 {
			continue
		}
		liveRes++
		id := string(s.strs.get(s.res[r].id))
		if _, got := s.findRes(s.hash(id), id); got != r {
			t.Fatalf("reservation %d (%q): index finds %d", r, id, got)
		}
		have := s.resKeys(nil, r)
		want := resKeys[r]
		slices.Sort(have)
		slices.Sort(want)
		if len(have) == 0 || !slices.Equal(have, want) {
			t.Fatalf("reservation %q holds keys %v, has entries under %v", id, have, want)
		}
	}
	if liveRes != s.resIdx.n || liveRes+len(s.resFree) != len(s.res) {
		t.Fatalf("reservations: %d live, indexed %d, %d free of %d", liveRes, s.resIdx.n, len(s.resFree), len(s.res))
	}
	liveMems := 0
	for i, m := range s.mems {
		if m.name == 0 {
			continue
		}
		liveMems++
		name := string(s.strs.get(m.name))
		if got := s.findMember(name); got != int32(i) || m.refs != memRefs[int32(i)] {
			t.Fatalf("member %q: index finds %d, refs %d, entries %d", name, got, m.refs, memRefs[int32(i)])
		}
	}
	if liveMems != s.memIdx.n || liveMems != len(memRefs) || liveMems+len(s.memFree) != len(s.mems) {
		t.Fatalf("members: %d live, indexed %d, referenced %d, %d free of %d", liveMems, s.memIdx.n, len(memRefs), len(s.memFree), len(s.mems))
	}
	usedOver := 0
	for _, es := range s.over {
		if es != nil {
			usedOver++
		}
	}
	if usedOver+len(s.overFree) != len(s.over) {
		t.Fatalf("over: %d used, %d free of %d", usedOver, len(s.overFree), len(s.over))
	}
}

// Every operation on a State answers exactly as on the implementation it
// replaced (refState), over random sequences that mix reservations with and
// without members, several keys per reservation, check-only limits,
// restores (older tags included), releases, drops and expiry.
func TestMatchesReference(t *testing.T) {
	cfg := genCfg{ids: 300, keys: 12, members: 30, maxLimits: 4, restoreKeys: 2, chunk: ExpireChunk}
	for seed := range uint64(40) {
		t.Run(strconv.FormatUint(seed, 10), func(t *testing.T) { matchReference(t, cfg, seed, 3000) })
	}
}

// genCfg shapes matchReference's random operations.
type genCfg struct {
	ids, keys, members int  // how many distinct ids, keys and members it draws from
	longStrings        bool // names padded to lengths across the pool's size classes
	maxLimits          int  // limits per reservation, at most
	restoreKeys        int  // keys per restored reservation, at most
	chunk              int  // keys per ExpireSome step
}

func matchReference(t *testing.T, cfg genCfg, seed uint64, steps int) {
	rnd := rand.New(rand.NewPCG(seed, 7))
	s, ref := NewTracked(), newRefTracked()
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	var tag uint64
	expired := false
	windows := []time.Duration{time.Nanosecond, time.Second, time.Minute, 5 * time.Minute, time.Hour, 3 * time.Hour}
	str := func(prefix string, i int) string {
		s := prefix + strconv.Itoa(i)
		if cfg.longStrings {
			// A deterministic length per name, across many size classes.
			if l := (i*7919 + len(prefix)*31) % storage.MaxKeyLen; len(s) < l {
				s += strings.Repeat("x", l-len(s))
			}
		}
		return s
	}
	keyName := func() string { return str("k", rnd.IntN(cfg.keys)) }
	member := func() string {
		if rnd.IntN(3) == 0 {
			return ""
		}
		return str("m", rnd.IntN(cfg.members))
	}
	limits := func() []storage.Limit {
		var ls []storage.Limit
		for range 1 + rnd.IntN(cfg.maxLimits) {
			key := keyName()
			m, co := member(), rnd.IntN(6) == 0
			if i := slices.IndexFunc(ls, func(l storage.Limit) bool { return l.Key == key }); i >= 0 {
				m, co = ls[i].Member, ls[i].CheckOnly // as storage.ValidateLimits requires
			}
			ls = append(ls, storage.Limit{Key: key, Member: m, Window: windows[rnd.IntN(len(windows))], Max: 1 + rnd.IntN(40), CheckOnly: co})
		}
		return ls
	}
	id := func() string { return str("id", rnd.IntN(cfg.ids)) }
	for step := range steps {
		switch rnd.IntN(4) {
		case 0:
			now = now.Add(time.Duration(rnd.IntN(120)) * time.Second)
		case 1:
			now = now.Add(-time.Duration(rnd.IntN(30)) * time.Second) // out of order
		}
		where := fmt.Sprintf("step %d", step)
		switch op := rnd.IntN(100); {
		case op < 50:
			tag++
			i, ls := id(), limits()
			ok1, u1, a1 := s.Reserve(i, tag, now, ls)
			ok2, u2, a2 := ref.Reserve(i, tag, now, ls)
			if ok1 != ok2 || a1 != a2 || !slices.Equal(u1, u2) {
				t.Fatalf("%s: Reserve(%s, %+v) = %v %+v %v, reference %v %+v %v", where, i, ls, ok1, u1, a1, ok2, u2, a2)
			}
		case op < 60:
			tg := tag + 1
			if rnd.IntN(4) == 0 {
				tg = uint64(rnd.IntN(int(tag) + 1)) // an older record replayed late
			} else {
				tag++
			}
			i := id()
			var recs []Recorded
			for range rnd.IntN(cfg.restoreKeys + 1) {
				recs = append(recs, Recorded{Key: keyName(), Member: member(), Window: windows[rnd.IntN(len(windows))]})
			}
			at := now.Add(-time.Duration(rnd.IntN(3600)) * time.Second).UnixNano()
			s.Restore(i, tg, at, recs)
			ref.Restore(i, tg, at, recs)
		case op < 70:
			i := id()
			tg1, h1 := s.Release(i)
			tg2, h2 := ref.Release(i)
			if tg1 != tg2 || h1 != h2 {
				t.Fatalf("%s: Release(%s) = %d %v, reference %d %v", where, i, tg1, h1, tg2, h2)
			}
		case op < 75:
			i, tg := id(), uint64(rnd.IntN(int(tag)+1))
			if d1, d2 := s.Drop(i, tg), ref.Drop(i, tg); d1 != d2 {
				t.Fatalf("%s: Drop(%s, %d) = %v, reference %v", where, i, tg, d1, d2)
			}
		case op < 85:
			ls := limits()
			if u1, u2 := s.Usage(now, ls), ref.Usage(now, ls); !slices.Equal(u1, u2) {
				t.Fatalf("%s: Usage(%+v) = %+v, reference %+v", where, ls, u1, u2)
			}
		case op < 90:
			ids := []string{id(), id(), id()}
			tags := []uint64{uint64(rnd.IntN(int(tag) + 1)), tag, uint64(rnd.IntN(int(tag) + 1))}
			h1, h2 := make([]bool, 3), make([]bool, 3)
			s.HeldTags(ids, tags, h1)
			ref.HeldTags(ids, tags, h2)
			if !slices.Equal(h1, h2) {
				t.Fatalf("%s: HeldTags = %v, reference %v", where, h1, h2)
			}
		case op < 93:
			at := now.Add(time.Duration(rnd.IntN(4)) * time.Hour)
			n1 := 0
			for from := 0; from >= 0; {
				var n int
				n, from = s.ExpireSome(at, from, cfg.chunk)
				n1 += n
			}
			if n2 := ref.Expire(at); n1 != n2 {
				t.Fatalf("%s: Expire = %d, reference %d", where, n1, n2)
			}
			expired = true
		default:
			f1, f2 := s.Forgotten(), ref.Forgotten()
			if expired { // Expire walks the keys in another order
				cmp := func(a, b Forgot) int {
					return strings.Compare(a.ID+"/"+strconv.FormatUint(a.Tag, 10), b.ID+"/"+strconv.FormatUint(b.Tag, 10))
				}
				slices.SortFunc(f1, cmp)
				slices.SortFunc(f2, cmp)
			}
			if !slices.Equal(f1, f2) {
				t.Fatalf("%s: Forgotten = %v, reference %v", where, f1, f2)
			}
			expired = false
		}
		i := id()
		if s.Held(i) != ref.Held(i) {
			t.Fatalf("%s: Held(%s) = %v, reference %v", where, i, s.Held(i), ref.Held(i))
		}
		k1, r1 := s.Size()
		k2, r2 := ref.Size()
		if k1 != k2 || r1 != r2 {
			t.Fatalf("%s: Size = %d, %d; reference %d, %d", where, k1, r1, k2, r2)
		}
		if step%97 == 0 {
			checkInvariants(t, s)
		}
	}
	checkInvariants(t, s)
}

// Slots freed by a release or by expiry are reused by later reservations:
// the record slices, the string pages and the tables stay at their peak.
func TestFreeListReuse(t *testing.T) {
	s := NewTracked()
	t0 := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	reserve := func(from, n int, at time.Time) {
		for i := from; i < from+n; i++ {
			k := "callee|" + strconv.Itoa(1_000_000+i)
			ok, _, added := s.Reserve("dg-"+strconv.Itoa(1_000_000+i), uint64(i+1), at, []storage.Limit{
				{Key: k, Window: time.Minute, Max: 1}, {Key: k, Window: time.Hour, Max: 2},
				{Key: "seg|" + strconv.Itoa(100_000+i/10), Member: strconv.Itoa(1_000_000 + i), Window: time.Hour, Max: 100},
			})
			if !ok || !added {
				t.Fatalf("Reserve %d = %v, %v", i, ok, added)
			}
		}
	}
	reserve(0, 1000, t0)
	checkInvariants(t, s)
	nkeys, nres, nmems := len(s.keys), len(s.res), len(s.mems)
	pages := 0
	for _, c := range s.strs.classes {
		pages += len(c.pages)
	}
	for i := range 500 { // released
		if _, held := s.Release("dg-" + strconv.Itoa(1_000_000+i)); !held {
			t.Fatalf("Release %d: not held", i)
		}
	}
	if n := s.Expire(t0.Add(2 * time.Hour)); n != 1000 { // the other 500, under two keys each
		t.Fatalf("Expire removed %d entries, want 1000", n)
	}
	if keys, res := s.Size(); keys != 0 || res != 0 {
		t.Fatalf("Size = %d, %d after releasing and expiring all", keys, res)
	}
	if f := s.Forgotten(); len(f) != 500 {
		t.Fatalf("%d forgotten, want 500", len(f))
	}
	checkInvariants(t, s)
	reserve(5000, 1000, t0.Add(3*time.Hour))
	checkInvariants(t, s)
	after := 0
	for _, c := range s.strs.classes {
		after += len(c.pages)
	}
	if len(s.keys) != nkeys || len(s.res) != nres || len(s.mems) != nmems || after != pages {
		t.Fatalf("after reuse: %d keys, %d reservations, %d members, %d pages; before %d, %d, %d, %d",
			len(s.keys), len(s.res), len(s.mems), after, nkeys, nres, nmems, pages)
	}
}

// A key's members are counted distinctly through their interned indexes:
// one string per member however many entries carry it, dropped with the
// last entry, and a limit's member not present is never matched.
func TestInternedMembers(t *testing.T) {
	s := New()
	t0 := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	seg := func(m string) []storage.Limit {
		return []storage.Limit{{Key: "seg", Member: m, Window: time.Hour, Max: 2}}
	}
	for i, m := range []string{"a", "b", "a", "a"} {
		ok, _, _ := s.Reserve("r"+strconv.Itoa(i), 0, t0.Add(time.Duration(i)*time.Minute), seg(m))
		if !ok {
			t.Fatalf("reservation %d of %q refused: a and b are two members", i, m)
		}
	}
	if len(s.mems) != 2 || s.memIdx.n != 2 || s.mems[0].refs != 3 || s.mems[1].refs != 1 {
		t.Fatalf("members %+v; want a (3 refs) and b (1 ref)", s.mems)
	}
	if ok, us, _ := s.Reserve("r9", 0, t0.Add(5*time.Minute), seg("c")); ok || us[0].Count != 2 || !us[0].NextAt.Equal(t0.Add(time.Hour+time.Minute)) {
		t.Fatalf("a third member: ok %v, usage %+v; want refused, 2 counted, next at 10:01 (when b leaves)", ok, us)
	}
	if u := s.Usage(t0.Add(5*time.Minute), seg("")); !u[0].Exceeded || u[0].Count != 2 {
		t.Fatalf("no member: %+v; want exceeded at 2", u[0])
	}
	s.Release("r1") // b's only entry
	if s.memIdx.n != 1 || s.findMember("b") != -2 || s.findMember("a") != 0 {
		t.Fatalf("after releasing b: %d members interned", s.memIdx.n)
	}
	if ok, us, _ := s.Reserve("r10", 0, t0.Add(6*time.Minute), seg("c")); !ok || us[0].Count != 1 {
		t.Fatalf("c after b left: ok %v, %+v", ok, us)
	}
	checkInvariants(t, s)
}

// The hash table stays exact when every string hashes alike (one probe run),
// through insertions and backward-shift removals in any order.
func TestTableCollisions(t *testing.T) {
	var tb table
	names := map[int32]string{}
	eq := func(s string) func(int32) bool { return func(i int32) bool { return names[i] == s } }
	rnd := rand.New(rand.NewPCG(1, 2))
	live := map[string]int32{}
	for i := range int32(2000) {
		if rnd.IntN(3) == 0 && len(live) > 0 {
			for s, idx := range live {
				if !tb.remove(uint32(idx%4)*0x10000, idx) {
					t.Fatalf("remove %q failed", s)
				}
				delete(live, s)
				break
			}
			continue
		}
		h := uint32(i%4) * 0x10000 // few distinct hashes, colliding homes
		s := "s" + strconv.Itoa(int(i))
		names[i] = s
		pos, got := tb.find(h, eq(s))
		if got >= 0 {
			t.Fatalf("%q found before insertion", s)
		}
		tb.insert(pos, h, i)
		live[s] = i
		for s, idx := range live {
			if _, got := tb.find(uint32(idx%4)*0x10000, eq(s)); got != idx {
				t.Fatalf("after %d: %q finds %d, want %d", i, s, got, idx)
			}
		}
	}
	if tb.n != len(live) {
		t.Fatalf("n = %d, %d live", tb.n, len(live))
	}
}

// Strings of every length up to storage.MaxKeyLen come back as stored, and a
// freed slot is reused.
func TestStrPool(t *testing.T) {
	var p strPool
	refs := map[sref]string{}
	for n := 0; n <= storage.MaxKeyLen; n += 1 + n/7 {
		s := strings.Repeat(string(rune('a'+n%26)), n)
		refs[p.put(s)] = s
	}
	for r, s := range refs {
		if got := string(p.get(r)); got != s {
			t.Fatalf("get = %q, want %q", got, s)
		}
	}
	r := p.put("dg-0123456789abcdef-1")
	p.free(r)
	if r2 := p.put("dg-0123456789abcdef-2"); r2 != r || string(p.get(r2)) != "dg-0123456789abcdef-2" {
		t.Fatalf("freed slot not reused: %x, %x", r, r2)
	}
}

// counters is what the benchmarks need of a State or a refState.
type counters interface {
	Reserve(id string, tag uint64, t time.Time, limits []storage.Limit) (bool, []storage.Usage, bool)
	Size() (keys, reservations int)
}

// BenchmarkHeld compares the State with the implementation it replaced
// (old), alternating, on n reservations of distinct callees under the cn
// caps (three windows on one key; "+segment": and a 号段 key of 64 numbers
// counted by member, one hour): Reserve throughput, heap per held
// reservation, and how long a full garbage collection takes with them held
// (the median of five, with nothing else of note on the heap):
//
//	go test -run '^$' -bench Held -benchtime 1x ./storage/internal/countstate/
func BenchmarkHeld(b *testing.B) {
	const n = 1_000_000
	for _, segment := range []bool{false, true} {
		for _, impl := range []string{"old", "new", "old", "new"} {
			name := impl
			if segment {
				name += "+segment"
			}
			b.Run(name, func(b *testing.B) {
				for b.Loop() {
					benchHeld(b, impl, n, segment)
				}
			})
		}
	}
}

func benchHeld(b *testing.B, impl string, n int, segment bool) {
	t0 := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	ids, limits := make([]string, n), make([][]storage.Limit, n)
	for i := range n {
		num := strconv.Itoa(13_800_000_000 + i)
		ids[i] = "frequency:dg-0123456789abcdef-" + strconv.Itoa(i)
		k := "frequency|+86" + num + "|cap|callee|"
		limits[i] = []storage.Limit{
			{Key: k, Window: 5 * time.Minute, Max: 1},
			{Key: k, Window: 24 * time.Hour, Max: 2},
			{Key: k, Window: 30 * 24 * time.Hour, Max: 10},
		}
		if segment {
			limits[i] = append(limits[i], storage.Limit{Key: "segment|" + strconv.Itoa(i/64), Member: "+86" + num, Window: time.Hour, Max: 64})
		}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var c counters
	if impl == "old" {
		c = newRefTracked()
	} else {
		c = NewTracked()
	}
	start := time.Now()
	for i := range n {
		if ok, _, _ := c.Reserve(ids[i], uint64(i+1), t0.Add(time.Duration(i)*time.Millisecond), limits[i]); !ok {
			b.Fatalf("Reserve %d refused", i)
		}
	}
	elapsed := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(ids) // in the heap until after (and before) were read
	runtime.KeepAlive(limits)
	ids, limits = nil, nil // time the collection of the index alone
	runtime.GC()
	gcs := make([]time.Duration, 5)
	for i := range gcs {
		t1 := time.Now()
		runtime.GC()
		gcs[i] = time.Since(t1)
	}
	slices.Sort(gcs)
	if _, held := c.Size(); held != n {
		b.Fatalf("%d held, want %d", held, n)
	}
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(n), "ns/reserve")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "heap-B/reservation")
	b.ReportMetric(float64(gcs[2].Microseconds())/1000, "ms/GC")
	runtime.KeepAlive(c)
}

// Restore refuses a string longer than MaxString before it changes anything
// (the stores refuse such journal records as damage first): the index is
// left as it was, and consistent.
func TestRestoreTooLongStringChangesNothing(t *testing.T) {
	s := NewTracked()
	s.Restore("a", 1, 0, []Recorded{{Key: "k", Window: time.Hour}})
	long := strings.Repeat("m", MaxString+1)
	for _, rec := range [][]Recorded{
		{{Key: "k2", Member: long, Window: time.Hour}},
		{{Key: "k3", Window: time.Hour}, {Key: long, Window: time.Hour}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Fatal("Restore of a string longer than MaxString did not refuse it")
				}
			}()
			s.Restore("b", 2, 0, rec)
		}()
	}
	if keys, res := s.Size(); keys != 1 || res != 1 {
		t.Fatalf("Size after refused restores = %d keys, %d reservations; want 1, 1", keys, res)
	}
	checkInvariants(t, s)
}
