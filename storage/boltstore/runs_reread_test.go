package boltstore

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
)

// A key closed by a run stays closed, after an expiry and a reopen, for a
// dial whose instant is up to storage.PruneMargin behind the expiry's (a
// clock stepped back, a dialer's clock behind the janitor's), as it does in
// memory (seqrun keeps a closing that long) and in redisstore (the closed
// key's TTL is the window, the margin and a slack). The closing used to be
// journaled with the rule's window alone, so the hourly expiry forgot it the
// instant it ended by the expiry's clock, and a restart reopened the key.
func TestClosingKeptPruneMarginAfterExpiry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	ctx := context.Background()
	p := storage.RunParams{MinRun: 5, MaxGap: 0, Window: 24 * time.Hour}
	s := mustOpen(t, path, Options{})
	for i := 0; i < 4; i++ {
		if _, ok, err := s.RecordRun(ctx, "d"+strconv.Itoa(i), "k", 100+i, jt0, p); err != nil || !ok {
			t.Fatalf("record %d: %v %v", i, ok, err)
		}
	}
	// The fifth closes the key at jt0+1h, until jt0+25h.
	closedAt := jt0.Add(time.Hour)
	if n, ok, err := s.RecordRun(ctx, "d4", "k", 104, closedAt, p); err != nil || ok || n != 5 {
		t.Fatalf("fifth record = %d %v %v; want refused, run of 5", n, ok, err)
	}
	if err := s.SyncRuns(ctx); err != nil {
		t.Fatal(err)
	}
	// The expiry runs by a clock 10 minutes past the closing's end.
	if _, err := s.ExpireCounters(ctx, closedAt.Add(p.Window+10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// A dial decided by a clock 20 minutes behind still finds the key
	// closed in memory...
	behind := closedAt.Add(p.Window - 10*time.Minute)
	if n, err := s.RunLength(ctx, "k", 5000, behind, p); err != nil || n != 5 {
		t.Fatalf("before the reopen: RunLength = %d, %v; want 5 (closed)", n, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, path, Options{})
	defer s.Close()
	if n, err := s.RunLength(ctx, "k", 5000, behind, p); err != nil || n != 5 {
		t.Errorf("after the expiry and a reopen: RunLength = %d, %v; want 5 (the key closed until %v)", n, err, closedAt.Add(p.Window))
	}
	if _, ok, err := s.RecordRun(ctx, "d5", "k", 5000, behind, p); err != nil || ok {
		t.Errorf("after the expiry and a reopen: RecordRun = %v, %v; want refused (closed)", ok, err)
	}
}
