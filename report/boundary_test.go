package report_test

import (
	"context"
	"testing"
	"time"

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
