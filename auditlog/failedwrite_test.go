package auditlog

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A batch whose sync fails is answered with an error, and the Gate denies
// its decisions (audit.unavailable). Its records must not stay in the file
// (an fsync error leaves the written bytes in an unknown state): found there
// after a restart, they would show allowed decisions that were denied, with
// no released outcome after them, since the failed log takes no more.
func TestFailedSyncLeavesNoRecord(t *testing.T) {
	k := newTestKeys(t, "test-log")
	dir := t.TempDir()
	opts := testOptions(k)
	fail := false
	opts.syncData = func(f *os.File) error {
		if fail {
			fail = false // the undo's own sync succeeds
			return errors.New("EIO")
		}
		return f.Sync()
	}
	l := openTest(t, dir, opts)
	ctx := context.Background()
	if err := l.RecordDecision(ctx, sampleDecision(0)); err != nil {
		t.Fatal(err)
	}
	fail = true // read by the writer only after this call hands it the batch
	if err := l.RecordDecision(ctx, sampleDecision(1)); !errors.Is(err, ErrFailed) {
		t.Fatalf("RecordDecision with a failing sync: %v, want ErrFailed", err)
	}
	l.Close()
	b, err := os.ReadFile(filepath.Join(dir, fileName(1)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"id":"`+sampleDecision(0).ID+`"`)) {
		t.Fatal("the acknowledged record is gone")
	}
	if bytes.Contains(b, []byte(`"id":"`+sampleDecision(1).ID+`"`)) {
		t.Errorf("the record whose sync failed is in the file:\n%s", b)
	}
	// The log reopens (no torn line) and verifies.
	l2 := openTest(t, dir, testOptions(k))
	files, rep := sealVerified(t, l2, dir, k)
	if rep.Decisions != 1 {
		t.Errorf("%v: %d decisions, want 1", files, rep.Decisions)
	}
}

// TestStatsCountOnlyDurableRecords: Stats counts "records written and
// fsynced", but a batch was counted before its write: one whose sync
// failed (its callers answered with an error, its records cut off the
// file) was counted as written.
func TestStatsCountOnlyDurableRecords(t *testing.T) {
	k := newTestKeys(t, "test-log")
	opts := testOptions(k)
	fail := false
	opts.syncData = func(f *os.File) error {
		if fail {
			fail = false // the undo's own sync succeeds
			return errors.New("EIO")
		}
		return f.Sync()
	}
	l := openTest(t, t.TempDir(), opts)
	defer l.Close()
	ctx := context.Background()
	if err := l.RecordDecision(ctx, sampleDecision(0)); err != nil {
		t.Fatal(err)
	}
	fail = true
	if err := l.RecordDecision(ctx, sampleDecision(1)); !errors.Is(err, ErrFailed) {
		t.Fatalf("RecordDecision with a failing sync: %v, want ErrFailed", err)
	}
	if st := l.Stats(); st.Records != 1 || st.Batches != 1 {
		t.Errorf("Stats: %+v, want the 1 record (1 batch) made durable", st)
	}
}
