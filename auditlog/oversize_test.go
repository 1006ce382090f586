package auditlog

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dialgate/dialgate"
)

// A malformed dial is recorded as it came (dial.invalid), and nothing bounds
// its strings before the log: a record longer than MaxLineBytes must be
// refused, not written as a line that Open and Verify then reject as corrupt.
func TestOversizeRecordRefused(t *testing.T) {
	k := newTestKeys(t, "test-log")
	dir := t.TempDir()
	opts := testOptions(k)
	l := openTest(t, dir, opts)
	ctx := context.Background()
	if err := l.RecordDecision(ctx, sampleDecision(0)); err != nil {
		t.Fatal(err)
	}
	big := sampleDecision(1)
	big.Dial.Campaign = strings.Repeat("x", MaxLineBytes) // too long for a Dial, recorded as dial.invalid
	big.Reasons = []dialgate.Reason{{Code: dialgate.CodeDialInvalid, Check: "dial", Message: "campaign: longer than 256 bytes"}}
	big.Allowed = false
	err := l.RecordDecision(ctx, big)
	if !errors.Is(err, ErrInvalidRecord) {
		t.Errorf("RecordDecision of a %d-byte record: %v, want ErrInvalidRecord", MaxLineBytes, err)
	}
	// The log stays usable and valid.
	if err := l.RecordDecision(ctx, sampleDecision(2)); err != nil {
		t.Fatalf("after the oversize record: %v", err)
	}
	if err := l.RecordOutcome(ctx, dialgate.Outcome{DecisionID: "dg-test-0", At: t0, Disposition: strings.Repeat("y", MaxLineBytes)}); !errors.Is(err, ErrInvalidRecord) {
		t.Errorf("RecordOutcome of an oversize record: %v, want ErrInvalidRecord", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l2, err := Open(ctx, dir, opts)
	if err != nil {
		t.Fatalf("reopening the log: %v", err)
	}
	l2.Close()
	files, err := LogFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(ctx, files, VerifyOptions{Verifiers: k.verifiers}); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}
