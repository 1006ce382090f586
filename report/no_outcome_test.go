package report_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// The abandoned-call rates and ring times count only the calls whose
// outcome the dialer reported: a dialer that reports none shows no
// abandoned call at all. The report counts the allowed decisions of the
// quarter with no outcome record (neither a release nor a call result), so
// that an auditor sees how much of the quarter's calls the rates do not
// cover; a denied decision, a released one and one with a result are not
// among them.
func TestAllowedWithoutOutcomeCounted(t *testing.T) {
	log, dir := openTestLog(t)
	now := time.Date(2026, 10, 5, 10, 0, 0, 0, cst)
	g := clockGate(t, log, &now)
	n := 0
	call := func(outcomes ...dialgate.Outcome) {
		t.Helper()
		n++
		callWith(t, g, fmt.Sprintf("+86139005%05d", n), "winter", outcomes...)
	}
	call(dialgate.Outcome{Answered: true})
	call(dialgate.Outcome{Released: true})
	call() // no outcome
	call() // no outcome
	call() // no outcome
	r := closeAndBuildQ4(t, log, dir)
	if r.Decisions.Allowed != 5 || r.Decisions.AllowedWithoutOutcome != 3 {
		t.Fatalf("decisions %+v, want 3 of 5 allowed without an outcome", r.Decisions)
	}
	var js, cs, hs bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Decisions map[string]any `json:"decisions"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Decisions["allowed_without_outcome"] != 3.0 {
		t.Errorf("JSON decisions %v, %v", back.Decisions, err)
	}
	if err := r.WriteCSV(&cs); err != nil || !strings.Contains(cs.String(), "decisions,allowed_without_outcome,3\n") {
		t.Errorf("CSV: %v\n%s", err, cs.String())
	}
	if err := r.WriteHTML(&hs); err != nil || !strings.Contains(hs.String(), "Allowed, with no outcome reported (neither a release nor a call result: not in the abandoned-call rates or ring times)</td><td class=\"n\"><b>3</b></td>") {
		t.Errorf("HTML: %v\n%s", err, hs.String())
	}
}
