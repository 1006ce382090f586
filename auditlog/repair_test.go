package auditlog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// A crash during Repair, after the torn bytes were saved and cut but before
// the repair record was durable, leaves a new torn tail at the same offset.
// Repairing that must not overwrite the bytes the first repair saved.
func TestRepairInterruptedKeepsSavedBytes(t *testing.T) {
	k := newTestKeys(t, "test-log")
	dir := t.TempDir()
	opts := testOptions(k)
	files := writeLog(t, dir, opts, 5)
	first := []byte(`{"schema":"dialgate.audit.v1","seq":6,"prev":"first-crash`)
	appendToFile(t, files[0], first)
	_, err := Open(context.Background(), dir, opts)
	var torn *TornError
	if !errors.As(err, &torn) {
		t.Fatalf("Open: %v, want *TornError", err)
	}
	// Repair's first step, then the crash in the middle of its repair record.
	if err := cutTail(torn); err != nil {
		t.Fatal(err)
	}
	appendToFile(t, files[0], []byte(`{"schema":"dialgate.audit.v1","seq":6,"prev":"second-crash`))

	recs, err := Repair(context.Background(), dir, opts)
	// Both cuts are recorded, the first one's (which the crash left
	// unrecorded) first.
	if err != nil || len(recs) != 2 || recs[0].CutSHA256 != sha(first) || recs[0].SavedAs != filepath.Base(files[0])+".torn-"+strconv.FormatInt(torn.Offset, 10) {
		t.Fatalf("Repair: %+v, %v", recs, err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if e.Name() != fileName(1) && bytes.Equal(b, first) {
			found = true
		}
	}
	if !found {
		t.Fatalf("the bytes the first repair cut and saved are gone (files %v)", ents)
	}
	rep, err := Verify(context.Background(), files, VerifyOptions{Verifiers: k.verifiers})
	if err != nil || rep.Repairs != 2 {
		t.Fatalf("Verify: %+v, %v; want 2 repair records", rep, err)
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// A crash during Repair after it cut the torn line off and before its
// repair record was durable leaves a log whose lines are all complete: Open
// must not start on it with the cut unmentioned, and Repair records the cut.
func TestRepairRecordsCutLeftUnrecorded(t *testing.T) {
	k := newTestKeys(t, "test-log")
	dir := t.TempDir()
	opts := testOptions(k)
	files := writeLog(t, dir, opts, 5)
	torn := []byte(`{"schema":"dialgate.audit.v1","seq":5,"prev":"crash`)
	appendToFile(t, files[0], torn)
	_, err := Open(context.Background(), dir, opts)
	var te *TornError
	if !errors.As(err, &te) {
		t.Fatalf("Open: %v, want *TornError", err)
	}
	if err := cutTail(te); err != nil { // Repair's first step, then the crash
		t.Fatal(err)
	}
	// A file that only looks like a saved cut is not one.
	if err := os.WriteFile(filepath.Join(dir, "audit-000001.jsonl.torn-12.tmp"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}

	_, err = Open(context.Background(), dir, opts)
	var unrec *UnrecordedCutError
	if !errors.As(err, &unrec) || !errors.Is(err, ErrTorn) || len(unrec.Saved) != 1 {
		t.Fatalf("Open after an interrupted repair: %v, want *UnrecordedCutError wrapping ErrTorn naming one file", err)
	}
	recs, err := Repair(context.Background(), dir, opts)
	if err != nil || len(recs) != 1 || recs[0].Offset != te.Offset || recs[0].CutBytes != int64(len(torn)) || recs[0].CutSHA256 != sha(torn) {
		t.Fatalf("Repair: %+v, %v", recs, err)
	}
	if recs, err := Repair(context.Background(), dir, opts); recs != nil || err != nil {
		t.Fatalf("second Repair: %+v, %v; want nothing to repair", recs, err)
	}
	l := openTest(t, dir, opts)
	if err := l.RecordDecision(context.Background(), sampleDecision(99)); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(context.Background(), files, VerifyOptions{Verifiers: k.verifiers})
	if err != nil || rep.Repairs != 1 {
		t.Fatalf("Verify: %+v, %v; want 1 repair record", rep, err)
	}
}

// A torn tail longer than MaxLineBytes (a crash can leave a batch's worth of
// zeros after the last durable line: the file's size was updated, its data
// not) is cut off whole, so all of it must be saved: the saved file and the
// repair record must account for every byte Repair removed from the log.
func TestRepairSavesAnOverlongTornTailWhole(t *testing.T) {
	k := newTestKeys(t, "test-log")
	dir := t.TempDir()
	opts := testOptions(k)
	files := writeLog(t, dir, opts, 3)
	before, err := os.Stat(files[0])
	if err != nil {
		t.Fatal(err)
	}
	tail := make([]byte, MaxLineBytes+200<<10) // zeros, no newline
	copy(tail, `{"schema":"dialgate.audit.v1","seq":3,"prev":"`)
	appendToFile(t, files[0], tail)

	_, err = Open(context.Background(), dir, opts)
	var te *TornError
	if !errors.As(err, &te) || te.Offset != before.Size() || te.Bytes != int64(len(tail)) {
		t.Fatalf("Open: %v (%+v); want a *TornError of %d bytes at %d", err, te, len(tail), before.Size())
	}
	recs, err := Repair(context.Background(), dir, opts)
	if err != nil || len(recs) != 1 {
		t.Fatalf("Repair: %+v, %v", recs, err)
	}
	saved, err := os.ReadFile(filepath.Join(dir, recs[0].SavedAs))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(saved, tail) || recs[0].CutBytes != int64(len(tail)) || recs[0].CutSHA256 != sha(tail) {
		t.Fatalf("saved %d bytes, record says %d (sha %s); the log lost %d bytes", len(saved), recs[0].CutBytes, recs[0].CutSHA256, len(tail))
	}
}

// A repair record whose saved file was deleted or changed (the evidence of
// what was cut removed) fails verification when Verify knows the directory.
func TestVerifyRepairRecordSavedFile(t *testing.T) {
	k := newTestKeys(t, "test-log")
	dir := t.TempDir()
	opts := testOptions(k)
	files := writeLog(t, dir, opts, 5)
	appendToFile(t, files[0], []byte(`{"schema":"dialgate.audit.v1","seq":5,"prev":"crash`))
	recs, err := Repair(context.Background(), dir, opts)
	if err != nil || len(recs) != 1 {
		t.Fatalf("Repair: %+v, %v", recs, err)
	}
	saved := filepath.Join(dir, recs[0].SavedAs)
	vopts := VerifyOptions{Verifiers: k.verifiers, Dir: dir}
	rep, err := Verify(context.Background(), files, vopts)
	if err != nil || rep.Repairs != 1 {
		t.Fatalf("Verify of a repaired log: %+v, %v", rep, err)
	}
	repairSeq := rep.Records - 1 // the repair record is the last record

	orig, err := os.ReadFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		change  func()
		problem Problem
	}{
		{"deleted", func() { os.Remove(saved) }, ProblemDeleted},
		{"changed", func() { os.WriteFile(saved, append([]byte("x"), orig[1:]...), 0o600) }, ProblemEdited},
		{"emptied", func() { os.WriteFile(saved, nil, 0o600) }, ProblemEdited},
		{"replaced by a directory", func() { os.Remove(saved); os.Mkdir(saved, 0o700) }, ProblemDeleted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(saved)
			if err := os.WriteFile(saved, orig, 0o600); err != nil {
				t.Fatal(err)
			}
			tc.change()
			_, err := Verify(context.Background(), files, vopts)
			var ve *VerifyError
			if !errors.As(err, &ve) || !errors.Is(err, ErrVerify) || ve.Problem != tc.problem || ve.Seq != repairSeq || ve.File != saved {
				t.Fatalf("Verify: %v (%+v); want %s of record %d naming %s", err, ve, tc.problem, repairSeq, saved)
			}
			// Without the directory, Verify cannot look for it.
			if _, err := Verify(context.Background(), files, VerifyOptions{Verifiers: k.verifiers}); err != nil {
				t.Fatalf("Verify without Dir: %v", err)
			}
		})
	}
}
