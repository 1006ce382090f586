package boltstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// copyStoreFiles copies the store file at path and its journal segments
// into dir, as a kill -9 at this instant leaves them (every write made so
// far is in the page cache, which survives a process's death), and returns
// the copy's path.
func copyStoreFiles(t *testing.T, path, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), filepath.Base(path)) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(filepath.Dir(path), e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, filepath.Base(path))
}

// A key's closing is durable once the call that closed it returns: the
// dial it denies is answered with it, and a dialer told "denied" that
// skips ahead in the segment after a kill -9 must still find the segment
// closed. The closing used to be queued and not waited for, so a crash
// between the answer and the next group commit reopened the segment (the
// values recorded before do not make a run with a number far from them).
func TestClosingDurableWhenRefusalReturns(t *testing.T) {
	ctx := context.Background()
	p := storage.RunParams{MinRun: 5, MaxGap: 0, Window: 24 * time.Hour}
	for _, viaRunLength := range []bool{false, true} {
		t.Run("RunLength="+strconv.FormatBool(viaRunLength), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "p.db")
			s := mustOpen(t, path, Options{})
			for i := 0; i < 4; i++ {
				if _, ok, err := s.RecordRun(ctx, "d"+strconv.Itoa(i), "k", 100+i, jt0, p); err != nil || !ok {
					t.Fatalf("record %d: %v %v", i, ok, err)
				}
			}
			if err := s.SyncRuns(ctx); err != nil {
				t.Fatal(err)
			}
			s.Close()
			// Every group commit from now on waits a second first: the
			// refusal's answer comes well before its batch is written.
			s = mustOpen(t, path, Options{MaxBatchDelay: time.Second})
			defer s.Close()
			var n int
			var err error
			if viaRunLength {
				n, err = s.RunLength(ctx, "k", 104, jt0, p)
			} else {
				n, _, err = s.RecordRun(ctx, "d4", "k", 104, jt0, p)
			}
			if err != nil || n != 5 {
				t.Fatalf("the fifth value = %d, %v; want a run of 5", n, err)
			}
			crashed := copyStoreFiles(t, path, t.TempDir())
			c := mustOpen(t, crashed, Options{})
			defer c.Close()
			if n, err := c.RunLength(ctx, "k", 5000, jt0.Add(time.Minute), p); err != nil || n != 5 {
				t.Errorf("after a kill -9 right after the refusal: RunLength of a number far ahead = %d, %v; want 5 (the key closed)", n, err)
			}
		})
	}
}

// A dial that finds a key closed by a closing still being written waits
// for it too: its deny is answered only once the closing is durable.
func TestClosedKeyAnswerWaitsForItsClosing(t *testing.T) {
	ctx := context.Background()
	p := storage.RunParams{MinRun: 5, MaxGap: 0, Window: 24 * time.Hour}
	path := filepath.Join(t.TempDir(), "p.db")
	s := mustOpen(t, path, Options{})
	for i := 0; i < 4; i++ {
		if _, ok, err := s.RecordRun(ctx, "d"+strconv.Itoa(i), "k", 100+i, jt0, p); err != nil || !ok {
			t.Fatalf("record %d: %v %v", i, ok, err)
		}
	}
	if err := s.SyncRuns(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = mustOpen(t, path, Options{MaxBatchDelay: 2 * time.Second})
	defer s.Close()
	closer := make(chan error, 1)
	go func() {
		n, err := s.RunLength(ctx, "k", 104, jt0, p)
		if err == nil && n != 5 {
			err = fmt.Errorf("run of %d, want 5", n)
		}
		closer <- err
	}()
	time.Sleep(300 * time.Millisecond) // the closing is queued, not written
	for _, viaRecord := range []bool{false, true} {
		var n int
		var err error
		if viaRecord {
			n, _, err = s.RecordRun(ctx, "d9", "k", 6000, jt0, p)
		} else {
			n, err = s.RunLength(ctx, "k", 5000, jt0, p)
		}
		if err != nil || n != 5 {
			t.Fatalf("a dial into the closed key = %d, %v; want 5", n, err)
		}
		crashed := copyStoreFiles(t, path, t.TempDir())
		c := mustOpen(t, crashed, Options{})
		if n, err := c.RunLength(ctx, "k", 7000, jt0.Add(time.Minute), p); err != nil || n != 5 {
			t.Errorf("record=%v: after a kill -9 right after a deny by the closed key: RunLength = %d, %v; want 5 (closed)", viaRecord, n, err)
		}
		c.Close()
	}
	if err := <-closer; err != nil {
		t.Fatal(err)
	}
}
