package boltstore

import (
	"context"
	"encoding/binary"
	"errors"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/internal/countstate"
)

var rt0 = time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)

func openAt(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// journalHeld replays s's journal files into a new index and returns how
// many reservations it holds.
func journalHeld(t *testing.T, s *Store) int {
	t.Helper()
	// A background compaction removes segments while it runs: replay the
	// files only when none runs, and start none meanwhile.
	j := s.counters.j
	waitFor(t, func() bool {
		j.segMu.Lock()
		if j.compacting {
			j.segMu.Unlock()
			return false
		}
		j.compacting = true
		j.segMu.Unlock()
		return true
	})
	defer func() {
		j.segMu.Lock()
		j.compacting = false
		j.segMu.Unlock()
	}()
	idx := countstate.NewTracked()
	if _, err := replayJournal(s.path, s.counters.j.id, idx); err != nil {
		t.Fatal(err)
	}
	_, n := idx.Size()
	return n
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(time.Millisecond)
	}
}

// A duplicate Reserve of an id whose record is still being written gets that
// write's result: here the write fails (a fault hook holds the writer, then
// fails its write), so the duplicate must not report ok.
func TestHeldIDWaitsForItsFailedWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.db")
	s := openAt(t, path)
	ctx := context.Background()
	l := []storage.Limit{{Key: "k", Window: time.Hour, Max: 1}}

	entered, release := make(chan struct{}), make(chan struct{})
	j := s.counters.j
	j.mu.Lock()
	j.fault = func(op string) error {
		close(entered)
		<-release
		return errors.New("injected write failure")
	}
	j.mu.Unlock()
	type res struct {
		ok  bool
		err error
	}
	ra, rb := make(chan res, 1), make(chan res, 1)
	go func() { ok, _, err := s.Reserve(ctx, "x", rt0, l); ra <- res{ok, err} }()
	// The writer took x's batch and is writing it.
	<-entered
	go func() { ok, _, err := s.Reserve(ctx, "x", rt0, l); rb <- res{ok, err} }() // a retry / duplicate
	time.Sleep(50 * time.Millisecond)
	select {
	case b := <-rb:
		t.Fatalf("duplicate Reserve returned (%v, %v) while the first one's write was not committed", b.ok, b.err)
	default:
	}
	close(release) // A's write fails
	a, b := <-ra, <-rb
	t.Logf("first Reserve: ok=%v err=%v", a.ok, a.err)
	t.Logf("duplicate Reserve: ok=%v err=%v", b.ok, b.err)
	s.Close()
	s = openAt(t, path)
	defer s.Close()
	us, _ := s.Usage(ctx, rt0, l)
	t.Logf("after reopen: count=%d", us[0].Count)
	if a.ok || a.err == nil || b.ok || b.err == nil {
		t.Errorf("both Reserves must fail with the write: first (%v, %v), duplicate (%v, %v)", a.ok, a.err, b.ok, b.err)
	}
	if b.ok && b.err == nil && us[0].Count == 0 {
		t.Errorf("duplicate Reserve reported ok although the reservation never reached the journal (lost after restart)")
	}
}

// An id forgotten by pruning may reserve again (storage.Counters contract);
// replay must not make it held again, or the new reservation records nothing.
func TestReplayKeepsForgottenIDsForgotten(t *testing.T) {
	for _, restart := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "f.db")
		s := openAt(t, path)
		ctx := context.Background()
		l := []storage.Limit{{Key: "k", Window: time.Hour, Max: 10}}
		t1 := rt0.Add(2 * time.Hour)
		s.Reserve(ctx, "x", rt0, l)
		s.Reserve(ctx, "y", t1, l) // prunes x
		if restart {
			s.Close()
			s = openAt(t, path)
		}
		s.Reserve(ctx, "x", t1, l)
		us, _ := s.Usage(ctx, t1, l)
		t.Logf("restart=%v: count at t1 = %d (want 2)", restart, us[0].Count)
		if us[0].Count != 2 {
			t.Errorf("restart=%v: count %d, want 2", restart, us[0].Count)
		}
		s.Close()
	}
}

// A schema-1 id that looks like a generated name does not collide with the id
// given to an orphan entry.
func TestMigratedOrphanIDsMeetNoCallerID(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	makeV1(t, path, func(ent, ids *bolt.Bucket) error {
		a := v1Key("a", rt0, "migrated-1")
		if err := ent.Put(a, v1Value(24*time.Hour, "")); err != nil {
			return err
		}
		if err := ent.Put(v1Key("b", rt0, "orphan"), v1Value(24*time.Hour, "")); err != nil {
			return err
		}
		return ids.Put([]byte("migrated-1"), append(binary.AppendUvarint(nil, uint64(len(a))), a...))
	})
	s := openAt(t, path)
	defer s.Close()
	us, _ := s.Usage(context.Background(), rt0.Add(time.Minute), []storage.Limit{
		{Key: "a", Window: 24 * time.Hour, Max: 5}, {Key: "b", Window: 24 * time.Hour, Max: 5}})
	t.Logf("after migration: a=%d b=%d (want 1, 1)", us[0].Count, us[1].Count)
	if us[0].Count != 1 || us[1].Count != 1 {
		t.Errorf("undercount after migration")
	}
}

// Whatever concurrent Reserves (duplicate ids included), Releases and
// expiries did, the journal replays to the same counts the index had.
func TestReplayMatchesIndexUnderConcurrency(t *testing.T) {
	for name, opts := range map[string]Options{
		"one segment": {},
		// Rotation and compaction run under the load.
		"small segments": {SegmentSize: 2048},
	} {
		t.Run(name, func(t *testing.T) { testReplayMatchesIndex(t, opts) })
	}
}

func testReplayMatchesIndex(t *testing.T, opts Options) {
	path := filepath.Join(t.TempDir(), "c.db")
	s, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	keys := []string{"k0", "k1", "k2", "k3"}
	lim := func(k string) []storage.Limit {
		return []storage.Limit{{Key: k, Window: time.Hour, Max: 1000}, {Key: "all", Window: 3 * time.Hour, Max: 1000}}
	}
	done := make(chan struct{})
	for g := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 200 {
				id := "id" + strconv.Itoa((g*200+i)%150) // ids repeat across goroutines
				at := rt0.Add(time.Duration(i) * time.Minute)
				if _, _, err := s.Reserve(ctx, id, at, lim(keys[(g+i)%len(keys)])); err != nil {
					t.Error(err)
					return
				}
				if i%7 == 0 {
					if err := s.Release(ctx, "id"+strconv.Itoa((g*200+i+3)%150)); err != nil {
						t.Error(err)
						return
					}
				}
				if g == 0 && i%50 == 49 {
					if _, err := s.ExpireCounters(ctx, at); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	for range 8 {
		<-done
	}
	// Counts are compared from the last reservation's instant on (the index
	// prunes history, so an earlier instant may see less of it), each key
	// read with the window it is reserved with (a key names its
	// window, as package schedule's do): a replayed entry the index had
	// pruned is outside it.
	limits := []storage.Limit{{Key: "all", Window: 3 * time.Hour, Max: 1000}}
	for _, k := range keys {
		limits = append(limits, storage.Limit{Key: k, Window: time.Hour, Max: 1000})
	}
	var before [][]storage.Usage
	for m := 199; m <= 400; m += 20 {
		us, err := s.Usage(ctx, rt0.Add(time.Duration(m)*time.Minute), limits)
		if err != nil {
			t.Fatal(err)
		}
		before = append(before, us)
	}
	_, held := s.counters.idx.Size()
	records := journalHeld(t, s)
	if records != held {
		t.Errorf("the journal replays to %d reservations, the index holds %d", records, held)
	}
	s.counters.j.segMu.Lock()
	t.Logf("%d segments, %d compactions, last compaction error %v", len(s.counters.j.segs), s.counters.j.compactions, s.counters.j.compactErr)
	s.counters.j.segMu.Unlock()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for j, m := 0, 199; m <= 400; j, m = j+1, m+20 {
		us, err := s.Usage(ctx, rt0.Add(time.Duration(m)*time.Minute), limits)
		if err != nil {
			t.Fatal(err)
		}
		for i := range us {
			if us[i].Count != before[j][i].Count {
				t.Errorf("minute %d, key %s: %d after reopen, %d before", m, limits[i].Key, us[i].Count, before[j][i].Count)
			}
		}
	}
	if _, got := s.counters.idx.Size(); got != records {
		t.Errorf("%d reservations held after reopen, %d before", got, records)
	}
}
