package auditlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tornOffsetsLines is how many of the last lines of the log the offset
// tests cut into and damage.
const tornOffsetsLines = 4

// crashSnapshot writes n decisions, each acknowledged before the next, and
// returns the files of dir as a crash right after the last one leaves them
// (the log not closed: no closing checkpoint), by name.
func crashSnapshot(t *testing.T, opts Options, n int) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	l := openTest(t, dir, opts)
	for i := range n {
		if err := l.RecordDecision(context.Background(), sampleDecision(i)); err != nil {
			t.Fatal(err)
		}
	}
	snap := dirSnapshot(t, dir)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := snap[fileName(1)]; !ok || len(snap[fileName(1)]) == 0 {
		t.Fatalf("snapshot without %s: %v", fileName(1), snap)
	}
	return snap
}

// dirSnapshot returns the regular files of dir, by name.
func dirSnapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	snap := map[string][]byte{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		snap[e.Name()] = b
	}
	return snap
}

// restore writes snap into a new directory, with log file 1 replaced by
// log, and returns the directory.
func restore(t *testing.T, snap map[string][]byte, log []byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, b := range snap {
		if name == fileName(1) {
			b = log
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// lineEnds returns the offset just past each line of b.
func lineEnds(b []byte) []int {
	var ends []int
	for i, c := range b {
		if c == '\n' {
			ends = append(ends, i+1)
		}
	}
	return ends
}

// A crash can leave the log cut at any byte of its last lines. Cut at each
// offset of them, Open either starts with exactly the complete lines (a
// cut at a line boundary) and Verify passes, or refuses naming the file: a
// cut line is a *TornError at the line's start, which Repair cuts and
// records, after which the log opens and verifies with every complete line
// kept; a cut into what the checkpoint file signs is ErrCorrupt.
func TestLogCutAtEveryOffset(t *testing.T) {
	k := newTestKeys(t, "test-log")
	opts := testOptions(k)
	snap := crashSnapshot(t, opts, 12)
	log := snap[fileName(1)]
	ends := lineEnds(log)
	if ends[len(ends)-1] != len(log) {
		t.Fatalf("the snapshot's last line is not complete")
	}
	from := ends[len(ends)-1-tornOffsetsLines]
	ctx := context.Background()
	for cut := from; cut <= len(log); cut += step(cut, ends) {
		dir := restore(t, snap, log[:cut])
		name := filepath.Join(dir, fileName(1))
		complete := 0 // lines wholly before the cut
		for _, e := range ends {
			if e <= cut {
				complete++
			}
		}
		l, err := Open(ctx, dir, opts)
		var torn *TornError
		switch {
		case err == nil:
			if complete == 0 || ends[complete-1] != cut {
				l.Close()
				t.Fatalf("cut at %d (inside a line): Open started", cut)
			}
			l.Close()
		case errors.As(err, &torn):
			if torn.File != name || torn.Offset != int64(ends[complete-1]) {
				t.Fatalf("cut at %d: %+v, want the file %s torn at %d", cut, torn, name, ends[complete-1])
			}
			recs, err := Repair(ctx, dir, opts)
			if err != nil || len(recs) != 1 {
				t.Fatalf("cut at %d: Repair: %+v, %v", cut, recs, err)
			}
		case errors.Is(err, ErrCorrupt):
			if !strings.Contains(err.Error(), fileName(1)) && !strings.Contains(err.Error(), CheckpointFile) {
				t.Fatalf("cut at %d: %v names neither the log file nor the checkpoint file", cut, err)
			}
			continue
		default:
			t.Fatalf("cut at %d: Open: %v", cut, err)
		}
		after, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(after, log[:ends[complete-1]]) {
			t.Fatalf("cut at %d: the complete lines changed", cut)
		}
		files, err := LogFiles(dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Verify(ctx, files, VerifyOptions{Verifiers: k.verifiers, Dir: dir}); err != nil {
			t.Fatalf("cut at %d: Verify: %v", cut, err)
		}
	}
}

// A byte damaged in any line that another line follows is never
// accepted: Open refuses (ErrCorrupt: the next line's prev no longer
// matches) rather than start on a log with a damaged record. The last line
// has no line after it and nothing else hashes it until the next
// checkpoint: what a crash can leave there — its newline persisted but not
// every sector before it (zeros, as a file's unwritten extension reads) —
// is refused too (it is no JSON record), or is a torn line or torn write
// (whole sectors of zeros in the last write: TestLogZeroedPageOfLastBatch)
// that Repair cuts and records.
func TestLogDamageAtEveryOffset(t *testing.T) {
	k := newTestKeys(t, "test-log")
	opts := testOptions(k)
	snap := crashSnapshot(t, opts, 12)
	log := snap[fileName(1)]
	ends := lineEnds(log)
	ctx := context.Background()
	refused := func(what string, b []byte) {
		t.Helper()
		l, err := Open(ctx, restore(t, snap, b), opts)
		if err == nil {
			l.Close()
			t.Fatalf("%s: Open started on the damaged log", what)
		}
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrTorn) {
			t.Fatalf("%s: %v, want ErrCorrupt or ErrTorn", what, err)
		}
	}
	lastStart := ends[len(ends)-2]
	for off := ends[len(ends)-1-tornOffsetsLines]; off < lastStart; off += step(off, ends) {
		b := bytes.Clone(log)
		b[off] ^= 0x20
		refused(fmt.Sprintf("flip at %d (last line at %d)", off, lastStart), b)
	}
	const sector = 512
	for at := lastStart / sector * sector; at < len(log)-1; at += sector {
		b := bytes.Clone(log)
		for i := max(at, lastStart); i < min(at+sector, len(log)-1); i++ {
			b[i] = 0
		}
		refused(fmt.Sprintf("sector at %d of the last line unwritten", at), b)
	}
}

// step is the stride of the offset tests: every offset with
// DIALGATE_TEST_EVERY_OFFSET set, else every offset within 3 bytes of a line
// boundary and every 17th elsewhere (each offset opens a log; the lines are
// about 1 KB).
func step(off int, ends []int) int {
	if os.Getenv("DIALGATE_TEST_EVERY_OFFSET") != "" {
		return 1
	}
	for _, e := range ends {
		if off >= e-3 && off < e+3 {
			return 1
		}
	}
	return 17
}
