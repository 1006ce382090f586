package scenario

import (
	"errors"
	"strings"
	"testing"
)

// TestComplaintDecisionGivenTwice: a complaint names the call complained
// about with decision: (an earlier dial step) or call_decision_id: (a
// decision id as written). Given both, call_decision_id was dropped
// without a word and the complaint filed against the step's decision: the
// file is invalid, naming both keys.
func TestComplaintDecisionGivenTwice(t *testing.T) {
	src := head + `tenant: acme
steps:
  - id: call
    at: 2026-12-05T10:00:00+08:00
    dial: {to: "+8613900139000", purpose: service, lead_id: crm-1}
    want: {allowed: false, codes: [callerid.missing]}
  - at: 2026-12-05T10:05:00+08:00
    event: {type: complaint, number: "+8613900139000", decision: call, call_decision_id: d-other}
`
	_, err := Parse("s.yaml", []byte(src))
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "s.yaml:11:") ||
		!strings.Contains(err.Error(), "call_decision_id") || !strings.Contains(err.Error(), "decision") {
		t.Fatalf("Parse = %v, want ErrInvalid at line 11 naming decision and call_decision_id", err)
	}
	// Either alone is valid.
	for _, ev := range []string{
		`{type: complaint, number: "+8613900139000", decision: call}`,
		`{type: complaint, number: "+8613900139000", call_decision_id: d-other}`,
	} {
		if _, err := Parse("s.yaml", []byte(strings.Replace(src, `{type: complaint, number: "+8613900139000", decision: call, call_decision_id: d-other}`, ev, 1))); err != nil {
			t.Errorf("%s: %v", ev, err)
		}
	}
}
