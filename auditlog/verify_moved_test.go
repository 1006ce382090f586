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

// What Verify says of a log whose first record was deleted, and of one
// whose checkpoint was moved up past a record. The first said "record 1
// follows record -1"; the second reported the record the checkpoint was
// moved past as deleted ("record 2 is missing") while it is in the log,
// on the next line: the records are whole, their order with the
// checkpoint is what changed.
func TestVerifyMessagesFirstRecordAndMovedCheckpoint(t *testing.T) {
	k := newTestKeys(t, "moved")
	dir := t.TempDir()
	opts := testOptions(k)
	opts.CheckpointEvery = 3
	l := openTest(t, dir, opts)
	for i := range 5 {
		if err := l.RecordDecision(context.Background(), sampleDecision(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, fileName(1))
	orig, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(orig, []byte("\n"))
	lines = lines[:len(lines)-1] // records 0 1 2, checkpoint, records 3 4, checkpoint
	if !bytes.Contains(lines[3], []byte(`"kind":"checkpoint"`)) {
		t.Fatalf("line 4 is not a checkpoint: %s", lines[3])
	}
	verify := func(ls [][]byte) *VerifyError {
		t.Helper()
		if err := os.WriteFile(name, bytes.Join(ls, nil), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Verify(context.Background(), []string{name}, VerifyOptions{Verifiers: k.verifiers})
		var verr *VerifyError
		if !errors.As(err, &verr) {
			t.Fatalf("Verify = %v, want a *VerifyError", err)
		}
		return verr
	}

	verr := verify(lines[1:])
	if msg := verr.Error(); verr.Problem != ProblemDeleted || verr.Seq != 0 || strings.Contains(msg, "-1") || !strings.Contains(msg, "record 0 is missing") {
		t.Errorf("first record deleted: %q (seq %d), want record 0 missing, no record -1", msg, verr.Seq)
	}

	moved := append([][]byte{}, lines...)
	moved[2], moved[3] = moved[3], moved[2] // the checkpoint before record 2
	verr = verify(moved)
	msg := verr.Error()
	if verr.Problem != ProblemReordered || verr.Line != 3 || strings.Contains(msg, "missing") || !strings.Contains(msg, ":4)") {
		t.Errorf("checkpoint moved before record 2: %q (line %d), want it reported reordered at line 3, naming record 2 at line 4, nothing missing", msg, verr.Line)
	}
}
