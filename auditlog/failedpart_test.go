package auditlog

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate/internal/durable"
)

// A batch written in parts whose second part's sync fails is answered with
// an error, though its first part was synced: the file is cut back to the
// batch's start (the synced first part too) and the cut synced, so no
// record of a denied decision stays; the log reopens and verifies with the
// acknowledged records only.
func TestFailedLaterPartLeavesNoRecord(t *testing.T) {
	k := newTestKeys(t, "test-log")
	opts := testOptions(k)
	var hold, armed atomic.Bool
	var syncs atomic.Int32
	var sizes []int64 // the writer goroutine's
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	opts.syncData = func(f *os.File) error {
		if hold.CompareAndSwap(true, false) {
			entered <- struct{}{}
			<-release
		}
		if armed.Load() {
			fi, err := f.Stat()
			if err != nil {
				return err
			}
			sizes = append(sizes, fi.Size())
			if syncs.Add(1) == 2 {
				return errors.New("EIO")
			}
		}
		return durable.SyncData(f)
	}
	dir := t.TempDir()
	l := openTest(t, dir, opts)
	ctx := context.Background()
	if err := l.RecordDecision(ctx, sampleDecision(0)); err != nil {
		t.Fatal(err)
	}
	hold.Store(true)
	done := make(chan error, 1)
	go func() { done <- l.RecordDecision(ctx, sampleDecision(1)) }()
	<-entered
	fi, err := os.Stat(filepath.Join(dir, fileName(1)))
	if err != nil {
		t.Fatal(err)
	}
	batchStart := fi.Size()
	const n = 1200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- l.RecordDecision(ctx, sampleDecision(2+i)) }()
	}
	for {
		l.mu.Lock()
		queued := len(l.cur.bodies)
		l.mu.Unlock()
		if queued == n {
			break
		}
		<-time.After(time.Millisecond)
	}
	armed.Store(true)
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if !errors.Is(err, ErrFailed) {
			t.Fatalf("a caller of the failed batch: %v, want ErrFailed", err)
		}
	}
	l.Close()
	if len(sizes) < 3 || sizes[0]-batchStart > maxWriteBytes || sizes[1] <= sizes[0] {
		t.Fatalf("syncs at sizes %v from %d: the batch was not written in parts", sizes, batchStart)
	}
	if sizes[2] != batchStart {
		t.Errorf("the cut's sync saw %d bytes, want the batch's start %d", sizes[2], batchStart)
	}
	b, err := os.ReadFile(filepath.Join(dir, fileName(1)))
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) != batchStart {
		t.Fatalf("the file is %d bytes after the failed batch, want %d (its start)", len(b), batchStart)
	}
	if bytes.Contains(b, []byte(`"id":"`+sampleDecision(2).ID+`"`)) {
		t.Error("a record of the failed batch's synced first part is in the file")
	}
	l2 := openTest(t, dir, testOptions(k))
	files, rep := sealVerified(t, l2, dir, k)
	if rep.Decisions != 2 {
		t.Errorf("%v: %d decisions, want 2", files, rep.Decisions)
	}
}
