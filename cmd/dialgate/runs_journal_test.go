package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
)

// TestRunsJournal: what check records in runsJournalFile is there for the
// next check — recorded values, a closed key, a release — a torn last line
// is ignored, a line that does not parse fails the open, and calls that
// can count no more are dropped from the file.
func TestRunsJournal(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p := storage.RunParams{MinRun: 3, MaxGap: 0, Window: time.Hour}
	t0 := time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC)
	j, err := openRunsJournal(ctx, dir, t0)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range []int{10, 11} {
		if _, ok, err := j.RecordRun(ctx, "d"+string(rune('0'+i)), "k", x, t0, p); err != nil || !ok {
			t.Fatalf("record %d: %v %v", x, ok, err)
		}
	}
	if err := j.ReleaseRun(ctx, "unknown"); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	// The next process: 12 would make a run of 3.
	j, err = openRunsJournal(ctx, dir, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if n, ok, err := j.RecordRun(ctx, "d2", "k", 12, t0.Add(time.Minute), p); err != nil || ok || n != 3 {
		t.Fatalf("12 after 10 and 11 journaled: n %d ok %v err %v; want a run of 3, refused", n, ok, err)
	}
	j.Close()
	// The key stays closed for the next one: 50 is refused too.
	j, err = openRunsJournal(ctx, dir, t0.Add(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if n, ok, err := j.RecordRun(ctx, "d3", "other-key", 50, t0.Add(2*time.Minute), p); err != nil || !ok || n != 0 {
		t.Fatalf("another key: %d %v %v", n, ok, err)
	}
	if _, ok, err := j.RecordRun(ctx, "d4", "k", 50, t0.Add(2*time.Minute), p); err != nil || ok {
		t.Fatalf("a closed key recorded 50 after a restart: ok %v err %v", ok, err)
	}
	if err := j.ReleaseRun(ctx, "d3"); err != nil {
		t.Fatal(err)
	}
	j.Close()
	path := filepath.Join(dir, runsJournalFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), `"unknown"`) {
		t.Errorf("the release of an id never recorded was journaled:\n%s", b)
	}
	// A torn last line is ignored (and dropped).
	if err := os.WriteFile(path, append(b, `{"op":"rec`...), 0o600); err != nil {
		t.Fatal(err)
	}
	j, err = openRunsJournal(ctx, dir, t0.Add(3*time.Minute))
	if err != nil {
		t.Fatalf("torn last line: %v", err)
	}
	if n, ok, err := j.RecordRun(ctx, "d5", "other-key", 51, t0.Add(3*time.Minute), p); err != nil || !ok || n != 0 {
		t.Fatalf("51 after 50 released: %d %v %v", n, ok, err)
	}
	j.Close()
	if b2, _ := os.ReadFile(path); strings.Contains(string(b2), `{"op":"rec`+"\n") || !strings.HasSuffix(string(b2), "\n") {
		t.Errorf("the torn line stayed:\n%s", b2)
	}
	// Two windows and the prune margin later every call is dropped.
	later := t0.Add(2*time.Hour + storage.PruneMargin + 4*time.Minute)
	j, err = openRunsJournal(ctx, dir, later)
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	if b2, err := os.ReadFile(path); err != nil || len(b2) != 0 {
		t.Errorf("after the windows: %q %v; want an empty journal", b2, err)
	}
	// A line that does not parse: the state is unknown, no decision.
	if err := os.WriteFile(path, []byte("not json\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := openRunsJournal(ctx, dir, later); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("a damaged journal: %v; want an error naming line 1", err)
	}
}
