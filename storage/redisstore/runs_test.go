package redisstore_test

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/internal/runtest"
	"github.com/dialgate/dialgate/storage/redisstore"
	"github.com/dialgate/dialgate/storage/storetest"
	"github.com/dialgate/dialgate/sweep"
)

func TestCheckRuns(t *testing.T) {
	url := redisURL(t)
	err := storetest.CheckRuns(context.Background(), func() (storage.Runs, error) {
		return redisstore.Open(context.Background(), url, redisstore.Options{Prefix: newPrefix(t, url)})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// sweepGate is what one sidecar builds for the sweep rule on a shared Redis
// store; now is its clock, ids its decision ids.
func sweepGate(t *testing.T, s *redisstore.Store, now *atomic.Pointer[time.Time], ids *atomic.Int64) *dialgate.Gate {
	return runtest.Gate(t, s, s, now, ids, 2*time.Second)
}

// A stride (one suffix through successive 号段) spread over four sidecars
// sharing one Redis is seen at its twentieth segment; a sequential run of
// 19 with the same values in the same store does not mix with it (the two
// rules' keys are apart).
func TestStrideAcrossSidecars(t *testing.T) {
	url := redisURL(t)
	p := newPrefix(t, url)
	var now atomic.Pointer[time.Time]
	var ids atomic.Int64
	var gates []*dialgate.Gate
	for range 4 {
		s := open(t, url, p)
		gates = append(gates, runtest.GateOf(t, runtest.StrideConfig, s, s, &now, &ids, 2*time.Second))
	}
	runtest.CheckStride(t, gates, &now, gateT0)
}

// A dialer spreading a sweep round-robin over four sidecars that share one
// Redis shows each numbers four apart: the run is still seen at its
// twentieth number, whichever sidecar decides it, and the segment stays
// closed to every sidecar.
func TestRunsAcrossSidecars(t *testing.T) {
	url := redisURL(t)
	p := newPrefix(t, url)
	ctx := context.Background()
	var now atomic.Pointer[time.Time]
	var ids atomic.Int64
	var gates []*dialgate.Gate
	for range 4 {
		gates = append(gates, sweepGate(t, open(t, url, p), &now, &ids))
	}
	for i := range 30 {
		at := gateT0.Add(time.Duration(i) * 30 * time.Second)
		now.Store(&at)
		dec, err := gates[i%4].Check(ctx, runtest.Dial("1390000", i))
		if err != nil {
			t.Fatal(err)
		}
		if wantDeny := i >= 19; dec.Allowed == wantDeny {
			t.Fatalf("dial %d (run of %d) at sidecar %d: allowed=%v: %v", i, i+1, i%4, dec.Allowed, dec.Reasons)
		}
		if !dec.Allowed && !dec.Has(dialgate.CodeSweepSequential) {
			t.Fatalf("dial %d: %v", i, dec.Codes())
		}
	}
	// Skipping far ahead in the segment: still closed, at every sidecar.
	for i, g := range gates {
		if dec, _ := g.Check(ctx, runtest.Dial("1390000", 5000+i)); dec.Allowed {
			t.Fatalf("sidecar %d: a closed segment allowed a dial", i)
		}
	}
}

// Sidecars dialling consecutive numbers of one segment at once never let
// through a run of twenty.
func TestRunsConcurrentSidecars(t *testing.T) {
	url := redisURL(t)
	p := newPrefix(t, url)
	ctx := context.Background()
	var now atomic.Pointer[time.Time]
	now.Store(&gateT0)
	var ids atomic.Int64
	var gates []*dialgate.Gate
	for range 4 {
		gates = append(gates, sweepGate(t, open(t, url, p), &now, &ids))
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		allowed []int
		start   = make(chan struct{})
	)
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			dec, err := gates[i%4].Check(ctx, runtest.Dial("1390001", i))
			if err != nil {
				t.Error(err)
				return
			}
			if dec.Allowed {
				mu.Lock()
				allowed = append(allowed, i)
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(allowed) == 0 {
		t.Fatal("no dial allowed")
	}
	slicesSort(allowed)
	run := 1
	for i := 1; i < len(allowed); i++ {
		if allowed[i]-allowed[i-1] <= 3 {
			if run++; run >= 20 {
				t.Fatalf("allowed %v: a run of %d", allowed, run)
			}
		} else {
			run = 1
		}
	}
}

func slicesSort(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// A sidecar restarted on the same Redis remembers the runs: the numbers
// dialled before count, and a closed segment stays closed.
func TestRunsSurviveRestart(t *testing.T) {
	url := redisURL(t)
	p := newPrefix(t, url)
	ctx := context.Background()
	var now atomic.Pointer[time.Time]
	now.Store(&gateT0)
	var ids atomic.Int64
	s := open(t, url, p)
	g := sweepGate(t, s, &now, &ids)
	for i := range 20 {
		g.Check(ctx, runtest.Dial("1390002", i))
	}
	for i := range 19 {
		if dec, _ := g.Check(ctx, runtest.Dial("1390003", i)); !dec.Allowed {
			t.Fatalf("dial %d: %v", i, dec.Reasons)
		}
	}
	s.Close()
	g = sweepGate(t, open(t, url, p), &now, &ids) // the restarted sidecar
	later := gateT0.Add(time.Hour)
	now.Store(&later)
	if dec, _ := g.Check(ctx, runtest.Dial("1390002", 7000)); dec.Allowed || !dec.Has(dialgate.CodeSweepSequential) {
		t.Fatalf("a closed segment after restart: %+v", dec)
	}
	if dec, _ := g.Check(ctx, runtest.Dial("1390003", 19)); dec.Allowed || !dec.Has(dialgate.CodeSweepSequential) {
		t.Fatalf("the twentieth number after restart: %+v", dec)
	}
}

// A store that fails denies (sweep.unavailable).
func TestRunsStoreDownDenies(t *testing.T) {
	url := redisURL(t)
	p := newPrefix(t, url)
	var now atomic.Pointer[time.Time]
	now.Store(&gateT0)
	var ids atomic.Int64
	s := open(t, url, p)
	g := sweepGate(t, s, &now, &ids)
	s.Close()
	dec, _ := g.Check(context.Background(), runtest.Dial("1390004", 1))
	if dec.Allowed || !dec.Has(dialgate.UnavailableCode(sweep.Name)) {
		t.Fatalf("store closed: %+v", dec)
	}
}

// TestRunsRaiseSchema: the first record raises the schema version to 3 (a
// build from before run state would keep runs in its memory, unseen by the
// fleet, and is refused); a version the store already has is kept, a
// malformed one fails the record, which then writes nothing.
func TestRunsRaiseSchema(t *testing.T) {
	url := redisURL(t)
	ctx := context.Background()
	p := newPrefix(t, url)
	c := rawClient(t, url)
	key := "{" + p + "}:schema"
	s := open(t, url, p)
	rp := storage.RunParams{MinRun: 5, MaxGap: 2, Window: time.Hour}
	if _, err := s.RunLength(ctx, "k", 1, gateT0, rp); err != nil {
		t.Fatal(err)
	}
	if v := schemaValue(t, c, p); v != "" {
		t.Fatalf("after RunLength: schema %q, want none", v)
	}
	if err := openAsVersion(url, p, 2); err != nil {
		t.Fatalf("a version 2 build before any run record: %v", err)
	}
	if _, ok, err := s.RecordRun(ctx, "a", "k", 1, gateT0, rp); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if v := schemaValue(t, c, p); v != "3" {
		t.Fatalf("after RecordRun: schema %q, want 3", v)
	}
	err := openAsVersion(url, p, 2)
	if !errors.Is(err, storage.ErrSchemaTooNew) || !strings.Contains(err.Error(), "version 3") {
		t.Fatalf("a version 2 build after a run record: %v, want storage.ErrSchemaTooNew naming version 3", err)
	}
	for i, tc := range []struct{ stored, want string }{{"2", "3"}, {"7", "7"}} {
		c.Set(ctx, key, tc.stored, 0)
		if _, ok, err := s.RecordRun(ctx, "b"+strconv.Itoa(i), "k", 100+10*i, gateT0, rp); err != nil || !ok {
			t.Fatal(ok, err)
		}
		if v := schemaValue(t, c, p); v != tc.want {
			t.Errorf("a run record on schema %s: schema %q, want %s", tc.stored, v, tc.want)
		}
	}
	for _, bad := range []string{"x", "0", "02", ""} {
		c.Set(ctx, key, bad, 0)
		if _, ok, err := s.RecordRun(ctx, "bad", "k", 500, gateT0, rp); !errors.Is(err, storage.ErrCorrupt) || ok {
			t.Errorf("a run record on schema %q: %v %v, want storage.ErrCorrupt", bad, ok, err)
		}
	}
	c.Del(ctx, key)
	c.HSet(ctx, key, "version", "3")
	if _, _, err := s.RecordRun(ctx, "bad", "k", 500, gateT0, rp); !errors.Is(err, storage.ErrCorrupt) {
		t.Errorf("a run record on a schema key of the wrong type: %v, want storage.ErrCorrupt", err)
	}
	c.Del(ctx, key)
	// The refused records wrote nothing: 500 is not there, the id is free.
	if n, err := s.RunLength(ctx, "k", 501, gateT0, rp); err != nil || n != 1 {
		t.Fatalf("after refused records: run length %d, %v; want 1", n, err)
	}
	if _, ok, err := s.RecordRun(ctx, "bad", "k", 900, gateT0, rp); err != nil || !ok {
		t.Fatalf("the id of refused records: %v %v", ok, err)
	}
}

func openAsVersion(url, prefix string, v int) error {
	s, err := redisstore.OpenKnowing(context.Background(), url, redisstore.Options{Prefix: prefix}, v)
	if err == nil {
		s.Close()
	}
	return err
}

// Every key the run state writes is under the store's hash tag and expires
// KeyTTLSlack after the window and storage.PruneMargin (the values are kept
// that long past the window for callers whose clock is behind).
func TestRunKeysExpire(t *testing.T) {
	url := redisURL(t)
	ctx := context.Background()
	p := newPrefix(t, url)
	c := rawClient(t, url)
	s := openOpts(t, url, redisstore.Options{Prefix: p, KeyTTLSlack: time.Hour})
	rp := storage.RunParams{MinRun: 3, MaxGap: 2, Window: time.Hour}
	for i, x := range []int{1, 2} {
		if _, ok, err := s.RecordRun(ctx, "id"+strconv.Itoa(i), "tenant/seg", x, gateT0, rp); err != nil || !ok {
			t.Fatal(ok, err)
		}
	}
	if n, ok, err := s.RecordRun(ctx, "id3", "tenant/seg", 3, gateT0, rp); err != nil || ok || n != 3 {
		t.Fatalf("third record: %d %v %v", n, ok, err)
	}
	keys, err := c.Keys(ctx, "{"+p+"}:r*").Result()
	if err != nil {
		t.Fatal(err)
	}
	// rs, rv, ra, two rm sets, two ri hashes.
	if len(keys) != 7 {
		t.Fatalf("run keys %v, want 7", keys)
	}
	for _, k := range keys {
		ttl, err := c.PTTL(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Hour + storage.PruneMargin + time.Hour; ttl <= want-time.Hour || ttl > want {
			t.Errorf("key %s expires in %v, want the window, storage.PruneMargin and the slack (%v)", k, ttl, want)
		}
	}
	if err := s.ReleaseRun(ctx, "id0"); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseRun(ctx, "id1"); err != nil {
		t.Fatal(err)
	}
	keys, _ = c.Keys(ctx, "{"+p+"}:r*").Result()
	// Released: the values and their ids are gone; the hash keeps the
	// closing, the two sorted sets are empty (deleted).
	if len(keys) != 1 || keys[0] != "{"+p+"}:rs:tenant/seg" {
		t.Errorf("after releasing every value: keys %v, want the closed key's hash only", keys)
	}
}

// BenchmarkRuns measures the sweep rule's run-state round trips on Redis
// for one dial: RunLength (the check) and RecordRun (the commit), a fresh
// segment every 16 dials so that runs stay short, from one caller and from
// 32 concurrent callers. Run with
// DIALGATE_TEST_REDIS=redis://127.0.0.1:6379/15 go test -run '^$' -bench Runs ./storage/redisstore
func BenchmarkRuns(b *testing.B) {
	url := redisURL(b)
	ctx := context.Background()
	s := openOpts(b, url, redisstore.Options{Prefix: newPrefix(b, url)})
	rp := storage.RunParams{MinRun: 20, MaxGap: 2, Window: 24 * time.Hour}
	var seq atomic.Int64
	dial := func(b *testing.B) {
		i := seq.Add(1)
		key := "sweep/seq/20/2/24h/" + strconv.FormatInt(1390000+i/16, 10) + "/acme"
		x := int(i%16) * 7 // no runs: 7 apart
		if n, err := s.RunLength(ctx, key, x, gateT0, rp); err != nil || n != 1 {
			b.Fatalf("run length: %d %v", n, err)
		}
		if _, ok, err := s.RecordRun(ctx, "r"+strconv.FormatInt(i, 10), key, x, gateT0, rp); err != nil || !ok {
			b.Fatalf("record: ok=%v err=%v", ok, err)
		}
	}
	b.Run("callers=1", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			dial(b)
		}
	})
	b.Run("callers=32", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0)))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				dial(b)
			}
		})
	})
}
