package boltstore

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// A journal write that does not return (a stalled disk: an fdatasync that
// hangs) must not hold a counter call past its context: storage.Counters
// says ctx bounds the call, and the Gate's check timeout relies on it (a
// caller that gets an error denies; one that never gets an answer waits
// with the dialer). Reserve, Release and ExpireCounters give up with the
// context's error; what they queued is still written, and once the write
// goes through the reservation holds (over-counting is safe), a released
// one is gone, and nothing is left waiting.
func TestCounterCallsBoundedByContextWhileJournalStalls(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "c.db"), Options{})
	defer s.Close()
	mustReserve(t, s, "before", jt0, lim1("k0"))
	mustReserve(t, s, "old", jt0.Add(-3*time.Hour), lim1("k2"))
	j := s.counters.j
	stall := make(chan struct{})
	var once sync.Once
	unstall := func() { once.Do(func() { close(stall) }) }
	defer unstall()
	j.mu.Lock()
	j.fault = func(op string) error {
		if op == "sync" {
			<-stall
		}
		return nil
	}
	j.mu.Unlock()

	bounded := func(what string, call func(ctx context.Context) error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- call(ctx) }()
		select {
		case err := <-done:
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s while the journal stalls = %v; want an error wrapping context.DeadlineExceeded", what, err)
			}
		case <-time.After(5 * time.Second):
			unstall()
			<-done
			t.Fatalf("%s did not return within 5 s of its 50 ms deadline while the journal write stalled", what)
		}
	}
	bounded("Reserve", func(ctx context.Context) error {
		ok, _, err := s.Reserve(ctx, "stalled", jt0, lim1("k1"))
		if ok && err == nil {
			return errors.New("ok before its frame was durable")
		}
		return err
	})
	bounded("Reserve of the held id", func(ctx context.Context) error {
		ok, _, err := s.Reserve(ctx, "stalled", jt0, lim1("k1"))
		if ok && err == nil {
			return errors.New("ok before its frame was durable")
		}
		return err
	})
	bounded("Release", func(ctx context.Context) error { return s.Release(ctx, "before") })
	bounded("ExpireCounters", func(ctx context.Context) error {
		_, err := s.ExpireCounters(ctx, jt0.Add(30*time.Minute)) // forgets "old"
		return err
	})
	unstall()
	// The queued frames are written: the timed-out reservation holds (it
	// was given up on, not undone), and the same id's Reserve is ok.
	waitFor(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.counters.pending) == 0
	})
	if got := usages(t, s, 3, jt0); !equalInts(got, []int{0, 1, 0, 1}) {
		t.Errorf("usages after the stall = %v; want [0 1 0 1]: the timed-out reservation held, the released and the expired ones gone", got)
	}
	if ok, _, err := s.Reserve(context.Background(), "stalled", jt0, lim1("k1")); !ok || err != nil {
		t.Fatalf("Reserve of the id after the stall = %v, %v; want ok (held)", ok, err)
	}
	s.Close()
	s2 := mustOpen(t, s.path, Options{})
	defer s2.Close()
	if got := usages(t, s2, 3, jt0); !equalInts(got, []int{0, 1, 0, 1}) {
		t.Errorf("usages after a reopen = %v; want [0 1 0 1]", got)
	}
}
