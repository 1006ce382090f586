package countstate

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
)

type genCfg struct {
	ids, keys, members int
	longStrings        bool
	maxLimits          int
	restoreKeys        int
	chunk              int
}

// TestWideDifferential widens TestMatchesReference's generator: long
// strings of many size classes, more ids/keys/members, restores of up to 5
// keys, Expire walked in small chunks. It runs 4 seeds per setting; a review
// ran 3,000 (≈ 150 s): DIALGATE_WIDE_SEEDS=3000 go test -run Wide ./storage/internal/countstate/
func TestWideDifferential(t *testing.T) {
	n := 4
	if v := os.Getenv("DIALGATE_WIDE_SEEDS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	cfgs := []genCfg{
		{ids: 300, keys: 12, members: 30, maxLimits: 4, restoreKeys: 3, chunk: ExpireChunk},
		{ids: 40, keys: 4, members: 60, maxLimits: 6, restoreKeys: 6, chunk: 1},
		{ids: 2000, keys: 50, members: 10, longStrings: true, maxLimits: 5, restoreKeys: 5, chunk: 3},
		{ids: 20, keys: 3, members: 3, longStrings: true, maxLimits: 3, restoreKeys: 4, chunk: 2},
	}
	steps := 3000
	if v := os.Getenv("DIALGATE_WIDE_STEPS"); v != "" {
		steps, _ = strconv.Atoi(v)
	}
	for ci, cfg := range cfgs {
		for seed := range uint64(n) {
			t.Run(fmt.Sprintf("%d/%d", ci, seed), func(t *testing.T) { wideRef(t, cfg, seed, steps) })
		}
	}
}

func wideRef(t *testing.T, cfg genCfg, seed uint64, steps int) {
	rnd := rand.New(rand.NewPCG(seed, 99))
	s, ref := NewTracked(), newRefTracked()
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	var tag uint64
	windows := []time.Duration{time.Nanosecond, time.Second, time.Minute, 5 * time.Minute, time.Hour, 3 * time.Hour}
	str := func(prefix string, i int) string {
		s := prefix + strconv.Itoa(i)
		if cfg.longStrings {
			// deterministic length per name, across many size classes
			l := (i*7919 + len(prefix)*31) % storage.MaxKeyLen
			if len(s) < l {
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
				m, co = ls[i].Member, ls[i].CheckOnly
			}
			ls = append(ls, storage.Limit{Key: key, Member: m, Window: windows[rnd.IntN(len(windows))], Max: 1 + rnd.IntN(40), CheckOnly: co})
		}
		return ls
	}
	id := func() string { return str("id", rnd.IntN(cfg.ids)) }
	sortF := func(f []Forgot) {
		slices.SortFunc(f, func(a, b Forgot) int {
			return strings.Compare(a.ID+"/"+strconv.FormatUint(a.Tag, 10), b.ID+"/"+strconv.FormatUint(b.Tag, 10))
		})
	}
	for step := range steps {
		switch rnd.IntN(4) {
		case 0:
			now = now.Add(time.Duration(rnd.IntN(120)) * time.Second)
		case 1:
			now = now.Add(-time.Duration(rnd.IntN(30)) * time.Second)
		}
		where := fmt.Sprintf("step %d", step)
		switch op := rnd.IntN(100); {
		case op < 50:
			tag++
			i, ls := id(), limits()
			ok1, u1, a1 := s.Reserve(i, tag, now, ls)
			ok2, u2, a2 := ref.Reserve(i, tag, now, ls)
			if ok1 != ok2 || a1 != a2 || !slices.Equal(u1, u2) {
				t.Fatalf("%s: Reserve mismatch: %v %+v %v, ref %v %+v %v", where, ok1, u1, a1, ok2, u2, a2)
			}
		case op < 62:
			tg := tag + 1
			if rnd.IntN(3) == 0 {
				tg = uint64(rnd.IntN(int(tag) + 1))
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
				t.Fatalf("%s: Release mismatch", where)
			}
		case op < 76:
			i, tg := id(), uint64(rnd.IntN(int(tag)+1))
			if d1, d2 := s.Drop(i, tg), ref.Drop(i, tg); d1 != d2 {
				t.Fatalf("%s: Drop mismatch", where)
			}
		case op < 88:
			ls := limits()
			if u1, u2 := s.Usage(now, ls), ref.Usage(now, ls); !slices.Equal(u1, u2) {
				t.Fatalf("%s: Usage(%+v) = %+v, ref %+v", where, ls, u1, u2)
			}
		case op < 92:
			at := now.Add(time.Duration(rnd.IntN(4)) * time.Hour)
			n1 := 0
			for from := 0; ; {
				n, next := s.ExpireSome(at, from, cfg.chunk)
				n1 += n
				if next < 0 {
					break
				}
				from = next
			}
			if n2 := ref.Expire(at); n1 != n2 {
				t.Fatalf("%s: Expire = %d, ref %d", where, n1, n2)
			}
		default:
			f1, f2 := s.Forgotten(), ref.Forgotten()
			sortF(f1)
			sortF(f2)
			if !slices.Equal(f1, f2) {
				t.Fatalf("%s: Forgotten = %v, ref %v", where, f1, f2)
			}
		}
		k1, r1 := s.Size()
		k2, r2 := ref.Size()
		if k1 != k2 || r1 != r2 {
			t.Fatalf("%s: Size %d,%d ref %d,%d", where, k1, r1, k2, r2)
		}
		if step%101 == 0 {
			checkInvariants(t, s)
		}
	}
	// every id agrees on Held
	for i := range cfg.ids {
		x := str("id", i)
		if s.Held(x) != ref.Held(x) {
			t.Fatalf("Held(%d) mismatch", i)
		}
	}
	checkInvariants(t, s)
}
