package auditlog

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// An abandoned call's recorded message is recorded as
// "abandoned":true,"abandon_message":true, verifies, and parses back; an
// outcome claiming the message without the abandoned call is not recorded.
func TestAbandonMessageOutcomeRoundTrips(t *testing.T) {
	l, dir, k, d := logWithDecision(t, "abandon-message-test")
	ctx := context.Background()
	bad := dialgate.Outcome{DecisionID: d.ID, Dial: d.Dial, At: d.At.Add(time.Minute), Answered: true, AbandonMessage: true}
	if err := l.RecordOutcome(ctx, bad); !errors.Is(err, ErrInvalidRecord) || !bytes.Contains([]byte(err.Error()), []byte("abandon_message")) {
		t.Fatalf("RecordOutcome(message without abandoned) = %v, want ErrInvalidRecord naming abandon_message", err)
	}
	o := dialgate.Outcome{DecisionID: d.ID, Dial: d.Dial, At: d.At.Add(time.Minute), Abandoned: true, AbandonMessage: true}
	if err := l.RecordOutcome(ctx, o); err != nil {
		t.Fatal(err)
	}
	files, rep := sealVerified(t, l, dir, k)
	if rep.Outcomes != 1 {
		t.Errorf("outcomes = %d, want 1 (the invalid one is not recorded)", rep.Outcomes)
	}
	outs := outcomeLines(t, files)
	if len(outs) == 0 {
		t.Fatal("no outcome record")
	}
	for _, o := range outs {
		if !o.rec.Abandoned || !o.rec.AbandonMessage || !bytes.Contains(o.line, []byte(`"abandoned":true,"abandon_message":true`)) {
			t.Errorf("outcome line %s, want abandoned with its message", o.line)
		}
	}
}
