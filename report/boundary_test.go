package report_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/report"
	"github.com/dialgate/dialgate/storage/memstore"
)

// A deadline is the first instant after the time allowed; a quarter is
// [From, To). A complaint whose forwarding deadline is the quarter's end
// (midnight after its last day, in the same zone: every complaint received
// in the last three working days of December has one) was within its time
// at every instant of the quarter, and a step done at the instant To was
// done in the next quarter. The Q4 report counted the first as overdue
// and the second as done by the quarter's end (status forwarded), while
// the Q1 report counts that step as late in Q1: one step in both quarters.
func TestQuarterEndDeadlineNotOverdue(t *testing.T) {
	ctx := context.Background()
	files := emptyLogFiles(ctx, t)

	st := memstore.New()
	received := time.Date(2026, 12, 28, 10, 0, 0, 0, cst) // Monday
	mk := func(id string) complaint.Complaint {
		c := complaint.Complaint{
			ID: id, Callee: "h-" + id, Scope: "global", Channel: complaint.ChannelWeb, ReceivedAt: received, Status: complaint.StatusOpen,
			ForwardBy: complaint.AddWorkdays(received, 3, nil, cst), // end of Thursday 31 December
		}
		c.HandleBy = complaint.AddWorkdays(c.ForwardBy.Add(-time.Nanosecond), 15, nil, cst)
		c.AnswerBy = complaint.AddWorkdays(c.HandleBy.Add(-time.Nanosecond), 3, nil, cst)
		return c
	}
	_, q4End := report.Quarter{Year: 2026, Q: 4}.Bounds(cst)
	// Forwarded late, on 4 January.
	a := mk("cp-a")
	if !a.ForwardBy.Equal(q4End) {
		t.Fatalf("forward_by %s, want the quarter's end %s", a.ForwardBy, q4End)
	}
	a.Status, a.ForwardedAt = complaint.StatusForwarded, time.Date(2027, 1, 4, 9, 0, 0, 0, cst)
	// Forwarded at the first instant of 2027Q1: late, in Q1.
	b := mk("cp-b")
	b.Status, b.ForwardedAt = complaint.StatusForwarded, q4End
	for _, c := range []complaint.Complaint{a, b} {
		if err := st.CreateComplaint(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Date(2027, 4, 10, 0, 0, 0, 0, cst)
	q4, err := buildQ4(ctx, files, st, now)
	if err != nil {
		t.Fatal(err)
	}
	if q4.Complaints.Received != 2 || q4.Complaints.Overdue != 0 || q4.Complaints.Late != 0 {
		t.Errorf("Q4 complaints %+v: want both received, none overdue (no deadline passed in Q4), none late", q4.Complaints)
	}
	if want := (report.Count{Key: string(complaint.StatusOpen), Count: 2}); len(q4.Complaints.ByStatus) != 1 || q4.Complaints.ByStatus[0] != want {
		t.Errorf("Q4 by status %+v, want [%+v]: neither was forwarded in Q4", q4.Complaints.ByStatus, want)
	}
	q1, err := report.Build(ctx, report.Quarter{Year: 2027, Q: 1}, cst, now, report.Sources{AuditFiles: files, Complaints: st})
	if err != nil {
		t.Fatal(err)
	}
	if q1.Complaints.Late != 2 {
		t.Errorf("Q1 complaints %+v: want both late (forwarded in Q1 at or after the deadline)", q1.Complaints)
	}
}

// A log given twice (--audit DIR twice, or a copy of a sidecar's log given
// as another's) was refused only when it held decisions of the quarter
// (ErrDuplicateDecision). A log holding only the quarter's admin changes,
// or only outcomes (releases through another sidecar) of decisions in
// another log, had its changes and outcomes counted twice, silently.
func TestLogWithoutDecisionsGivenTwice(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	n := dialgate.MustParseNumber("+8613900139091")

	// Log A: one decision. Log B: its release and one admin change.
	la, dirA := openTestLog(t)
	lb, dirB := openTestLog(t)
	ga := clockGate(t, la, &now)
	gb := clockGate(t, lb, &now)
	dec, err := ga.Check(ctx, dialgate.Dial{To: n, Purpose: dialgate.PurposeService, LeadID: "l"})
	if err != nil || !dec.Allowed {
		t.Fatal(dec, err)
	}
	if err := gb.Release(ctx, dec); err != nil {
		t.Fatal(err)
	}
	if err := lb.RecordChange(ctx, auditlog.Change{Op: auditlog.OpDNCRemove, Result: auditlog.ResultApplied, ChangeID: "r1", Actor: "ops", Number: n, At: now}); err != nil {
		t.Fatal(err)
	}
	for _, l := range []*auditlog.Log{la, lb} {
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	fa, _ := auditlog.LogFiles(dirA)
	fb, _ := auditlog.LogFiles(dirB)
	once := append(append([]string{}, fa...), fb...)
	r, err := report.Build(ctx, report.Quarter{Year: 2026, Q: 4}, cst, now, report.Sources{AuditFiles: once})
	if err != nil {
		t.Fatal(err)
	}
	if r.Decisions.Outcomes != 1 || r.Changes.DNCRemovals != 1 {
		t.Fatalf("once: outcomes %d, removals %d; want 1 and 1", r.Decisions.Outcomes, r.Changes.DNCRemovals)
	}
	// B's directory given twice; and a copy of B given as a third log.
	cp := t.TempDir()
	var copied []string
	for _, f := range fb {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(cp, filepath.Base(f))
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		copied = append(copied, p)
	}
	for name, files := range map[string][]string{
		"B twice":       append(append([]string{}, once...), fb...),
		"a copy of B":   append(append([]string{}, once...), copied...),
		"B before A, B": append(append(append([]string{}, fb...), fa...), fb...),
	} {
		r, err := report.Build(ctx, report.Quarter{Year: 2026, Q: 4}, cst, now, report.Sources{AuditFiles: files})
		if err == nil {
			t.Errorf("%s: counted outcomes %d, removals %d; want an error: the log was read twice", name, r.Decisions.Outcomes, r.Changes.DNCRemovals)
			continue
		}
		if !errors.Is(err, report.ErrDuplicateRecord) || !strings.Contains(err.Error(), fb[0]) {
			t.Errorf("%s: error %v: want ErrDuplicateRecord naming the first place", name, err)
		}
	}
}

// A quarter starts at the first instant of its first day in the report's
// zone. Where the clocks jumped forward at that midnight (Paraguay on 1
// October 2023, Cuba on 1 April 2012), time.Date put 00:00 an hour before
// the jump, on the last day of the quarter before: a decision at 23:30 on
// 30 September, in Q3, was counted in Q4. Where midnight came twice (Gaza,
// 1 October 2004), time.Date gave the second: the hour after the first,
// of Q4, was counted in Q3.
func TestQuarterBoundsWhereMidnightIsSkipped(t *testing.T) {
	for _, tc := range []struct {
		zone string
		q    report.Quarter
	}{
		{"America/Asuncion", report.Quarter{Year: 2023, Q: 4}},
		{"America/Havana", report.Quarter{Year: 2012, Q: 2}},
		{"Asia/Shanghai", report.Quarter{Year: 2026, Q: 4}},
		// Midnight came twice: the clocks went back from 01:00 EEST to
		// 00:00 EET on 1 October 2004. The quarter starts at the first.
		{"Asia/Gaza", report.Quarter{Year: 2004, Q: 4}},
	} {
		loc, err := time.LoadLocation(tc.zone)
		if err != nil {
			t.Skip(err)
		}
		from, to := tc.q.Bounds(loc)
		for _, b := range []time.Time{from, to} {
			if b.Day() != 1 || b.Add(-time.Nanosecond).Day() == 1 {
				t.Errorf("%s %s: bound %s is not the first instant of a 1st (the instant before is %s)", tc.zone, tc.q, b, b.Add(-time.Nanosecond))
			}
		}
		if m := from.Month(); int(m) != 3*(tc.q.Q-1)+1 {
			t.Errorf("%s %s: from %s is not in the quarter's first month", tc.zone, tc.q, from)
		}
	}
}

// The worst day of a campaign's abandoned calls is a calendar day in the
// report's zone. In Havana 8 March 2026 starts at 01:00 (the clocks jump
// from midnight): the day of a call at 23:30 on 7 March ended, said the
// report, at 23:00 on 7 March, before the call in it.
func TestAbandonDayWhereMidnightIsSkipped(t *testing.T) {
	loc, err := time.LoadLocation("America/Havana")
	if err != nil {
		t.Skip(err)
	}
	log, dir := openTestLog(t)
	now := time.Date(2026, 3, 7, 23, 30, 0, 0, loc)
	g := clockGate(t, log, &now)
	callWith(t, g, "+8613900139000", "spring", dialgate.Outcome{Answered: true, Abandoned: true})
	r, err := report.Build(context.Background(), report.Quarter{Year: 2026, Q: 1}, loc, time.Date(2026, 4, 10, 0, 0, 0, 0, loc),
		report.Sources{AuditFiles: closedFiles(t, log, dir)})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Abandonment) != 1 {
		t.Fatalf("abandonment %+v", r.Abandonment)
	}
	w := r.Abandonment[0].Worst24h
	wantFrom := time.Date(2026, 3, 7, 0, 0, 0, 0, loc)
	wantTo := time.Date(2026, 3, 8, 1, 0, 0, 0, loc) // the first instant of 8 March
	if !w.From.Equal(wantFrom) || !w.To.Equal(wantTo) || now.Before(w.From) || !now.Before(w.To) {
		t.Errorf("worst day [%s, %s), want [%s, %s), holding the call at %s", w.From, w.To, wantFrom, wantTo, now)
	}
}

// The checkpoint file in a log directory signs the records written before
// it, and no crash leaves the log shorter than it: auditlog.Open refuses
// such a log as corrupt. The report counted it, its last records (cut off
// at a line end, the chain intact) simply missing. Build fails instead.
func TestReportRefusesLogShorterThanCheckpointFile(t *testing.T) {
	ctx := context.Background()
	log, dir := openTestLog(t)
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	g := clockGate(t, log, &now)
	for range 5 {
		callWith(t, g, "+8613900139000", "winter")
	}
	files := closedFiles(t, log, dir)
	if _, err := report.Build(ctx, report.Quarter{Year: 2026, Q: 4}, cst, now, report.Sources{AuditFiles: files}); err != nil {
		t.Fatal(err)
	}
	last := files[len(files)-1]
	b, err := os.ReadFile(last)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	if len(lines) < 4 {
		t.Fatalf("%d lines", len(lines))
	}
	if err := os.WriteFile(last, []byte(strings.Join(lines[:3], "")), 0o600); err != nil { // records 0 to 2
		t.Fatal(err)
	}
	r, err := report.Build(ctx, report.Quarter{Year: 2026, Q: 4}, cst, now, report.Sources{AuditFiles: files})
	if err == nil {
		t.Fatalf("Build counted %d decisions of a log cut short of its checkpoint file; want an error", r.Decisions.Total)
	}
	if !errors.Is(err, report.ErrAuditChain) || !strings.Contains(err.Error(), auditlog.CheckpointFile) {
		t.Errorf("error %v: want ErrAuditChain naming the checkpoint file", err)
	}
}
