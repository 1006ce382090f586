package auditlog

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestVerifyLiveLogWriteInProgress: Verify of a log a running sidecar is
// writing (docs/auditors.md: `audit verify` reads the log while the
// sidecar runs) read the last file while a batch was being written: it saw
// the first part of the write (a line without its newline) and failed
// with "truncated: the last line is incomplete", a false alarm on a log
// nobody changed. A write under way at the end of the last file is now
// waited for (briefly), and its line read whole.
func TestVerifyLiveLogWriteInProgress(t *testing.T) {
	l, dir, k, _ := logWithDecision(t, "live")
	ctx := context.Background()
	for i := 1; i < 5; i++ {
		if err := l.RecordDecision(ctx, sampleDecision(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, fileName(1))
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	// The file as the writer leaves it before the final checkpoint: five
	// records; of the last, only its first half is written yet.
	lines := bytes.SplitAfter(b, []byte("\n"))
	var recs []byte
	for _, line := range lines[:len(lines)-2] { // the last record line and the checkpoint (and "")
		recs = append(recs, line...)
	}
	lastRec := lines[len(lines)-3]
	if !bytes.Contains(lastRec, []byte(`"seq":4`)) {
		t.Fatalf("line %q is not record 4", lastRec)
	}
	recs = recs[:len(recs)-len(lastRec)]
	half := len(lastRec) / 2
	if err := os.WriteFile(name, append(append([]byte(nil), recs...), lastRec[:half]...), 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(30 * time.Millisecond) // the rest of the write lands
		appendToFile(t, name, lastRec[half:])
	}()
	rep, err := Verify(ctx, []string{name}, VerifyOptions{Verifiers: k.verifiers, Dir: dir})
	<-done
	if err != nil {
		t.Fatalf("Verify of a log being written: %v, want the record being written read whole", err)
	}
	if rep.Records != 5 || rep.Unsealed != 5 {
		t.Fatalf("Verify: %d records, %d unsealed; want 5, 5", rep.Records, rep.Unsealed)
	}

	// A last line that stays incomplete (a crash) is still reported.
	if err := os.WriteFile(name, append(append([]byte(nil), recs...), lastRec[:half]...), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Verify(ctx, []string{name}, VerifyOptions{Verifiers: k.verifiers, Dir: dir})
	var verr *VerifyError
	if !errors.As(err, &verr) || verr.Problem != ProblemTruncated || verr.Line != 5 {
		t.Fatalf("Verify of a torn log: %v, want truncated at line 5", err)
	}
}
