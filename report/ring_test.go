package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/report"
	"github.com/dialgate/dialgate/schedule"
)

// ringGate returns a Gate writing to log whose decisions carry the minimum
// ring time min (none when min is 0), at the instant *now.
func ringGate(t *testing.T, log *auditlog.Log, now *time.Time, min time.Duration) *dialgate.Gate {
	t.Helper()
	var checks []dialgate.Checker
	if min > 0 {
		c, err := schedule.NewRingCheck(schedule.RingConfig{Min: dialgate.Duration(min), Cite: dialgate.Citation{Source: dialgate.SourceConvention, Ref: "test"}})
		if err != nil {
			t.Fatal(err)
		}
		checks = append(checks, c)
	}
	return clockGate(t, log, now, checks...)
}

// Unanswered calls that rang less than the minimum their decision carried
// are counted per campaign and minimum; a ring of exactly the minimum, an
// answered call (whatever its ring), a released dial and a decision without
// the minimum are not; a call without a reported ring time is counted apart.
func TestRingTime(t *testing.T) {
	log, dir := openTestLog(t)
	now := time.Date(2026, 10, 5, 10, 0, 0, 0, cst)
	g15 := ringGate(t, log, &now, 15*time.Second)
	g20 := ringGate(t, log, &now, 20*time.Second)
	none := ringGate(t, log, &now, 0)
	n := 0
	call := func(g *dialgate.Gate, campaign string, outcomes ...dialgate.Outcome) {
		t.Helper()
		n++
		callWith(t, g, fmt.Sprintf("+86139001%05d", n), campaign, outcomes...)
	}
	rang := func(d time.Duration) dialgate.Outcome { return dialgate.Outcome{RingDuration: d, Disposition: "NA"} }

	// Campaign "a" under 15 s.
	call(g15, "a", rang(3*time.Second))                                              // short: a one-ring call
	call(g15, "a", rang(15*time.Second-time.Millisecond))                            // short by a millisecond
	call(g15, "a", rang(15*time.Second))                                             // exactly the minimum: not short
	call(g15, "a", rang(40*time.Second))                                             // long enough
	call(g15, "a", rang(5*time.Second), rang(18*time.Second))                        // two reports: the longest counts
	call(g15, "a", dialgate.Outcome{Disposition: "NA"})                              // no ring time: not judged
	call(g15, "a", dialgate.Outcome{Answered: true, RingDuration: 3 * time.Second})  // answered: never counts
	call(g15, "a", dialgate.Outcome{Abandoned: true, RingDuration: 2 * time.Second}) // abandoned implies answered
	call(g15, "a", rang(2*time.Second), dialgate.Outcome{Conversation: true})        // a later report of a conversation
	call(g15, "a", dialgate.Outcome{Refused: true, RingDuration: time.Second})       // a refusal needs a person
	call(g15, "a", dialgate.Outcome{Released: true})                                 // not placed
	call(g15, "a")                                                                   // no outcome reported
	// The campaign's minimum changed to 20 s during the quarter.
	call(g20, "a", rang(18*time.Second))
	// A dial without a campaign.
	call(g15, "", rang(time.Second))
	// A profile without the rule: nothing to measure against.
	call(none, "b", rang(time.Second))
	// A decision of the previous quarter.
	now = time.Date(2026, 9, 30, 10, 0, 0, 0, cst)
	call(g15, "a", rang(time.Second))

	r := closeAndBuildQ4(t, log, dir)
	want := []report.RingTime{
		{Campaign: "", MinSeconds: 15, RingReported: 1, Short: 1},
		{Campaign: "a", MinSeconds: 15, RingReported: 5, Short: 2, RingNotReported: 1, RingNotReportedPercent: 100.0 / 6, RingNotChecked: true},
		{Campaign: "a", MinSeconds: 20, RingReported: 1, Short: 1},
	}
	if fmt.Sprint(r.RingTime) != fmt.Sprint(want) {
		t.Fatalf("ring time\n got %+v\nwant %+v", r.RingTime, want)
	}
	if !r.RingTime[1].Flagged() {
		t.Error("campaign a with short rings is not flagged")
	}
	// The abandonment section is unchanged by the ring counts: the
	// answered, abandoned, conversation and refusal calls (a conversation
	// or a refusal says a person answered) stay where they were.
	if len(r.Abandonment) != 1 || r.Abandonment[0].Answered != 4 || r.Abandonment[0].Abandoned != 1 {
		t.Errorf("abandonment %+v", r.Abandonment)
	}

	var js, cs, hs bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back struct {
		RingTime []map[string]any `json:"ring_time"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back.RingTime) != 3 ||
		back.RingTime[1]["campaign"] != "a" || back.RingTime[1]["min_seconds"] != 15.0 || back.RingTime[1]["ring_reported"] != 5.0 ||
		back.RingTime[1]["short"] != 2.0 || back.RingTime[1]["ring_not_reported"] != 1.0 {
		t.Errorf("JSON ring_time %+v, %v", back.RingTime, err)
	}
	if err := r.WriteCSV(&cs); err != nil || !strings.Contains(cs.String(), "ring_time,a,2 of 5 unanswered calls with a ring time rang less than the minimum 15 s; 1 more reported no ring time (not counted)") {
		t.Errorf("CSV: %v\n%s", err, cs.String())
	}
	if err := r.WriteHTML(&hs); err != nil || !strings.Contains(hs.String(), "<td><strong>a</strong></td><td class=\"n\">15 s</td><td class=\"n\">5</td><td class=\"n\"><strong>2</strong></td>") {
		t.Errorf("HTML: %v, want campaign a's short rings in bold\n%s", err, hs.String())
	}
}

// A quarter without unanswered calls of a profile with the rule has an empty
// (not null) ring_time section, and the HTML says so.
func TestRingTimeEmpty(t *testing.T) {
	log, dir := openTestLog(t)
	now := time.Date(2026, 10, 5, 10, 0, 0, 0, cst)
	g := ringGate(t, log, &now, 15*time.Second)
	dec, err := g.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber("+8613900139000"), Purpose: dialgate.PurposeService, LeadID: "l"})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.ReportOutcome(context.Background(), dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Answered: true, RingDuration: time.Second}); err != nil {
		t.Fatal(err)
	}
	r := closeAndBuildQ4(t, log, dir)
	var js, hs bytes.Buffer
	if err := r.WriteJSON(&js); err != nil || !strings.Contains(js.String(), `"ring_time": []`) {
		t.Errorf("JSON: %v\n%s", err, js.String())
	}
	if err := r.WriteHTML(&hs); err != nil || !strings.Contains(hs.String(), "no unanswered calls of a profile with a minimum ring time") {
		t.Errorf("HTML: %v", err)
	}
}

// badRing attests a minimum ring time dialgate would never write.
type badRing struct{ value string }

func (badRing) Name() string { return "ring" }
func (badRing) Check(context.Context, dialgate.Dial) ([]dialgate.Reason, error) {
	return nil, nil
}
func (b badRing) Attest(context.Context, dialgate.Dial) ([]dialgate.Reason, []dialgate.Evidence, error) {
	return nil, []dialgate.Evidence{{Key: schedule.EvidenceRingMinSeconds, Value: b.value}}, nil
}

// A decision record whose minimum ring time is not a positive whole number
// of seconds fails the report, naming the file, line, decision and value.
func TestRingTimeBadEvidence(t *testing.T) {
	for _, v := range []string{"abc", "0", "-15", "15.5", "", "99999999999999999999"} {
		t.Run(v, func(t *testing.T) {
			log, dir := openTestLog(t)
			now := time.Date(2026, 10, 5, 10, 0, 0, 0, cst)
			g, err := dialgate.New([]dialgate.Checker{badRing{v}}, dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return now })), dialgate.WithAuditLog(log))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := g.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber("+8613900139000"), Purpose: dialgate.PurposeService, LeadID: "l"}); err != nil {
				t.Fatal(err)
			}
			if err := log.Close(); err != nil {
				t.Fatal(err)
			}
			files, err := auditlog.LogFiles(dir)
			if err != nil {
				t.Fatal(err)
			}
			_, err = report.Build(context.Background(), report.Quarter{Year: 2026, Q: 4}, cst, now, report.Sources{AuditFiles: files})
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("evidence ring.min_seconds: %q is not a positive whole number of seconds", v)) || !strings.Contains(err.Error(), ".jsonl:1: decision ") {
				t.Fatalf("Build: %v", err)
			}
		})
	}
}

// A campaign whose unanswered calls include calls reported without a ring
// time is flagged: their count and their share of the campaign's unanswered
// calls are in the report, and every output marks the campaign, since the
// minimum ring time could not be checked for them. A campaign whose
// unanswered calls all reported a ring time is not flagged, even with short
// rings; nor does an answered call without a ring time flag its campaign.
func TestRingTimeNotReported(t *testing.T) {
	log, dir := openTestLog(t)
	now := time.Date(2026, 10, 5, 10, 0, 0, 0, cst)
	g := ringGate(t, log, &now, 15*time.Second)
	n := 0
	call := func(campaign string, outcomes ...dialgate.Outcome) {
		t.Helper()
		n++
		callWith(t, g, fmt.Sprintf("+86139002%05d", n), campaign, outcomes...)
	}
	rang := func(d time.Duration) dialgate.Outcome { return dialgate.Outcome{RingDuration: d, Disposition: "NA"} }

	// "blind": a dialer that reports ring times for one call in four.
	call("blind", rang(20*time.Second))
	call("blind", dialgate.Outcome{Disposition: "NA"})
	call("blind", dialgate.Outcome{Disposition: "NA"}, dialgate.Outcome{Disposition: "NA"}) // two reports, still no ring time
	call("blind", dialgate.Outcome{Disposition: "NA"})
	// "seen": every unanswered call reported a ring time (one short); an
	// answered call without one does not count.
	call("seen", rang(3*time.Second))
	call("seen", rang(30*time.Second))
	call("seen", dialgate.Outcome{Answered: true})

	r := closeAndBuildQ4(t, log, dir)
	want := []report.RingTime{
		{Campaign: "blind", MinSeconds: 15, RingReported: 1, RingNotReported: 3, RingNotReportedPercent: 75, RingNotChecked: true},
		{Campaign: "seen", MinSeconds: 15, RingReported: 2, Short: 1},
	}
	if fmt.Sprint(r.RingTime) != fmt.Sprint(want) {
		t.Fatalf("ring time\n got %+v\nwant %+v", r.RingTime, want)
	}
	if r.RingTime[0].Flagged() || !r.RingTime[1].Flagged() {
		t.Errorf("Flagged (a short ring) changed meaning: %+v", r.RingTime)
	}

	var js, cs, hs bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back struct {
		RingTime []map[string]any `json:"ring_time"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back.RingTime) != 2 ||
		back.RingTime[0]["ring_not_reported"] != 3.0 || back.RingTime[0]["ring_not_reported_percent"] != 75.0 || back.RingTime[0]["ring_not_checked"] != true ||
		back.RingTime[1]["ring_not_reported"] != 0.0 || back.RingTime[1]["ring_not_reported_percent"] != 0.0 || back.RingTime[1]["ring_not_checked"] != false {
		t.Errorf("JSON ring_time %+v, %v", back.RingTime, err)
	}
	if err := r.WriteCSV(&cs); err != nil {
		t.Fatal(err)
	}
	if want := "ring_time_not_checked,blind,3 of 4 unanswered calls (75.00 %) reported no ring time: the minimum ring time 15 s could not be checked for them\n"; !strings.Contains(cs.String(), want) {
		t.Errorf("CSV lacks %q:\n%s", want, cs.String())
	}
	if strings.Contains(cs.String(), "ring_time_not_checked,seen") {
		t.Errorf("CSV flags campaign seen, whose unanswered calls all reported a ring time:\n%s", cs.String())
	}
	if err := r.WriteHTML(&hs); err != nil {
		t.Fatal(err)
	}
	html := hs.String()
	if want := `<td><strong>blind</strong></td><td class="n">15 s</td><td class="n">1</td><td class="n">0</td><td class="n"><strong>3</strong> (75.00 %)</td>`; !strings.Contains(html, want) {
		t.Errorf("HTML lacks %s\n%s", want, html)
	}
	if want := `<td><strong>seen</strong></td><td class="n">15 s</td><td class="n">2</td><td class="n"><strong>1</strong></td><td class="n">0 (0.00 %)</td>`; !strings.Contains(html, want) {
		t.Errorf("HTML lacks %s\n%s", want, html)
	}
}
