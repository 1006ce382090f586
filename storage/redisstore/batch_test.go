package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/redisstore"
)

// batchLog records the batches a Store sends and can hold them back.
type batchLog struct {
	mu      sync.Mutex
	batches [][]string
	gate    chan struct{} // non-nil: the next batch waits until it is closed
}

// watchBatches records s's batches; call it before the first Reserve.
func watchBatches(s *redisstore.Store) *batchLog {
	b := &batchLog{}
	redisstore.OnBatch(s, func(ids []string) {
		b.mu.Lock()
		b.batches = append(b.batches, ids)
		g := b.gate
		b.mu.Unlock()
		if g != nil {
			<-g
		}
	})
	return b
}

// hold makes batches wait from now on.
func (b *batchLog) hold() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.gate = make(chan struct{})
}

// release lets the waiting batch go; with again, the next one waits.
func (b *batchLog) release(again bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	close(b.gate)
	b.gate = nil
	if again {
		b.gate = make(chan struct{})
	}
}

func (b *batchLog) sent() [][]string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.batches)
}

// waitBatches waits until n batches have been sent (or are held).
func (b *batchLog) waitBatches(t *testing.T, n int) {
	t.Helper()
	if !waitFor(func() bool { return len(b.sent()) >= n }) {
		t.Fatalf("%d batches sent, want %d", len(b.sent()), n)
	}
}

// waitQueued waits until n reservations wait for a batch.
func waitQueued(t *testing.T, s *redisstore.Store, n int) {
	t.Helper()
	if !waitFor(func() bool { return redisstore.Queued(s) == n }) {
		t.Fatalf("%d reservations queued, want %d", redisstore.Queued(s), n)
	}
}

type reserveResult struct {
	ok  bool
	u   []storage.Usage
	err error
}

// goReserve runs Reserve in a goroutine and returns its result's channel.
func goReserve(ctx context.Context, s storage.Counters, id string, at time.Time, limits ...storage.Limit) <-chan reserveResult {
	c := make(chan reserveResult, 1)
	go func() {
		ok, u, err := s.Reserve(ctx, id, at, limits)
		c <- reserveResult{ok, u, err}
	}()
	return c
}

// held is a set of sentinel reservations whose calls are held in flight, as
// many as a Store makes at once, so that the reservations made next queue.
type held struct {
	cs   []<-chan reserveResult
	next int // index in batchLog.sent of the first batch after the sentinels'
}

// startHeld holds batches from now on and sends the sentinels.
func startHeld(t *testing.T, s *redisstore.Store, b *batchLog) *held {
	t.Helper()
	n := len(b.sent())
	b.hold()
	h := &held{next: n + redisstore.BatchesInFlight}
	for i := range redisstore.BatchesInFlight {
		h.cs = append(h.cs, goReserve(context.Background(), s, "sentinel-"+strconv.Itoa(i), batchT0,
			storage.Limit{Key: "sentinel", Window: time.Hour, Max: 1000}))
		b.waitBatches(t, n+i+1)
	}
	return h
}

// wait waits for the sentinels, which must succeed.
func (h *held) wait(t *testing.T) {
	t.Helper()
	for _, c := range h.cs {
		if r := <-c; r.err != nil || !r.ok {
			t.Fatalf("sentinel: %+v", r)
		}
	}
}

var batchT0 = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

// 64 reservations for one key in one batch get exactly the cap, and the
// last free slot goes to exactly one of them.
func TestBatchExactCap(t *testing.T) {
	url := redisURL(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name       string
		max, taken int
	}{{"cap 5", 5, 0}, {"last slot", 3, 2}} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, url, newPrefix(t, url))
			b := watchBatches(s)
			l := storage.Limit{Key: "callee", Window: 24 * time.Hour, Max: tc.max}
			for i := range tc.taken {
				if ok, _, err := s.Reserve(ctx, "pre-"+strconv.Itoa(i), batchT0.Add(-time.Hour), []storage.Limit{l}); err != nil || !ok {
					t.Fatalf("pre-fill: %v, %v", ok, err)
				}
			}
			h := startHeld(t, s, b)
			var cs []<-chan reserveResult
			for i := range 63 {
				cs = append(cs, goReserve(ctx, s, "r-"+strconv.Itoa(i), batchT0.Add(time.Duration(i)*time.Millisecond), l))
			}
			waitQueued(t, s, 63)
			b.release(false)
			h.wait(t)
			won := 0
			for _, c := range cs {
				r := <-c
				if r.err != nil {
					t.Fatal(r.err)
				}
				if r.ok {
					won++
				} else if !r.u[0].Exceeded || r.u[0].Count != tc.max {
					t.Errorf("denied with usage %+v, want count %d, exceeded", r.u[0], tc.max)
				}
			}
			if want := tc.max - tc.taken; won != want {
				t.Errorf("%d of 63 won, want %d", won, want)
			}
			if bs := b.sent(); len(bs) != h.next+1 || len(bs[h.next]) != 63 {
				t.Errorf("batch sizes %v, want %d pre-fills, %d sentinels, then one of 63", batchSizes(bs), tc.taken, len(h.cs))
			}
			u, err := s.Usage(ctx, batchT0.Add(time.Second), []storage.Limit{l})
			if err != nil || u[0].Count != tc.max {
				t.Errorf("usage after = %+v, %v; want count %d", u, err, tc.max)
			}
		})
	}
}

func batchSizes(bs [][]string) []int {
	n := make([]int, len(bs))
	for i, b := range bs {
		n[i] = len(b)
	}
	return n
}

// The same id twice in one batch: the first reserves, the second finds it
// held (ok, and its usage includes the first); a third id behind them is
// refused the slot they took.
func TestBatchDuplicateID(t *testing.T) {
	url := redisURL(t)
	s := open(t, url, newPrefix(t, url))
	b := watchBatches(s)
	ctx := context.Background()
	l := storage.Limit{Key: "callee", Window: time.Hour, Max: 1}
	h := startHeld(t, s, b)
	first := goReserve(ctx, s, "dup", batchT0, l)
	waitQueued(t, s, 1)
	second := goReserve(ctx, s, "dup", batchT0, l)
	waitQueued(t, s, 2)
	other := goReserve(ctx, s, "other", batchT0, l)
	waitQueued(t, s, 3)
	b.release(false)
	h.wait(t)
	if r := <-first; r.err != nil || !r.ok || r.u[0].Count != 0 {
		t.Errorf("first = %+v, want ok on an empty window", r)
	}
	if r := <-second; r.err != nil || !r.ok || r.u[0].Count != 1 {
		t.Errorf("second = %+v, want ok (held) counting the first", r)
	}
	if r := <-other; r.err != nil || r.ok || !r.u[0].Exceeded {
		t.Errorf("other = %+v, want refused", r)
	}
	if bs := b.sent(); len(bs) != h.next+1 || !slices.Equal(bs[h.next], []string{"dup", "dup", "other"}) {
		t.Errorf("batches %v, want the sentinels', then [dup dup other]", bs)
	}
	if u, err := s.Usage(ctx, batchT0, []storage.Limit{l}); err != nil || u[0].Count != 1 {
		t.Errorf("usage after = %+v, %v; want 1", u, err)
	}
}

// A check-only limit in a batch is checked on the state the reservations
// before it left: a dial before a conversation is granted, one after it is
// refused, and neither records under the check-only key.
func TestBatchCheckOnly(t *testing.T) {
	url := redisURL(t)
	s := open(t, url, newPrefix(t, url))
	b := watchBatches(s)
	ctx := context.Background()
	caps := storage.Limit{Key: "callee", Window: time.Hour, Max: 10}
	pause := storage.Limit{Key: "pause", Window: time.Hour, Max: 1, CheckOnly: true}
	conv := storage.Limit{Key: "pause", Window: time.Hour, Max: 1 << 20}
	h := startHeld(t, s, b)
	before := goReserve(ctx, s, "before", batchT0, caps, pause)
	waitQueued(t, s, 1)
	conversation := goReserve(ctx, s, "conversation", batchT0, conv)
	waitQueued(t, s, 2)
	after := goReserve(ctx, s, "after", batchT0, caps, pause)
	waitQueued(t, s, 3)
	b.release(false)
	h.wait(t)
	if r := <-before; r.err != nil || !r.ok || r.u[1].Count != 0 {
		t.Errorf("before = %+v, want ok, the pause key empty", r)
	}
	if r := <-conversation; r.err != nil || !r.ok || r.u[0].Count != 0 {
		t.Errorf("conversation = %+v, want ok, nothing recorded under the pause key before it", r)
	}
	if r := <-after; r.err != nil || r.ok || r.u[0].Exceeded || !r.u[1].Exceeded || r.u[1].Count != 1 {
		t.Errorf("after = %+v, want refused by the check-only limit", r)
	}
	if bs := b.sent(); len(bs) != h.next+1 || !slices.Equal(bs[h.next], []string{"before", "conversation", "after"}) {
		t.Errorf("batches %v, want the sentinels', then [before conversation after]", bs)
	}
	u, err := s.Usage(ctx, batchT0, []storage.Limit{caps, pause})
	if err != nil || u[0].Count != 1 || u[1].Count != 1 {
		t.Errorf("usage after = %+v, %v; want 1 call, 1 conversation", u, err)
	}
}

// A caller whose context ends while it is queued returns at once and is
// never sent; one whose context ends while its batch is in flight returns at
// once too, and the others of the batch get their replies.
func TestBatchCallerCancelled(t *testing.T) {
	url := redisURL(t)
	s := open(t, url, newPrefix(t, url))
	b := watchBatches(s)
	ctx := context.Background()
	la := storage.Limit{Key: "a", Window: time.Hour, Max: 1}
	lb := storage.Limit{Key: "b", Window: time.Hour, Max: 1}
	lc := storage.Limit{Key: "c", Window: time.Hour, Max: 1}

	h := startHeld(t, s, b)
	actx, cancelA := context.WithCancel(ctx)
	defer cancelA()
	a := goReserve(actx, s, "a", batchT0, la)
	waitQueued(t, s, 1)
	bres := goReserve(ctx, s, "b", batchT0, lb)
	waitQueued(t, s, 2)
	cctx, cancelC := context.WithCancel(ctx)
	defer cancelC()
	c := goReserve(cctx, s, "c", batchT0, lc)
	waitQueued(t, s, 3)

	// c gives up while queued.
	cancelC()
	select {
	case r := <-c:
		if r.ok || !errors.Is(r.err, context.Canceled) || !errors.Is(r.err, storage.ErrUnavailable) {
			t.Errorf("queued, cancelled: %+v; want context.Canceled and storage.ErrUnavailable", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a queued caller did not return when its context was cancelled")
	}
	waitQueued(t, s, 2)

	// Let the sentinels go; hold the batch {a, b} in flight; a gives up.
	b.release(true)
	h.wait(t)
	b.waitBatches(t, h.next+1)
	cancelA()
	select {
	case r := <-a:
		if r.ok || !errors.Is(r.err, context.Canceled) {
			t.Errorf("in flight, cancelled: %+v; want context.Canceled", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a caller did not return when its context was cancelled while its batch was in flight")
	}
	b.release(false)
	if r := <-bres; r.err != nil || !r.ok {
		t.Errorf("b (same batch as the cancelled a) = %+v, want ok", r)
	}
	if bs := b.sent(); len(bs) != h.next+1 || !slices.Equal(bs[h.next], []string{"a", "b"}) {
		t.Errorf("batches %v, want the sentinels', then [a b] (c never sent)", bs)
	}
	if u, err := s.Usage(ctx, batchT0, []storage.Limit{lc}); err != nil || u[0].Count != 0 {
		t.Errorf("usage of c = %+v, %v; want 0 (never sent)", u, err)
	}
	// The store still works.
	if ok, _, err := s.Reserve(ctx, "c2", batchT0, []storage.Limit{lc}); err != nil || !ok {
		t.Errorf("reserve after: %v, %v", ok, err)
	}
}

// When every caller of a batch in flight has given up, the batch's call is
// cancelled and the next batch goes.
func TestBatchAllCallersCancelled(t *testing.T) {
	url := redisURL(t)
	s := open(t, url, newPrefix(t, url))
	b := watchBatches(s)
	ctx := context.Background()
	l := storage.Limit{Key: "k", Window: time.Hour, Max: 10}
	h := startHeld(t, s, b)
	cctx, cancel := context.WithCancel(ctx)
	a := goReserve(cctx, s, "a", batchT0, l)
	waitQueued(t, s, 1)
	b.release(true)
	h.wait(t)
	b.waitBatches(t, h.next+1) // {a} in flight
	cancel()
	if r := <-a; r.ok || !errors.Is(r.err, context.Canceled) {
		t.Fatalf("cancelled: %+v", r)
	}
	b.release(false)
	if ok, _, err := s.Reserve(ctx, "b", batchT0, []storage.Limit{l}); err != nil || !ok {
		t.Fatalf("next reserve: %v, %v", ok, err)
	}
}

// Redis unreachable or the store closed while a batch waits: every caller of
// the batch, and of the batches queued behind it, gets an error.
func TestBatchFailureFailsEveryCaller(t *testing.T) {
	url := redisURL(t)
	for _, how := range []string{"connection lost", "store closed"} {
		t.Run(how, func(t *testing.T) {
			px, purl := newProxy(t, url)
			s := open(t, purl, newPrefix(t, url))
			b := watchBatches(s)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			l := storage.Limit{Key: "k", Window: time.Hour, Max: 100}
			// Warm the script cache and the connection pool.
			if ok, _, err := s.Reserve(ctx, "warm", batchT0, []storage.Limit{l}); err != nil || !ok {
				t.Fatal(ok, err)
			}
			h := startHeld(t, s, b)
			cs := h.cs
			for i := range 8 {
				cs = append(cs, goReserve(ctx, s, "q-"+strconv.Itoa(i), batchT0, l))
			}
			waitQueued(t, s, 8)
			want := storage.ErrUnavailable
			if how == "store closed" {
				want = storage.ErrClosed
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
			} else {
				px.kill()
			}
			b.release(false)
			for i, c := range cs {
				if r := <-c; r.ok || !errors.Is(r.err, want) {
					t.Errorf("caller %d: %+v; want an error wrapping %v", i, r, want)
				}
			}
		})
	}
}

// A server error caused by one reservation of a batch (here a counter key
// of the wrong type) fails that reservation only: the others are decided as
// if each had run alone.
func TestBatchServerErrorIsolated(t *testing.T) {
	url := redisURL(t)
	p := newPrefix(t, url)
	s := open(t, url, p)
	b := watchBatches(s)
	ctx := context.Background()
	o, _ := redis.ParseURL(url)
	rc := redis.NewClient(o)
	defer rc.Close()
	if err := rc.Set(ctx, "{"+p+"}:c:bad", "not a sorted set", 0).Err(); err != nil {
		t.Fatal(err)
	}
	good := storage.Limit{Key: "good", Window: time.Hour, Max: 2}
	bad := storage.Limit{Key: "bad", Window: time.Hour, Max: 2}
	h := startHeld(t, s, b)
	g1 := goReserve(ctx, s, "g1", batchT0, good)
	waitQueued(t, s, 1)
	x := goReserve(ctx, s, "x", batchT0, good, bad)
	waitQueued(t, s, 2)
	g2 := goReserve(ctx, s, "g2", batchT0, good)
	waitQueued(t, s, 3)
	g3 := goReserve(ctx, s, "g3", batchT0, good)
	waitQueued(t, s, 4)
	b.release(false)
	h.wait(t)
	if r := <-g1; r.err != nil || !r.ok {
		t.Errorf("g1 (before the culprit) = %+v, want ok", r)
	}
	if r := <-x; r.err == nil || r.ok {
		t.Errorf("x (wrong-type key) = %+v, want an error", r)
	}
	if r := <-g2; r.err != nil || !r.ok || r.u[0].Count != 1 {
		t.Errorf("g2 = %+v, want ok after one", r)
	}
	if r := <-g3; r.err != nil || r.ok || r.u[0].Count != 2 {
		t.Errorf("g3 = %+v, want refused at 2 of 2", r)
	}
	if u, err := s.Usage(ctx, batchT0, []storage.Limit{good}); err != nil || u[0].Count != 2 {
		t.Errorf("usage after = %+v, %v; want 2 (g1 once, g2)", u, err)
	}
}

// One batch decides exactly what the same reservations decide one by one in
// the batch's order: random reservations (several keys, windows, members,
// instants, repeated ids) sent as one batch, replayed one by one on a store
// that does not batch.
func TestBatchMatchesSequential(t *testing.T) {
	url := redisURL(t)
	ctx := context.Background()
	s := open(t, url, newPrefix(t, url))
	seq := openOpts(t, url, redisstore.Options{Prefix: newPrefix(t, url), MaxCounterBatch: -1})
	b := watchBatches(s)
	r := rand.New(rand.NewPCG(7, 11))
	type spec struct {
		id     string
		at     time.Time
		limits []storage.Limit
	}
	callees := []string{"x", "y", "z", "w"}
	mk := func(i int) spec {
		sp := spec{id: "id-" + strconv.Itoa(i), at: batchT0.Add(time.Duration(r.IntN(40)-20) * time.Minute)}
		if r.IntN(2) == 0 {
			sp.limits = append(sp.limits, storage.Limit{Key: "all", Window: 30 * time.Minute, Max: 20})
		}
		if r.IntN(2) == 0 { // segment rate: distinct callees
			sp.limits = append(sp.limits, storage.Limit{Key: "seg", Member: callees[r.IntN(len(callees))], Window: 10 * time.Minute, Max: 2})
		}
		c := callees[r.IntN(len(callees))]
		if r.IntN(8) == 0 { // a conversation, recorded for the pause
			sp.limits = []storage.Limit{{Key: "pause/" + c, Window: 20 * time.Minute, Max: 1 << 20}}
			return sp
		}
		k := "callee/" + c
		sp.limits = append(sp.limits,
			storage.Limit{Key: k, Window: 15 * time.Minute, Max: 2},
			storage.Limit{Key: k, Window: time.Hour, Max: 4})
		if r.IntN(2) == 0 { // the pause, checked only
			sp.limits = append(sp.limits, storage.Limit{Key: "pause/" + c, Window: 20 * time.Minute, Max: 1, CheckOnly: true})
		}
		return sp
	}
	var specs []spec
	for i := range 52 {
		specs = append(specs, mk(i))
	}
	// Some ids twice (the same request: a retry).
	for i := range 11 {
		specs = append(specs, specs[i*4])
	}
	r.Shuffle(len(specs), func(i, j int) { specs[i], specs[j] = specs[j], specs[i] })
	byID := map[string]spec{}
	for _, sp := range specs {
		byID[sp.id] = sp
	}
	h := startHeld(t, s, b)
	got := map[string][]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, sp := range specs {
		wg.Go(func() {
			ok, u, err := s.Reserve(ctx, sp.id, sp.at, sp.limits)
			mu.Lock()
			got[sp.id] = append(got[sp.id], fmt.Sprint(ok, u, err))
			mu.Unlock()
		})
	}
	waitQueued(t, s, len(specs))
	b.release(false)
	h.wait(t)
	wg.Wait()
	bs := b.sent()
	if len(bs) != h.next+1 || len(bs[h.next]) != len(specs) {
		t.Fatalf("batch sizes %v, want the sentinels' then one of %d", batchSizes(bs), len(specs))
	}
	want := map[string][]string{}
	okCount := 0
	for _, id := range bs[h.next] {
		sp := byID[id]
		ok, u, err := seq.Reserve(ctx, sp.id, sp.at, sp.limits)
		if ok {
			okCount++
		}
		want[id] = append(want[id], fmt.Sprint(ok, u, err))
	}
	if okCount == len(specs) || okCount < 5 {
		t.Errorf("%d of %d reserved: the test should mix refusals and reservations", okCount, len(specs))
	}
	for id, w := range want {
		g := got[id]
		slices.Sort(g)
		slices.Sort(w)
		if !slices.Equal(g, w) {
			t.Errorf("id %s: batched %v, one by one %v", id, g, w)
		}
	}
	// Same state afterwards.
	for _, k := range []storage.Limit{
		{Key: "all", Window: 30 * time.Minute, Max: 20},
		{Key: "callee/x", Window: time.Hour, Max: 4},
		{Key: "callee/y", Window: time.Hour, Max: 4},
		{Key: "pause/x", Window: 20 * time.Minute, Max: 1},
		{Key: "pause/z", Window: 20 * time.Minute, Max: 1},
	} {
		for _, at := range []time.Time{batchT0, batchT0.Add(25 * time.Minute)} {
			ug, err1 := s.Usage(ctx, at, []storage.Limit{k})
			uw, err2 := seq.Usage(ctx, at, []storage.Limit{k})
			if err1 != nil || err2 != nil || fmt.Sprint(ug) != fmt.Sprint(uw) {
				t.Errorf("usage of %s at %s: batched %v %v, one by one %v %v", k.Key, at, ug, err1, uw, err2)
			}
		}
	}
}

// Concurrent Usage calls in one batch each get their own limits' state; one
// that reads a key of the wrong type fails alone.
func TestUsageBatch(t *testing.T) {
	url := redisURL(t)
	p := newPrefix(t, url)
	s := open(t, url, p)
	ctx := context.Background()
	lim := func(k string) storage.Limit { return storage.Limit{Key: k, Window: time.Hour, Max: 3} }
	for i := range 5 {
		for j := range i {
			if ok, _, err := s.Reserve(ctx, fmt.Sprintf("k%d-%d", i, j), batchT0, []storage.Limit{lim(fmt.Sprintf("k%d", i))}); err != nil || !ok && j < 3 {
				t.Fatal(ok, err)
			}
		}
	}
	o, _ := redis.ParseURL(url)
	rc := redis.NewClient(o)
	defer rc.Close()
	if err := rc.Set(ctx, "{"+p+"}:c:bad", "not a sorted set", 0).Err(); err != nil {
		t.Fatal(err)
	}

	var (
		mu    sync.Mutex
		sizes []int
		gate  = make(chan struct{})
	)
	redisstore.OnUsageBatch(s, func(n int) {
		mu.Lock()
		sizes = append(sizes, n)
		mu.Unlock()
		<-gate
	})
	nSizes := func() int { mu.Lock(); defer mu.Unlock(); return len(sizes) }
	type result struct {
		u   []storage.Usage
		err error
	}
	usage := func(ls ...storage.Limit) <-chan result {
		c := make(chan result, 1)
		go func() {
			u, err := s.Usage(ctx, batchT0, ls)
			c <- result{u, err}
		}()
		return c
	}
	var sentinels []<-chan result
	for i := range redisstore.BatchesInFlight {
		sentinels = append(sentinels, usage(lim("k0")))
		if !waitFor(func() bool { return nSizes() == i+1 }) {
			t.Fatal("sentinel usage never sent")
		}
	}
	var cs []<-chan result
	for i := range 30 {
		if i%6 == 5 {
			cs = append(cs, usage(lim("k1"), lim("bad")))
		} else {
			cs = append(cs, usage(lim(fmt.Sprintf("k%d", i%6)), lim("k2")))
		}
	}
	if !waitFor(func() bool { return redisstore.QueuedUsage(s) == 30 }) {
		t.Fatalf("%d usage calls queued, want 30", redisstore.QueuedUsage(s))
	}
	close(gate)
	for _, c := range sentinels {
		if r := <-c; r.err != nil || r.u[0].Count != 0 {
			t.Fatalf("sentinel: %+v", r)
		}
	}
	for i, c := range cs {
		r := <-c
		if i%6 == 5 {
			if r.err == nil || !errors.Is(r.err, storage.ErrUnavailable) {
				t.Errorf("usage %d (wrong-type key) = %+v, want an error", i, r)
			}
			continue
		}
		want := min(i%6, 3) // k4 was refused its fourth
		if r.err != nil || r.u[0].Count != want || r.u[0].Exceeded != (want >= 3) || r.u[1].Count != 2 {
			t.Errorf("usage %d = %+v, want k%d at %d and k2 at 2", i, r, i%6, want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sizes) != redisstore.BatchesInFlight+1 || sizes[len(sizes)-1] != 30 {
		t.Errorf("usage batch sizes %v, want the sentinels' then one of 30", sizes)
	}
}
