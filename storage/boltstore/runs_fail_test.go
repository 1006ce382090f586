package boltstore

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/sweep"
)

// A run record whose journal write fails is not allowed: RecordRun queues
// it, but the sweep commit's SyncRuns reports the failure (the Gate
// denies), and every later run call fails (fail closed) until a reopen.
func TestFailedSyncFailsRunCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	s := mustOpen(t, path, Options{})
	defer s.Close()
	ctx := context.Background()
	rule := &sweep.Sequential{MinRun: 5, MaxGap: 0, Window: dialgate.Duration(24 * time.Hour),
		Cite: dialgate.Citation{Source: dialgate.SourceConvention, Ref: "test"}}
	c, err := sweep.New(sweep.Config{Sequential: rule}, s, sweep.WithRuns(s))
	if err != nil {
		t.Fatal(err)
	}
	dial := func(n string) dialgate.Dial {
		return dialgate.Dial{To: dialgate.MustParseNumber(n), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "l", At: jt0}
	}
	if rs, err := c.Commit(ctx, dial("+8613912340000"), "d0"); err != nil || len(rs) > 0 {
		t.Fatalf("first commit: %v %v", rs, err)
	}
	j := s.counters.j
	j.mu.Lock()
	j.fault = func(op string) error {
		if op == "sync" {
			return errors.New("injected fdatasync failure")
		}
		return nil
	}
	j.mu.Unlock()
	if rs, err := c.Commit(ctx, dial("+8613912340001"), "d1"); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("commit with a failing fdatasync = %v, %v; want an error wrapping ErrUnavailable", rs, err)
	}
	p := storage.RunParams{MinRun: 5, MaxGap: 0, Window: 24 * time.Hour}
	if _, _, err := s.RecordRun(ctx, "x", "k", 1, jt0, p); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("RecordRun after = %v; want ErrUnavailable", err)
	}
	if _, err := s.RunLength(ctx, "k", 1, jt0, p); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("RunLength after = %v; want ErrUnavailable", err)
	}
	if err := s.SyncRuns(ctx); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("SyncRuns after = %v; want ErrUnavailable", err)
	}
}

// Counter calls may not use the ids and keys the runs are kept under.
func TestCountersRefuseRunNamespace(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "p.db"), Options{})
	defer s.Close()
	ctx := context.Background()
	if _, _, err := s.Reserve(ctx, runRecPrefix+"d0", jt0, lim1("k0")); !errors.Is(err, storage.ErrInvalid) {
		t.Errorf("Reserve of a run id = %v; want ErrInvalid", err)
	}
	l := lim1(runRecPrefix + "k0")
	if _, _, err := s.Reserve(ctx, "d0", jt0, l); !errors.Is(err, storage.ErrInvalid) {
		t.Errorf("Reserve under a run key = %v; want ErrInvalid", err)
	}
	if _, err := s.Usage(ctx, jt0, l); !errors.Is(err, storage.ErrInvalid) {
		t.Errorf("Usage of a run key = %v; want ErrInvalid", err)
	}
	p := storage.RunParams{MinRun: 5, MaxGap: 0, Window: 24 * time.Hour}
	if _, ok, err := s.RecordRun(ctx, "d0", "k", 1, jt0, p); err != nil || !ok {
		t.Fatal(ok, err)
	}
	// A counter release of the run's index id leaves the record.
	if err := s.Release(ctx, runRecPrefix+"d0"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.RecordRun(ctx, "d0", "k", 1, jt0, p); err != nil || !ok {
		t.Fatal(ok, err)
	}
	for x := 2; x <= 4; x++ {
		if _, ok, err := s.RecordRun(ctx, "d"+string(rune('0'+x)), "k", x, jt0, p); err != nil || !ok {
			t.Fatal(x, ok, err)
		}
	}
	if n, err := s.RunLength(ctx, "k", 5, jt0, p); err != nil || n != 5 {
		t.Errorf("RunLength(5) = %d, %v; want 5 (value 1 still held)", n, err)
	}
}

// Run records and closings survive the compaction of the journal's sealed
// segments (they are held reservations of the index), released and
// expired ones do not come back, and a reopen after it finds the runs.
func TestRunsSurviveCompaction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	opts := Options{SegmentSize: 4096}
	s := mustOpen(t, path, opts)
	noAutoCompact(s)
	ctx := context.Background()
	p := storage.RunParams{MinRun: 5, MaxGap: 0, Window: time.Hour}
	old := jt0.Add(-3 * time.Hour)
	// Expired walks: out of the window and the margin at jt0.
	for k := range 40 {
		for x := range 4 {
			if _, ok, err := s.RecordRun(ctx, "old-"+strconv.Itoa(k)+"-"+strconv.Itoa(x), "old"+strconv.Itoa(k), x, old, p); err != nil || !ok {
				t.Fatal(ok, err)
			}
		}
	}
	// Live walks of four values, the last released (a denied dial's): 0–2
	// held.
	for k := range 40 {
		for x := range 4 {
			if _, ok, err := s.RecordRun(ctx, "w-"+strconv.Itoa(k)+"-"+strconv.Itoa(x), "w"+strconv.Itoa(k), x, jt0, p); err != nil || !ok {
				t.Fatal(ok, err)
			}
		}
		if err := s.ReleaseRun(ctx, "w-"+strconv.Itoa(k)+"-3"); err != nil {
			t.Fatal(err)
		}
	}
	// A closed key.
	for x := range 4 {
		if _, ok, err := s.RecordRun(ctx, "c-"+strconv.Itoa(x), "c", x, jt0, p); err != nil || !ok {
			t.Fatal(ok, err)
		}
	}
	if n, err := s.RunLength(ctx, "c", 4, jt0, p); err != nil || n != 5 {
		t.Fatalf("RunLength = %d, %v; want 5 (closes c)", n, err)
	}
	if err := s.SyncRuns(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ExpireCounters(ctx, jt0); err != nil {
		t.Fatal(err)
	}
	before := s.JournalStats().Compactions
	if err := s.counters.j.compactNow(); err != nil {
		t.Fatal(err)
	}
	if after := s.JournalStats().Compactions; after != before+1 {
		t.Errorf("compactions %d before, %d after; want one more", before, after)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, path, opts)
	defer s.Close()
	for k := range 40 {
		w := "w" + strconv.Itoa(k)
		if n, err := s.RunLength(ctx, w, 3, jt0, p); err != nil || n != 4 {
			t.Errorf("after compaction and reopen, %s RunLength(3) = %d, %v; want 4 (0–2 held)", w, n, err)
		}
		if n, err := s.RunLength(ctx, w, 4, jt0, p); err != nil || n != 1 {
			t.Errorf("%s RunLength(4) = %d, %v; want 1 (3 was released)", w, n, err)
		}
		if n, err := s.RunLength(ctx, "old"+strconv.Itoa(k), 4, jt0, p); err != nil || n != 1 {
			t.Errorf("old%d RunLength(4) = %d, %v; want 1 (expired)", k, n, err)
		}
	}
	if n, err := s.RunLength(ctx, "c", 9, jt0.Add(time.Minute), p); err != nil || n != 5 {
		t.Errorf("c RunLength(9) = %d, %v; want 5 (closed)", n, err)
	}
}

// A run record that does not parse (damage that passed the frame's
// checksum, or a build writing another layout) stops the runs at Open:
// every run call fails with storage.ErrCorrupt (the checks deny), and the
// counters go on.
func TestDamagedRunRecordStopsRuns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	s := mustOpen(t, path, Options{})
	ctx := context.Background()
	s.runs.mu.Lock()
	w, err := s.journalRun("test", runRecPrefix+"d0", jt0, runRecPrefix+"no-params", "1", time.Hour)
	s.runs.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.wait(); err != nil {
		t.Fatal(err)
	}
	if err := s.RunsErr(); err != nil {
		t.Errorf("RunsErr before the reopen = %v; want nil", err)
	}
	s.Close()
	s = mustOpen(t, path, Options{})
	defer s.Close()
	// The damage is told at once (the sidecar's start log and its store
	// health probe), not only by the denials of the dials that meet it.
	if err := s.RunsErr(); !errors.Is(err, storage.ErrCorrupt) {
		t.Errorf("RunsErr = %v; want ErrCorrupt", err)
	}
	p := storage.RunParams{MinRun: 5, MaxGap: 0, Window: time.Hour}
	if _, _, err := s.RecordRun(ctx, "d1", "k", 1, jt0, p); !errors.Is(err, storage.ErrCorrupt) {
		t.Errorf("RecordRun = %v; want ErrCorrupt", err)
	}
	if _, err := s.RunLength(ctx, "k", 1, jt0, p); !errors.Is(err, storage.ErrCorrupt) {
		t.Errorf("RunLength = %v; want ErrCorrupt", err)
	}
	mustReserve(t, s, "c0", jt0, lim1("k0"))
}
