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
	dir := t.TempDir()
	skey, _, err := auditlog.GenerateKey(rand.Reader, "log")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := auditlog.NewSigner(skey)
	l, err := auditlog.Open(ctx, dir, auditlog.Options{HMACKey: []byte("0123456789abcdef"), HMACKeyID: "k1", Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	files, _ := auditlog.LogFiles(dir)

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
