package auditlog

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"golang.org/x/mod/sumdb/note"
)

// A log written before OutcomeRecord.Refused existed (testdata/pre-refused,
// written by the code of commit d2a145f) still verifies, parses, and
// re-encodes byte for byte: the optional field is absent, not false.
func TestPreRefusedLogVerifies(t *testing.T) {
	file, v := preRefusedLog(t)
	rep, err := Verify(context.Background(), []string{file}, VerifyOptions{Verifiers: note.VerifierList(v)})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if rep.Outcomes != 3 {
		t.Errorf("outcomes = %d, want 3", rep.Outcomes)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		l, err := ParseLine(line)
		if err != nil {
			t.Fatal(err)
		}
		if l.Kind == KindCheckpoint {
			continue
		}
		if l.Outcome != nil && l.Outcome.Refused {
			t.Errorf("an old outcome parsed as refused: %s", line)
		}
		// The log predates OutcomeRecord.AbandonMessage as well.
		if l.Outcome != nil && l.Outcome.AbandonMessage {
			t.Errorf("an old outcome parsed as having had its abandon message: %s", line)
		}
		again, err := encodeLine(l)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, line) {
			t.Errorf("re-encoded differently:\n got %s\nwant %s", again, line)
		}
	}
}

// A refusal is recorded as "refused":true, verifies, and parses back.
func TestRefusedOutcomeRoundTrips(t *testing.T) {
	l, dir, k, d := logWithDecision(t, "refused-test")
	ctx := context.Background()
	o := dialgate.Outcome{DecisionID: d.ID, Dial: d.Dial, At: d.At.Add(time.Minute), Answered: true, Conversation: true, Refused: true}
	if err := l.RecordOutcome(ctx, o); err != nil {
		t.Fatal(err)
	}
	files, _ := sealVerified(t, l, dir, k)
	outs := outcomeLines(t, files)
	if len(outs) == 0 {
		t.Fatal("no outcome record")
	}
	for _, o := range outs {
		if !o.rec.Refused || !o.rec.Conversation || !bytes.Contains(o.line, []byte(`"conversation":true,"refused":true`)) {
			t.Errorf("outcome line %s, want refused", o.line)
		}
	}
}
