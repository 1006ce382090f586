package report_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// A rate above the 3 % limit is never shown as one at or under it: 7
// abandoned of 233 answered is 3.0043 %, which two decimals round to
// "3.00" — a figure an auditor reads as within the limit. Every output
// shows such a rate with the digits that tell it is over, and CSV, which
// has no bold, says which windows are over the limit.
func TestAbandonmentRateJustOverLimit(t *testing.T) {
	log, dir := openTestLog(t)
	now := time.Date(2026, 10, 5, 10, 0, 0, 0, cst)
	g := clockGate(t, log, &now)
	for i := 0; i < 233; i++ {
		o := dialgate.Outcome{Answered: true}
		if i < 7 {
			o = dialgate.Outcome{Abandoned: true, AbandonMessage: true}
		}
		callWith(t, g, fmt.Sprintf("+86139004%05d", i), "edge", o)
	}
	r := closeAndBuildQ4(t, log, dir)
	if len(r.Abandonment) != 1 {
		t.Fatalf("abandonment %+v", r.Abandonment)
	}
	a := r.Abandonment[0]
	if a.Answered != 233 || a.Abandoned != 7 || !a.Worst24h.Over() || !a.Worst30d.Over() {
		t.Fatalf("abandonment %+v, want 7 of 233, over the limit", a)
	}
	var cs, hs bytes.Buffer
	if err := r.WriteCSV(&cs); err != nil {
		t.Fatal(err)
	}
	csv := cs.String()
	if strings.Contains(csv, "3.00%") {
		t.Errorf("CSV shows a rate over 3 %% as 3.00%%:\n%s", csv)
	}
	if want := "abandonment,edge,7 of 233 answered (3.004%); worst day 3.004% (7 of 233) over the 3% limit from 2026-10-05T00:00:00+08:00; worst 30-day period 3.004% (7 of 233) over the 3% limit from 2026-10-01T00:00:00+08:00\n"; !strings.Contains(csv, want) {
		t.Errorf("CSV lacks %q:\n%s", want, csv)
	}
	if err := r.WriteHTML(&hs); err != nil {
		t.Fatal(err)
	}
	html := hs.String()
	if strings.Contains(html, "3.00 %") {
		t.Errorf("HTML shows a rate over 3 %% as 3.00 %%")
	}
	if !strings.Contains(html, "<strong>3.004 %</strong> (7/233, 2026-10-05)") {
		t.Errorf("HTML lacks the worst day as 3.004 %% in bold:\n%s", html)
	}
}
