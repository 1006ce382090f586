package auditlog

import (
	"context"
	"errors"
	"testing"

	"github.com/dialgate/dialgate"
)

// TestRecordDecisionRefusesWhatOpenRefuses: RecordDecision wrote, synced
// and acknowledged a decision record that ParseLine refuses — an allowed
// decision without a valid callee, a reason without a code — so that the
// log could no longer be opened (ErrCorrupt: not a torn line, which serve
// and audit repair mend, but "not a valid record") and Verify failed at
// that line, every record after it unverifiable. The Gate never makes such
// a decision, but RecordDecision is the log's API (dialgate.AuditLog): the
// writer must not write a line its own reader refuses. Such a decision is
// now refused (ErrInvalidRecord, nothing written).
func TestRecordDecisionRefusesWhatOpenRefuses(t *testing.T) {
	for name, mutate := range map[string]func(*dialgate.Decision){
		"allowed without a callee": func(d *dialgate.Decision) { d.Dial.To = dialgate.Number{} },
		"reason without a code": func(d *dialgate.Decision) {
			d.Allowed = false
			d.Reasons = []dialgate.Reason{{Check: "dnc", Message: "listed"}}
		},
	} {
		t.Run(name, func(t *testing.T) {
			l, dir, k, _ := logWithDecision(t, "test-log")
			ctx := context.Background()
			d := sampleDecision(3) // allowed
			mutate(&d)
			if err := l.RecordDecision(ctx, d); !errors.Is(err, ErrInvalidRecord) {
				t.Errorf("RecordDecision: %v, want ErrInvalidRecord", err)
			}
			red, err := NewRedactor(testKey, "k-test", "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := red.Decision(d); !errors.Is(err, ErrInvalidRecord) {
				t.Errorf("Redactor.Decision: %v, want ErrInvalidRecord", err)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			l2, err := Open(ctx, dir, testOptions(k))
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			if _, rep := sealVerified(t, l2, dir, k); rep.Decisions != 1 {
				t.Errorf("%d decisions, want 1", rep.Decisions)
			}
		})
	}
}
