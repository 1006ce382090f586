package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
)

// TestRunsJournalWriteFailureLeavesItReadable: a write of the journal that
// fails part-way (a full disk) left its first bytes at the end of the
// file, and the next line check appended in the same process (the Gate
// releases the decision the failure denied) was glued to them: a line in
// the middle of the journal that does not parse, so every later check
// failed (exit 1) until someone repaired the file by hand. After a failed
// write the journal is cut back to its last whole line and takes no more
// lines in that process (each is an error: the decision denies); the next
// check reads it.
func TestRunsJournalWriteFailureLeavesItReadable(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p := storage.RunParams{MinRun: 3, MaxGap: 0, Window: time.Hour}
	t0 := time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC)
	j, err := openRunsJournal(ctx, dir, t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := j.RecordRun(ctx, "d0", "k", 10, t0, p); err != nil || !ok {
		t.Fatalf("record 10: %v %v", ok, err)
	}
	full := errors.New("no space left on device")
	j.write = func(f *os.File, b []byte) (int, error) {
		n, _ := f.Write(b[:len(b)/2])
		return n, full
	}
	if _, _, err := j.RecordRun(ctx, "d1", "k", 11, t0, p); !errors.Is(err, full) {
		t.Fatalf("record with a failing write: %v; want the write's error", err)
	}
	j.write = nil
	// The Gate releases what the denied decision recorded.
	for _, id := range []string{"d1", "d0"} {
		_ = j.ReleaseRun(ctx, id)
	}
	j.Close()
	j, err = openRunsJournal(ctx, dir, t0.Add(time.Minute))
	if err != nil {
		b, _ := os.ReadFile(filepath.Join(dir, runsJournalFile))
		t.Fatalf("the next check after a failed write: %v; want the journal read\n%s", err, b)
	}
	j.Close()
}

// TestRunsJournalRewrittenOnlyWhenMostlyStale: every check rewrote (and
// synced) the whole journal as soon as one line had aged out — with dials
// flowing, every check, the file being up to two windows of lines (a check
// per dial: one line or more a dial). The journal is now rewritten when
// the lines that count no more are at least as long as those kept (or the
// last line is torn): it stays below twice what counts, and most checks
// only read it.
func TestRunsJournalRewrittenOnlyWhenMostlyStale(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, runsJournalFile)
	p := storage.RunParams{MinRun: 3, MaxGap: 0, Window: time.Hour}
	t0 := time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC)
	// One record at t0, four an hour later (none makes a run: 10 apart).
	j, err := openRunsJournal(ctx, dir, t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := j.RecordRun(ctx, "old", "k", 0, t0, p); err != nil || !ok {
		t.Fatal(ok, err)
	}
	for i := range 4 {
		id := "new" + string(rune('0'+i))
		if _, ok, err := j.RecordRun(ctx, id, "k", 10*(i+1), t0.Add(time.Hour), p); err != nil || !ok {
			t.Fatal(ok, err)
		}
	}
	j.Close()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The first record ages out; four fifths of the journal still count.
	mid := t0.Add(2*time.Hour + storage.PruneMargin + time.Minute)
	if j, err = openRunsJournal(ctx, dir, mid); err != nil {
		t.Fatal(err)
	}
	j.Close()
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Errorf("one line of five aged out: the journal was rewritten\nbefore:\n%s\nafter:\n%s", before, after)
	}
	// Every record aged out: the journal is rewritten, empty.
	if j, err = openRunsJournal(ctx, dir, mid.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	j.Close()
	if after, err := os.ReadFile(path); err != nil || len(after) != 0 {
		t.Errorf("every line aged out: %q %v; want an empty journal", after, err)
	}
}

// TestRunsJournalClosedTakesNoLines: a check the Gate gave up on (its
// check timeout) may still be running when check closes the journal and
// the store, whose lock keeps other checks out: its line reopened the
// journal and was written with no lock held, where another check may be
// writing. A closed journal takes no more lines.
func TestRunsJournalClosedTakesNoLines(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p := storage.RunParams{MinRun: 3, MaxGap: 0, Window: time.Hour}
	t0 := time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC)
	j, err := openRunsJournal(ctx, dir, t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := j.RecordRun(ctx, "d0", "k", 10, t0, p); err != nil || !ok {
		t.Fatal(ok, err)
	}
	j.Close()
	before, _ := os.ReadFile(filepath.Join(dir, runsJournalFile))
	if _, _, err := j.RecordRun(ctx, "d1", "k", 20, t0, p); err == nil {
		t.Error("a record after Close: no error")
	}
	if after, _ := os.ReadFile(filepath.Join(dir, runsJournalFile)); string(after) != string(before) {
		t.Errorf("a record after Close was written:\n%s", after)
	}
}
