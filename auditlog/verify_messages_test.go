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

// TestVerifyMessagesOneRecord: a log checkpointed after every record (as
// `dialgate check` leaves it, each run closing the log) with one record
// edited failed with "the records 1 to 1 do not match the tree hash this
// checkpoint signs: a record among them was edited and the chain rewritten"
// — a range of one, and a rewritten chain that was not there. A log cut by
// one record said "records 2 to 2 were cut off". Each now names the record.
func TestVerifyMessagesOneRecord(t *testing.T) {
	k := newTestKeys(t, "one-record")
	dir := t.TempDir()
	opts := testOptions(k)
	opts.CheckpointEvery = 1
	l := openTest(t, dir, opts)
	for i := range 3 {
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
	trusted, err := os.ReadFile(filepath.Join(dir, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	verify := func(data []byte, trusted []byte) *VerifyError {
		t.Helper()
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Verify(context.Background(), []string{name}, VerifyOptions{Verifiers: k.verifiers, Trusted: trusted})
		var verr *VerifyError
		if !errors.As(err, &verr) {
			t.Fatalf("Verify = %v, want a *VerifyError", err)
		}
		return verr
	}

	lines := bytes.SplitAfter(orig, []byte("\n"))
	lines = lines[:len(lines)-1]
	edited := bytes.Join(lines, nil)
	edited = bytes.Replace(edited, []byte(`"seq":1,`), []byte(`"seq":1, `), 1) // record 1 edited, its chain not rewritten
	verr := verify(edited, nil)
	msg := verr.Error()
	if verr.Problem != ProblemEdited || verr.Seq != 1 || !strings.Contains(msg, "record 1: edited: record 1 does not match the tree hash this checkpoint signs") {
		t.Errorf("one record edited: %q (seq %d), want record 1 named as edited", msg, verr.Seq)
	}
	if strings.Contains(msg, "1 to 1") || strings.Contains(msg, "chain rewritten") {
		t.Errorf("one record edited: %q names a range of one or a rewritten chain", msg)
	}

	// Cut the last record (and the checkpoints after it) off: the trusted
	// checkpoint signs 3 records, the log holds 2.
	var kept [][]byte
	for _, ln := range lines {
		if bytes.Contains(ln, []byte(`"seq":2,`)) {
			break
		}
		kept = append(kept, ln)
	}
	verr = verify(bytes.Join(kept, nil), trusted)
	msg = verr.Error()
	if verr.Problem != ProblemTruncated || !strings.Contains(msg, "record 2 was cut off") || strings.Contains(msg, "2 to 2") {
		t.Errorf("one record cut off: %q, want \"record 2 was cut off\"", msg)
	}
}
