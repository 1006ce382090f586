package report_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/report"
	"github.com/dialgate/dialgate/storage/memstore"
)

// A complaint still unforwarded past its deadline when the quarter ends was
// overdue at the quarter's end, even if it is forwarded before the report is
// made: a report written in the first days of the next quarter must count it.
func TestOverdueAtQuarterEndHandledAfter(t *testing.T) {
	ctx := context.Background()
	files := emptyLogFiles(ctx, t)

	st := memstore.New()
	received := time.Date(2026, 12, 21, 10, 0, 0, 0, cst) // Monday
	c := complaint.Complaint{
		ID: "cp-late", Callee: "h", Scope: "global", Channel: complaint.ChannelWeb, ReceivedAt: received, Status: complaint.StatusOpen,
		ForwardBy: complaint.AddWorkdays(received, 3, nil, cst), // end of Thursday 24 December
	}
	c.HandleBy = complaint.AddWorkdays(c.ForwardBy.Add(-time.Nanosecond), 15, nil, cst)
	c.AnswerBy = complaint.AddWorkdays(c.HandleBy.Add(-time.Nanosecond), 3, nil, cst)
	if err := st.CreateComplaint(ctx, c); err != nil {
		t.Fatal(err)
	}
	// Forwarded on 5 January, after the quarter, 8 working days late.
	forwarded := time.Date(2027, 1, 5, 9, 0, 0, 0, cst)
	if err := st.UpdateComplaint(ctx, c.ID, func(c *complaint.Complaint) error {
		c.Status, c.ForwardedAt = complaint.StatusForwarded, forwarded
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r, err := buildQ4(ctx, files, st, time.Date(2027, 1, 10, 0, 0, 0, 0, cst))
	if err != nil {
		t.Fatal(err)
	}
	if r.Complaints.Received != 1 || r.Complaints.Overdue != 1 {
		t.Errorf("complaints %+v: want the complaint overdue at the quarter's end", r.Complaints)
	}
}

func buildQ4(ctx context.Context, files []string, st *memstore.Store, now time.Time) (*report.Report, error) {
	return report.Build(ctx, report.Quarter{Year: 2026, Q: 4}, cst, now, report.Sources{AuditFiles: files, Complaints: st})
}

// A complaint received at the end of one quarter whose deadlines fall, and are
// missed, in the next is overdue at the next quarter's end: the report of
// that quarter counts it although it was received before (the report of the
// quarter it was received in saw it within its deadlines), and says how many
// of the overdue complaints were received earlier.
func TestOverdueReceivedInEarlierQuarter(t *testing.T) {
	ctx := context.Background()
	files := emptyLogFiles(ctx, t)

	st := memstore.New()
	received := time.Date(2026, 9, 30, 23, 59, 59, 0, cst) // the last second of Q3
	c := complaint.Complaint{
		ID: "cp-q3", Callee: "h", Scope: "global", Channel: complaint.ChannelWeb, ReceivedAt: received, Status: complaint.StatusOpen,
		ForwardBy: complaint.AddWorkdays(received, 3, nil, cst), // in October
	}
	c.HandleBy = complaint.AddWorkdays(c.ForwardBy.Add(-time.Nanosecond), 15, nil, cst)
	c.AnswerBy = complaint.AddWorkdays(c.HandleBy.Add(-time.Nanosecond), 3, nil, cst)
	if err := st.CreateComplaint(ctx, c); err != nil {
		t.Fatal(err)
	}
	q3, err := report.Build(ctx, report.Quarter{Year: 2026, Q: 3}, cst, time.Date(2026, 10, 2, 0, 0, 0, 0, cst), report.Sources{AuditFiles: files, Complaints: st})
	if err != nil {
		t.Fatal(err)
	}
	if q3.Complaints.Received != 1 || q3.Complaints.Overdue != 0 {
		t.Errorf("Q3 complaints %+v: want it received and not yet overdue", q3.Complaints)
	}
	q4, err := buildQ4(ctx, files, st, time.Date(2027, 1, 10, 0, 0, 0, 0, cst))
	if err != nil {
		t.Fatal(err)
	}
	if q4.Complaints.Received != 0 || q4.Complaints.Overdue != 1 || q4.Complaints.OverdueReceivedEarlier != 1 {
		t.Errorf("Q4 complaints %+v: want the Q3 complaint overdue at the end of Q4 (received earlier)", q4.Complaints)
	}
}

// A complaint forwarded after its deadline, then handled and answered within
// theirs, missed a deadline although nothing is pending at the quarter's
// end: the report counts it as late, in the quarter the late step was done
// (and only in that one).
func TestLateStepCounted(t *testing.T) {
	ctx := context.Background()
	files := emptyLogFiles(ctx, t)

	st := memstore.New()
	received := time.Date(2026, 12, 28, 10, 0, 0, 0, cst) // Monday
	c := complaint.Complaint{
		ID: "cp-late", Callee: "h", Scope: "global", Channel: complaint.ChannelWeb, ReceivedAt: received, Status: complaint.StatusAnswered,
		ForwardBy: complaint.AddWorkdays(received, 3, nil, cst), // end of Thursday 31 December
	}
	c.HandleBy = complaint.AddWorkdays(c.ForwardBy.Add(-time.Nanosecond), 15, nil, cst)
	c.AnswerBy = complaint.AddWorkdays(c.HandleBy.Add(-time.Nanosecond), 3, nil, cst)
	c.ForwardedAt = c.ForwardBy.Add(-time.Second) // 23:59:59 on the last day: in time
	c.HandledAt = c.HandleBy                      // the first instant after the last day: late
	c.AnsweredAt = c.HandleBy.Add(time.Hour)
	if err := st.CreateComplaint(ctx, c); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2027, 4, 10, 0, 0, 0, 0, cst)
	q4, err := buildQ4(ctx, files, st, now)
	if err != nil {
		t.Fatal(err)
	}
	if q4.Complaints.Received != 1 || q4.Complaints.Overdue != 0 || q4.Complaints.Late != 0 {
		t.Errorf("Q4 complaints %+v: want it received, neither overdue nor late at the end of Q4", q4.Complaints)
	}
	q1, err := report.Build(ctx, report.Quarter{Year: 2027, Q: 1}, cst, now, report.Sources{AuditFiles: files, Complaints: st})
	if err != nil {
		t.Fatal(err)
	}
	if q1.Complaints.Received != 0 || q1.Complaints.Overdue != 0 || q1.Complaints.Late != 1 {
		t.Errorf("Q1 complaints %+v: want it late (handled after its deadline in Q1)", q1.Complaints)
	}
}

// Complaints by status are counted as they stood at the quarter's end (or
// now, when earlier), like the overdue ones: a report made after the quarter
// does not show a complaint answered since as answered in it, and two reports
// of one quarter made on different days agree.
func TestComplaintStatusAtQuarterEnd(t *testing.T) {
	ctx := context.Background()
	files := emptyLogFiles(ctx, t)

	st := memstore.New()
	received := time.Date(2026, 12, 28, 10, 0, 0, 0, cst)
	c := complaint.Complaint{
		ID: "cp-1", Callee: "h", Scope: "global", Channel: complaint.ChannelWeb, ReceivedAt: received, Status: complaint.StatusAnswered,
		ForwardBy: complaint.AddWorkdays(received, 3, nil, cst),
	}
	c.HandleBy = complaint.AddWorkdays(c.ForwardBy.Add(-time.Nanosecond), 15, nil, cst)
	c.AnswerBy = complaint.AddWorkdays(c.HandleBy.Add(-time.Nanosecond), 3, nil, cst)
	c.ForwardedAt = received.Add(time.Hour)              // in 2026Q4
	c.HandledAt = time.Date(2027, 1, 4, 9, 0, 0, 0, cst) // after it
	c.AnsweredAt = c.HandledAt.Add(time.Hour)
	if err := st.CreateComplaint(ctx, c); err != nil {
		t.Fatal(err)
	}
	for _, now := range []time.Time{time.Date(2026, 12, 30, 0, 0, 0, 0, cst), time.Date(2027, 1, 10, 0, 0, 0, 0, cst)} {
		r, err := buildQ4(ctx, files, st, now)
		if err != nil {
			t.Fatal(err)
		}
		if want := (report.Count{Key: string(complaint.StatusForwarded), Count: 1}); len(r.Complaints.ByStatus) != 1 || r.Complaints.ByStatus[0] != want {
			t.Errorf("report as of %s: by status %+v, want [%+v]", now.Format(time.DateOnly), r.Complaints.ByStatus, want)
		}
	}
}

// emptyLogFiles returns the files of a new audit log holding no record, for
// the tests whose figures come from the complaint store alone.
func emptyLogFiles(ctx context.Context, t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	skey, _, err := auditlog.GenerateKey(rand.Reader, "log")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auditlog.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	l, err := auditlog.Open(ctx, dir, auditlog.Options{HMACKey: []byte("0123456789abcdef"), HMACKeyID: "k1", Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	files, err := auditlog.LogFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	return files
}
