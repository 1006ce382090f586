package auditlog

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// With CheckpointInterval set, a record is sealed by a signed checkpoint
// (in the log and in the checkpoint file) within about that interval, however
// few records follow it: a quiet log's records do not stay unsealed — open to
// an undetected edit — until thousands more arrive or the log is closed.
func TestCheckpointInterval(t *testing.T) {
	k := newTestKeys(t, "test-log")
	dir := t.TempDir()
	opts := testOptions(k)
	opts.CheckpointInterval = 20 * time.Millisecond
	l := openTest(t, dir, opts)
	defer l.Close()
	if err := l.RecordDecision(context.Background(), sampleDecision(0)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(filepath.Join(dir, CheckpointFile))
		if err == nil {
			cp, err := unverifiedCheckpoint(b)
			if err != nil {
				t.Fatal(err)
			}
			if cp.Tree.N != 1 {
				t.Fatalf("the checkpoint signs %d records, want 1", cp.Tree.N)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint 10s after a record, with CheckpointInterval 20ms")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Idle, the log writes no further checkpoint.
	before, err := os.ReadFile(filepath.Join(dir, fileName(1)))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	after, err := os.ReadFile(filepath.Join(dir, fileName(1)))
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("an idle log grew from %d to %d bytes", len(before), len(after))
	}
}

func TestCheckpointIntervalNegative(t *testing.T) {
	k := newTestKeys(t, "test-log")
	opts := testOptions(k)
	opts.CheckpointInterval = -time.Second
	if _, err := Open(context.Background(), t.TempDir(), opts); err == nil {
		t.Fatal("Open accepted a negative CheckpointInterval")
	}
}
