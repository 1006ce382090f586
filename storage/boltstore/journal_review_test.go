package boltstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/internal/countstate"
)

// sealUntil pads reservations until the journal has n segment files.
func sealUntil(t *testing.T, s *Store, path string, n int, at time.Time, tag string) {
	t.Helper()
	for i := 0; len(segFiles(t, path)) < n; i++ {
		mustReserve(t, s, tag+strconv.Itoa(i), at, lim1("pad"))
	}
}

// Compaction renames the merged segment C over S1, then removes S2…Sk. If
// S2 survived while S3 is gone (compaction now removes them oldest first,
// each unlink durable before the next, and stops at a failure — this builds
// the state by hand), replay reads C (X held with its newer sequence, copied
// from S3) and then S2 (X's older reserve and its release): the older
// reserve must not replace the newer one, or an acknowledged reservation is
// lost.
func TestCompactionPartialRemovalLosesReservation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	opts := Options{SegmentSize: 1024}
	s := mustOpen(t, path, opts)
	noAutoCompact(s)
	ctx := context.Background()
	sealUntil(t, s, path, 2, jt0, "a") // S1 sealed
	// S2: X reserved and released.
	mustReserve(t, s, "X", jt0, []storage.Limit{{Key: "x", Window: time.Hour, Max: 1}})
	if err := s.Release(ctx, "X"); err != nil {
		t.Fatal(err)
	}
	sealUntil(t, s, path, 3, jt0, "b") // S2 sealed
	// S3: X reserved again (newer seq) and acknowledged.
	mustReserve(t, s, "X", jt0, []storage.Limit{{Key: "x", Window: time.Hour, Max: 1}})
	sealUntil(t, s, path, 4, jt0, "c") // S3 sealed, S4 active
	nums := segFiles(t, path)
	s2, err := os.ReadFile(segName(path, nums[1]))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.counters.j.compactNow(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Crash state: C (under S1's name), S2 still there, S3 removed.
	if err := os.WriteFile(segName(path, nums[1]), s2, 0o600); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, path, opts)
	defer s.Close()
	if !s.counters.idx.Held("X") {
		t.Errorf("acknowledged reservation X lost after reopen (C, S2, S4 on disk)")
	}
	if ok, _, err := s.Reserve(ctx, "Y", jt0, []storage.Limit{{Key: "x", Window: time.Hour, Max: 1}}); err == nil && ok {
		t.Errorf("cap of 1 on key x: a second reservation was granted after reopen (fail open)")
	}
}

// After a failed write, a Reserve of the same id that runs between the
// failed Reserve's wake-up and the counters' poisoning finds the id held in
// the index: it must wait on the failed batch and fail, not return ok for a
// reservation that never reached disk. The hook runs that second Reserve
// exactly in that window.
func TestHeldPathAfterFailedWrite(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "h.db"), Options{})
	defer s.Close()
	ctx := context.Background()
	j := s.counters.j
	j.mu.Lock()
	j.fault = func(op string) error {
		if op == "sync" {
			return errors.New("injected fdatasync failure")
		}
		return nil
	}
	j.mu.Unlock()
	inWindow := false
	s.counters.afterWait = func(id string) {
		if inWindow || id != "x" {
			return
		}
		inWindow = true
		if !s.counters.idx.Held("x") {
			t.Fatal("x is not held in the index after its failed write: the test no longer reaches the window")
		}
		if ok, _, err := s.Reserve(ctx, "x", jt0, lim1("k0")); ok || err == nil {
			t.Errorf("Reserve in the window = %v, %v; want an error: the id's only write had failed", ok, err)
		}
	}
	if ok, _, err := s.Reserve(ctx, "x", jt0, lim1("k0")); ok || err == nil {
		t.Fatalf("first Reserve = %v, %v; want the injected failure", ok, err)
	}
	if !inWindow {
		t.Fatal("the hook did not run")
	}
}

// A store file lost or recreated empty next to a journal with reservations
// is not a new store: its counters fail (ErrCorrupt) instead of starting
// from zero, and the journal is left as it was.
func TestNewStoreFileKeepsExistingJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "n.db")
	s := mustOpen(t, path, Options{})
	l := []storage.Limit{{Key: "x", Window: time.Hour, Max: 1}}
	mustReserve(t, s, "a", jt0, l)
	s.Close()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Logf("Open refused: %v", err)
		return
	}
	defer s.Close()
	if ok, _, err := s.Reserve(context.Background(), "b", jt0, l); !errors.Is(err, storage.ErrCorrupt) || ok {
		t.Errorf("Reserve beside a journal of another store file: ok=%v err=%v, want ErrCorrupt", ok, err)
	}
	if files := segFiles(t, path); len(files) == 0 {
		t.Errorf("the journal was removed")
	}
}

// A CRC-valid reserve frame whose member is longer than the index can hold
// (countstate.MaxString; well within a frame's size) is damage: Open does
// not panic, the counters fail with ErrCorrupt, the rest of the store opens.
func TestLongStringInJournalIsDamage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	s := mustOpen(t, path, Options{})
	mustReserve(t, s, "a", jt0, lim1("k0"))
	s.Close()
	frame := appendReserveFrame(nil, 2, "b", jt0.UnixNano(), []storage.Limit{{Key: "seg", Member: strings.Repeat("9", countstate.MaxString+1), Window: time.Hour, Max: 1}})
	appendFile(t, lastSeg(t, path), commitBatch(frame, 0)) // a committed batch: not a torn write
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("Open: %v (only the counters should fail)", err)
	}
	defer s.Close()
	if _, _, err := s.Reserve(context.Background(), "c", jt0, lim1("k0")); !errors.Is(err, storage.ErrCorrupt) {
		t.Fatalf("Reserve after a too-long string in the journal: %v, want ErrCorrupt", err)
	}
}
