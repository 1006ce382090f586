package report_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/report"
)

// Abandoned calls are counted per campaign over the calls a person
// answered, once per decision, with the worst 24-hour and 30-day windows.
func TestAbandonment(t *testing.T) {
	ctx := context.Background()
	log, dir := openTestLog(t)
	now := time.Date(2026, 10, 5, 10, 0, 0, 0, cst)
	g := clockGate(t, log, &now)
	call := func(campaign string, i int, o dialgate.Outcome) {
		t.Helper()
		callWith(t, g, fmt.Sprintf("+86139001%05d", i), campaign, o)
	}
	// Campaign "a": 100 answered calls spread over 10 days, 2 abandoned on
	// day 1 and 4 on day 9 (of that day's 10): 6 % over the quarter, 40 %
	// on the worst day.
	for i := 0; i < 100; i++ {
		now = time.Date(2026, 10, 1+i/10, 9, 0, 0, 0, cst).Add(time.Duration(i%10) * time.Minute)
		o := dialgate.Outcome{Answered: true}
		if (i/10 == 0 && i%10 < 2) || (i/10 == 8 && i%10 < 4) {
			o = dialgate.Outcome{Abandoned: true}
		}
		call("a", i, o)
	}
	// A second outcome for one decision (a late conversation report) does
	// not count the call twice.
	now = time.Date(2026, 11, 1, 9, 0, 0, 0, cst)
	dec, err := g.Check(ctx, dialgate.Dial{To: dialgate.MustParseNumber("+8613900200000"), Purpose: dialgate.PurposeService, LeadID: "l", Campaign: "b"})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []dialgate.Outcome{{Answered: true}, {Answered: true, Conversation: true}} {
		o.DecisionID, o.Dial = dec.ID, dec.Dial
		if err := g.ReportOutcome(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	// Unanswered and released calls are not answered calls.
	call("b", 500, dialgate.Outcome{})
	call("b", 501, dialgate.Outcome{Released: true})
	// The quarter's last 30-day period is cut short at its end.
	now = time.Date(2026, 12, 31, 9, 0, 0, 0, cst)
	call("c", 600, dialgate.Outcome{Abandoned: true})
	r := closeAndBuildQ4(t, log, dir)
	if len(r.Abandonment) != 3 {
		t.Fatalf("abandonment %+v, want campaigns a, b and c", r.Abandonment)
	}
	a, b, c := r.Abandonment[0], r.Abandonment[1], r.Abandonment[2]
	if w := c.Worst30d; c.Campaign != "c" || w.Percent != 100 || !w.From.Equal(time.Date(2026, 12, 30, 0, 0, 0, 0, cst)) || !w.To.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, cst)) {
		t.Errorf("campaign c, last 30-day period: %+v", c)
	}
	if a.Campaign != "a" || a.Answered != 100 || a.Abandoned != 6 || a.Percent != 6 {
		t.Errorf("campaign a: %+v", a)
	}
	if w := a.Worst24h; w.Abandoned != 4 || w.Answered != 10 || !w.Over() || !w.From.Equal(time.Date(2026, 10, 9, 0, 0, 0, 0, cst)) || !w.To.Equal(time.Date(2026, 10, 10, 0, 0, 0, 0, cst)) {
		t.Errorf("campaign a, worst 24 h: %+v", w)
	}
	if w := a.Worst30d; w.Abandoned != 6 || w.Answered != 100 || !w.From.Equal(time.Date(2026, 10, 1, 0, 0, 0, 0, cst)) || !w.To.Equal(time.Date(2026, 10, 31, 0, 0, 0, 0, cst)) {
		t.Errorf("campaign a, worst 30 days: %+v", w)
	}
	if b.Campaign != "b" || b.Answered != 1 || b.Abandoned != 0 || b.Worst24h.Over() {
		t.Errorf("campaign b: %+v", b)
	}
	var cs, hs bytes.Buffer
	if err := r.WriteCSV(&cs); err != nil || !strings.Contains(cs.String(), "abandonment,a,6 of 100 answered (6.00%)") {
		t.Errorf("CSV: %v\n%s", err, cs.String())
	}
	if err := r.WriteHTML(&hs); err != nil || !strings.Contains(hs.String(), "<strong>40.00 %</strong>") {
		t.Errorf("HTML: %v, want the worst day's 40 %% in bold", err)
	}
}

// A call decided in the quarter's last minute whose outcome is reported in
// the next quarter counts in the quarter's windows: its day is the
// decision's, and its 30-day period is not an empty one starting at the
// quarter's end.
func TestAbandonmentOutcomeAfterQuarter(t *testing.T) {
	ctx := context.Background()
	log, dir := openTestLog(t)
	now := time.Date(2026, 12, 31, 23, 59, 0, 0, cst)
	g := clockGate(t, log, &now)
	dec, err := g.Check(ctx, dialgate.Dial{To: dialgate.MustParseNumber("+8613900100001"), Purpose: dialgate.PurposeService, LeadID: "l", Campaign: "a"})
	if err != nil || !dec.Allowed {
		t.Fatalf("check: %+v %v", dec, err)
	}
	now = time.Date(2027, 1, 1, 0, 1, 0, 0, cst)
	if err := g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Abandoned: true}); err != nil {
		t.Fatal(err)
	}
	r := closeAndBuildQ4(t, log, dir)
	if len(r.Abandonment) != 1 {
		t.Fatalf("abandonment %+v, want campaign a", r.Abandonment)
	}
	a := r.Abandonment[0]
	if w := a.Worst24h; !w.From.Equal(time.Date(2026, 12, 31, 0, 0, 0, 0, cst)) || w.Abandoned != 1 {
		t.Errorf("worst 24 h %+v, want 2026-12-31 (the decision's day, in the quarter)", w)
	}
	if w := a.Worst30d; !w.From.Before(w.To) || w.To.After(r.To) || w.Abandoned != 1 {
		t.Errorf("worst 30 days %+v, want a period inside the quarter", w)
	}
}

// clockGate returns a Gate of checks writing to log, at the instant *now.
func clockGate(t *testing.T, log *auditlog.Log, now *time.Time, checks ...dialgate.Checker) *dialgate.Gate {
	t.Helper()
	g, err := dialgate.New(checks, dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return *now })), dialgate.WithAuditLog(log))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// callWith decides an allowed service dial of campaign to the number to on g
// and reports outcomes for its decision.
func callWith(t *testing.T, g *dialgate.Gate, to, campaign string, outcomes ...dialgate.Outcome) {
	t.Helper()
	ctx := context.Background()
	dec, err := g.Check(ctx, dialgate.Dial{To: dialgate.MustParseNumber(to), Purpose: dialgate.PurposeService, LeadID: "l", Campaign: campaign})
	if err != nil || !dec.Allowed {
		t.Fatalf("check: %+v %v", dec, err)
	}
	for _, o := range outcomes {
		o.DecisionID, o.Dial = dec.ID, dec.Dial
		if err := g.ReportOutcome(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
}

// closeAndBuildQ4 closes log (in dir) and builds the 2026Q4 report from it alone.
func closeAndBuildQ4(t *testing.T, log *auditlog.Log, dir string) *report.Report {
	t.Helper()
	r, err := report.Build(context.Background(), report.Quarter{Year: 2026, Q: 4}, cst, time.Date(2027, 1, 10, 0, 0, 0, 0, cst), report.Sources{AuditFiles: closedFiles(t, log, dir)})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// closedFiles closes log and returns its files in dir.
func closedFiles(t *testing.T, log *auditlog.Log, dir string) []string {
	t.Helper()
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	files, err := auditlog.LogFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// The abandoned calls reported without the recorded message the US TSR
// requires (16 CFR 310.4(b)(4)(iii)) are counted per campaign; a decision
// with several outcomes counts once, with its message if any of its outcomes
// reported it. JSON names the count, CSV has a row per campaign, and HTML
// puts a count above zero in bold.
func TestAbandonedWithoutMessage(t *testing.T) {
	ctx := context.Background()
	log, dir := openTestLog(t)
	now := time.Date(2026, 10, 5, 10, 0, 0, 0, cst)
	g := clockGate(t, log, &now)
	n := 0
	call := func(campaign string, outcomes ...dialgate.Outcome) {
		t.Helper()
		n++
		now = now.Add(time.Minute)
		callWith(t, g, fmt.Sprintf("+86139002%05d", n), campaign, outcomes...)
	}
	abandoned := dialgate.Outcome{Abandoned: true}
	withMessage := dialgate.Outcome{Abandoned: true, AbandonMessage: true}
	// Campaign "a": 4 answered, 3 abandoned; one has its message, two not.
	call("a", dialgate.Outcome{Answered: true})
	call("a", withMessage)
	call("a", abandoned)
	call("a", abandoned)
	// Campaign "b": every abandoned call got its message, however its
	// outcomes were reported: a later report of the message, or a report of
	// the message followed by one that does not mention it (an absent flag
	// is not a "no"), or an answered call later reported abandoned with it.
	call("b", abandoned, withMessage)
	call("b", withMessage, abandoned)
	call("b", dialgate.Outcome{Answered: true}, withMessage)
	// Campaign "c": answered, then reported abandoned without the message;
	// plus an unanswered and a released call, which are not abandoned.
	call("c", dialgate.Outcome{Answered: true}, abandoned)
	call("c", dialgate.Outcome{})
	call("c", dialgate.Outcome{Released: true})
	// A message without the abandoned call is refused, not recorded.
	if err := g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: "dg-none", Answered: true, AbandonMessage: true}); !errors.Is(err, dialgate.ErrInvalidOutcome) {
		t.Fatalf("message without abandoned: %v", err)
	}
	r := closeAndBuildQ4(t, log, dir)
	if len(r.Abandonment) != 3 {
		t.Fatalf("abandonment %+v, want campaigns a, b and c", r.Abandonment)
	}
	for i, want := range []struct {
		campaign                   string
		answered, abandoned, noMsg int
	}{{"a", 4, 3, 2}, {"b", 3, 3, 0}, {"c", 1, 1, 1}} {
		a := r.Abandonment[i]
		if a.Campaign != want.campaign || a.Answered != want.answered || a.Abandoned != want.abandoned || a.AbandonedWithoutMessage != want.noMsg || a.MessageMissing() != (want.noMsg > 0) {
			t.Errorf("campaign %s: %+v, want %d answered, %d abandoned, %d without message", want.campaign, a, want.answered, want.abandoned, want.noMsg)
		}
	}
	var js, cs, hs bytes.Buffer
	if err := r.WriteJSON(&js); err != nil || !strings.Contains(js.String(), `"abandoned_without_message": 2`) || !strings.Contains(js.String(), `"abandoned_without_message": 0`) {
		t.Errorf("JSON: %v\n%s", err, js.String())
	}
	if err := r.WriteCSV(&cs); err != nil {
		t.Fatal(err)
	}
	for _, row := range []string{"abandoned_without_message,a,2\n", "abandoned_without_message,b,0\n", "abandoned_without_message,c,1\n"} {
		if !strings.Contains(cs.String(), row) {
			t.Errorf("CSV lacks %q:\n%s", row, cs.String())
		}
	}
	if err := r.WriteHTML(&hs); err != nil {
		t.Fatal(err)
	}
	h := hs.String()
	if !strings.Contains(h, "<th>Without message</th>") || !strings.Contains(h, `<td class="n"><strong>2</strong></td></tr>`) ||
		!strings.Contains(h, `<td class="n"><strong>1</strong></td></tr>`) || !strings.Contains(h, `<td class="n">0</td></tr>`) || strings.Contains(h, `<strong>0</strong>`) {
		t.Errorf("HTML: want the counts above zero in bold, zero plain:\n%s", h)
	}
}
