package boltstore

import (
	"context"
	"errors"
	"path/filepath"
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
