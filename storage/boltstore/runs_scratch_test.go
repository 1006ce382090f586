package boltstore

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
)

// RecordRun passes journalRun strings over a scratch buffer it reuses
// (unsafe.String): nothing may keep them past the call. Concurrent records,
// releases, run lengths (closing keys), expiries and compactions, then the
// scratch overwritten: the index and the journal (reopened) must hold each
// record's id, key and value as recorded.
func TestRecordRunScratchNotRetained(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	opts := Options{SegmentSize: 4096}
	s := mustOpen(t, path, opts)
	ctx := context.Background()
	p := storage.RunParams{MinRun: 5, MaxGap: 0, Window: time.Hour}
	old := jt0.Add(-3 * time.Hour)
	type rec struct{ key, member string }
	var mu sync.Mutex
	want := map[string]rec{} // index id -> key suffix, member
	var wg sync.WaitGroup
	const workers, per = 4, 150
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				id := "w" + strconv.Itoa(w) + "-" + strconv.Itoa(i) + strings.Repeat("i", i%7)
				key := "key-" + strconv.Itoa(w) + "-" + strconv.Itoa(i) + strings.Repeat("k", i%11)
				x := 1000*w + 7*i + i%3
				at := jt0
				if i%10 == 9 {
					at = old // expired by the expiry goroutine
				}
				if _, ok, err := s.RecordRun(ctx, id, key, x, at, p); err != nil || !ok {
					t.Errorf("RecordRun(%s) = %v, %v", id, ok, err)
					return
				}
				switch {
				case i%5 == 4:
					if err := s.ReleaseRun(ctx, id); err != nil {
						t.Errorf("ReleaseRun(%s) = %v", id, err)
					}
				case at.Equal(jt0):
					mu.Lock()
					want[runRecPrefix+id] = rec{key, strconv.Itoa(x)}
					mu.Unlock()
				}
				if i%13 == 0 { // a walk that closes its key
					ck := "walk-" + strconv.Itoa(w) + "-" + strconv.Itoa(i)
					for v := range 4 {
						if _, _, err := s.RecordRun(ctx, ck+"-"+strconv.Itoa(v), ck, v, jt0, p); err != nil {
							t.Errorf("walk RecordRun = %v", err)
						}
					}
					if n, err := s.RunLength(ctx, ck, 4, jt0, p); err != nil || n != 5 {
						t.Errorf("RunLength(%s) = %d, %v; want 5", ck, n, err)
					}
				}
			}
		}()
	}
	stop := make(chan struct{})
	var bg sync.WaitGroup
	bg.Add(1)
	go func() {
		defer bg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.ExpireCounters(ctx, jt0); err != nil {
				t.Errorf("ExpireCounters = %v", err)
			}
			if err := s.counters.j.compactNow(); err != nil {
				t.Errorf("compact = %v", err)
			}
			time.Sleep(time.Millisecond)
		}
	}()
	wg.Wait()
	close(stop)
	bg.Wait()
	if err := s.SyncRuns(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ExpireCounters(ctx, jt0); err != nil {
		t.Fatal(err)
	}
	// Overwrite the scratch memory: a view kept anywhere now reads 'x'.
	s.runs.mu.Lock()
	sc := s.runs.scratch[:cap(s.runs.scratch)]
	for i := range sc {
		sc[i] = 'x'
	}
	s.runs.mu.Unlock()
	check := func(when string, s *Store) {
		t.Helper()
		got := map[string]rec{}
		s.mu.Lock()
		s.counters.idx.EachHeld(runRecPrefix, func(id string, _ int64, key, member string) {
			if strings.HasPrefix(id, runRecPrefix+"w") && !strings.HasPrefix(id, runRecPrefix+"walk") {
				got[id] = rec{key, member}
			}
		})
		s.mu.Unlock()
		if len(got) != len(want) {
			t.Errorf("%s: %d records held; want %d", when, len(got), len(want))
		}
		for id, r := range want {
			g, ok := got[id]
			if !ok || !strings.HasSuffix(g.key, r.key) || g.member != r.member {
				t.Errorf("%s: %q held as %q; want key ending %q, member %q", when, id, g, r.key, r.member)
			}
		}
	}
	check("in memory", s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, path, opts)
	defer s.Close()
	check("reopened", s)
	// The closed walks are still closed after the reopen.
	for w := range workers {
		ck := "walk-" + strconv.Itoa(w) + "-0"
		if n, err := s.RunLength(ctx, ck, 9, jt0, p); err != nil || n != 5 {
			t.Errorf("reopened RunLength(%s) = %d, %v; want 5 (closed)", ck, n, err)
		}
	}
}
