package report_test

import (
	"bytes"
	"context"
	"html"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/report"
	"github.com/dialgate/dialgate/storage/memstore"
)

// TestHTMLSaysAsOfBeforeQuarterEnd: a report made before its quarter ended
// said "past a handling deadline at the quarter's end", "Kept at quarter
// end" and "Complaints by status at the quarter's end", although those
// counts are as of the report's making (Build counts them as of the earlier
// of now and the quarter's end): an auditor reading a December report of Q4
// took them for the quarter's final figures. Such a report says "as of" its
// time; one made after the quarter still says "at the quarter's end".
func TestHTMLSaysAsOfBeforeQuarterEnd(t *testing.T) {
	log, dir := openTestLog(t)
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	g := clockGate(t, log, &now)
	callWith(t, g, "+8613900139000", "winter", dialgate.Outcome{Answered: true})
	files := closedFiles(t, log, dir)
	st := memstore.New()
	received := time.Date(2026, 12, 1, 10, 0, 0, 0, cst)
	c := complaint.Complaint{ID: "cp-1", Callee: "h", Scope: "global", Channel: complaint.ChannelWeb, ReceivedAt: received,
		Status: complaint.StatusOpen, ForwardBy: complaint.AddWorkdays(received, 3, nil, cst)}
	c.HandleBy = complaint.AddWorkdays(c.ForwardBy.Add(-time.Nanosecond), 15, nil, cst)
	c.AnswerBy = complaint.AddWorkdays(c.HandleBy.Add(-time.Nanosecond), 3, nil, cst)
	if err := st.CreateComplaint(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		now     time.Time
		want    []string
		notWant []string
	}{
		{"made in the quarter", time.Date(2026, 12, 5, 18, 53, 0, 0, cst),
			[]string{"as of 2026-12-05 10:53 UTC", "the quarter has not ended", "Complaints by status as of 2026-12-05 10:53 UTC"},
			[]string{"at the quarter's end", "at quarter end"}},
		{"made after the quarter", time.Date(2027, 1, 10, 0, 0, 0, 0, cst),
			[]string{"past a handling deadline at the quarter's end", "Kept at the quarter's end", "Complaints by status at the quarter's end"},
			[]string{"has not ended"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := report.Build(context.Background(), report.Quarter{Year: 2026, Q: 4}, cst, tc.now, report.Sources{AuditFiles: files, Complaints: st, Recordings: st})
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := r.WriteHTML(&b); err != nil {
				t.Fatal(err)
			}
			text := html.UnescapeString(b.String())
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("HTML lacks %q", w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(text, w) {
					t.Errorf("HTML says %q", w)
				}
			}
		})
	}
}
