package auditlog

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cutLastRecords returns the content of file with its last n lines removed,
// and with the first half of the line before them left (a torn tail) when
// torn is set.
func cutLastRecords(t *testing.T, file string, n int, torn bool) []byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(b, []byte("\n"))
	lines = lines[:len(lines)-1] // the empty piece after the last newline
	if n+1 > len(lines) {
		t.Fatalf("%s has %d lines, cannot cut %d", file, len(lines), n)
	}
	keep := bytes.Join(lines[:len(lines)-n], nil)
	if torn {
		last := lines[len(lines)-n]
		keep = append(keep, last[:len(last)/2]...)
	}
	return keep
}

// An attacker who can write the log directory cuts sealed records off the
// end of the last file, leaving half a line as a crash would. The
// directory's checkpoint file still signs the records cut: a torn tail left
// by a crash never holds a record a published checkpoint signs (the
// checkpoint file is written only after its records are synced). Repair —
// which dialgate serve runs by itself at start — must refuse rather than
// re-sign the shortened log and overwrite the checkpoint file, which would
// erase the one proof of the cut the directory holds.
func TestRepairRefusesToCutSignedRecords(t *testing.T) {
	k := newTestKeys(t, "test-log")
	dir := t.TempDir()
	opts := testOptions(k)
	files := writeLog(t, dir, opts, 12) // closed: sealed, the checkpoint file signs every record
	before, err := os.ReadFile(filepath.Join(dir, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	// Cut the closing checkpoint, 3 records, and half of a fourth.
	if err := os.WriteFile(files[0], cutLastRecords(t, files[0], 5, true), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Open(context.Background(), dir, opts)
	if !errors.Is(err, ErrCorrupt) || errors.Is(err, ErrTorn) {
		t.Fatalf("Open: %v; want ErrCorrupt (records the checkpoint file signs are missing), not a torn tail", err)
	}
	recs, err := Repair(context.Background(), dir, opts)
	if !errors.Is(err, ErrCorrupt) || recs != nil {
		t.Fatalf("Repair: %+v, %v; want ErrCorrupt, nothing repaired", recs, err)
	}
	after, err := os.ReadFile(filepath.Join(dir, CheckpointFile))
	if err != nil || !bytes.Equal(before, after) {
		t.Fatalf("the checkpoint file changed (err %v): the proof of the cut is gone", err)
	}
	rep, err := Verify(context.Background(), files, VerifyOptions{Verifiers: k.verifiers, Trusted: after})
	var verr *VerifyError
	if !errors.As(err, &verr) {
		t.Fatalf("Verify with the directory's checkpoint file: %+v, %v; want a VerifyError", rep, err)
	}
}

// A log cut short at a line boundary (no torn tail), or whose records were
// rewritten (the chain recomputed from an edited record on: here another
// log of the same key, every record different), no longer holds the tree
// its checkpoint file signs: Open refuses it rather than append to it and
// seal the cut or rewrite with a new signature.
func TestOpenRefusesLogNotMatchingCheckpointFile(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(t *testing.T, dir string, opts Options)
	}{
		{"cut at a line boundary", func(t *testing.T, dir string, opts Options) {
			f := filepath.Join(dir, fileName(1))
			if err := os.WriteFile(f, cutLastRecords(t, f, 3, false), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"rewritten", func(t *testing.T, dir string, opts Options) {
			other := t.TempDir()
			writeLog(t, other, opts, 13)
			b, err := os.ReadFile(filepath.Join(other, fileName(1)))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, fileName(1)), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := newTestKeys(t, "test-log")
			dir := t.TempDir()
			opts := testOptions(k)
			writeLog(t, dir, opts, 12)
			tc.edit(t, dir, opts)
			_, err := Open(context.Background(), dir, opts)
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), CheckpointFile) {
				t.Fatalf("Open: %v; want ErrCorrupt naming the checkpoint file", err)
			}
		})
	}
}

// A crash tears only bytes written after the checkpoint file was
// published: Repair still repairs such a log (the common case the check
// above must not break).
func TestRepairAfterCrashPastCheckpointFile(t *testing.T) {
	k := newTestKeys(t, "test-log")
	dir := t.TempDir()
	opts := testOptions(k)
	files := sealedThenUnsealed(t, dir, opts)
	// The next write torn by the crash.
	appendToFile(t, files[0], []byte(`{"schema":"dialgate.audit.v1","seq":6,"kind":"dec`))
	recs, err := Repair(context.Background(), dir, opts)
	if err != nil || len(recs) != 1 {
		t.Fatalf("Repair: %+v, %v", recs, err)
	}
}

// Removing the newline of the last record (acknowledged, not yet sealed)
// makes it look torn: Repair cuts it off and records the cut, as for a
// crash. A crash leaves part of a line, not a whole record: Verify, given
// the directory, names the repair records whose saved bytes are a whole
// record, so that the summary does not pass the cut off as a crash's.
func TestVerifyNamesWholeRecordCut(t *testing.T) {
	k := newTestKeys(t, "test-log")
	dir := t.TempDir()
	opts := testOptions(k)
	files := sealedThenUnsealed(t, dir, opts)
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(files[0], bytes.TrimSuffix(b, []byte("\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	recs, err := Repair(context.Background(), dir, opts)
	if err != nil || len(recs) != 1 {
		t.Fatalf("Repair: %+v, %v", recs, err)
	}
	rep, err := Verify(context.Background(), files, VerifyOptions{Verifiers: k.verifiers, Dir: dir})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if len(rep.WholeRecordCuts) != 1 || rep.WholeRecordCuts[0] != recs[0] || len(rep.ZeroedWriteCuts) != 0 {
		t.Fatalf("WholeRecordCuts %+v, want the repair %+v", rep.WholeRecordCuts, recs[0])
	}
	// SavedWholeRecord (what `dialgate audit repair` and serve say of the
	// cuts they make) classifies it as Verify does.
	if whole, err := SavedWholeRecord(dir, recs[0]); err != nil || !whole {
		t.Fatalf("SavedWholeRecord of a whole record's cut: %v, %v", whole, err)
	}
	// A crash's cut (part of a line) is not named.
	dir2 := t.TempDir()
	files2 := writeLog(t, dir2, opts, 4)
	appendToFile(t, files2[0], []byte(`{"schema":"dialgate.audit.v1","seq":5,"kind":"dec`))
	recs2, err := Repair(context.Background(), dir2, opts)
	if err != nil || len(recs2) != 1 {
		t.Fatalf("Repair: %+v, %v", recs2, err)
	}
	rep, err = Verify(context.Background(), files2, VerifyOptions{Verifiers: k.verifiers, Dir: dir2})
	if err != nil || len(rep.WholeRecordCuts) != 0 || len(rep.ZeroedWriteCuts) != 0 || rep.Repairs != 1 {
		t.Fatalf("Verify after a crash's cut: %+v, %v; want 1 repair, no whole record cut, no zeroed write cut", rep, err)
	}
	if whole, err := SavedWholeRecord(dir2, recs2[0]); err != nil || whole {
		t.Fatalf("SavedWholeRecord of a crash's cut: %v, %v", whole, err)
	}
	// Saved bytes that are no longer the cut are an error, as for Verify.
	if err := os.WriteFile(filepath.Join(dir2, recs2[0].SavedAs), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	var verr *VerifyError
	if whole, err := SavedWholeRecord(dir2, recs2[0]); !errors.As(err, &verr) || verr.Problem != ProblemEdited || whole {
		t.Fatalf("SavedWholeRecord of changed saved bytes: %v, %v; want a VerifyError (edited)", whole, err)
	}
}

// sealedThenUnsealed writes a closed (sealed) log of 4 decisions and their
// outcomes to dir, then one more decision, and "crashes": the log is left
// unclosed, its lock released, the last record unsealed. It returns the
// log's files.
func sealedThenUnsealed(t *testing.T, dir string, opts Options) []string {
	t.Helper()
	files := writeLog(t, dir, opts, 4)
	l := openTest(t, dir, opts)
	if err := l.RecordDecision(context.Background(), sampleDecision(40)); err != nil {
		t.Fatal(err)
	}
	if err := unlockFile(l.lock); err != nil {
		t.Fatal(err)
	}
	return files
}
