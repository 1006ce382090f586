package report_test

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/report"
	"github.com/dialgate/dialgate/storage/memstore"
)

// The recordings kept and held at the quarter's end are counted as they were
// then, not as the store is when the report is made (reports are made after
// the quarter): a recording deleted after the quarter's end was kept at it,
// and a hold placed after it did not hold the recording then.
func TestRecordingsAtQuarterEnd(t *testing.T) {
	ctx := context.Background()
	log, dir := openTestLog(t)
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	files, err := auditlog.LogFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	st := memstore.New()
	recs, err := recording.NewManager(recording.Config{}, st, nil, hasher{})
	if err != nil {
		t.Fatal(err)
	}
	started := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	for i, id := range []string{"r-deleted-after", "r-held-after", "r-held-in"} {
		to := dialgate.MustParseNumber("+86139001390" + string(rune('0'+i)) + "0")
		if _, err := recs.Register(ctx, started, recording.Registration{ID: id, Callee: to, StartedAt: started}); err != nil {
			t.Fatal(err)
		}
	}
	if err := recs.Hold(ctx, "r-held-in", recording.Hold{ID: "h-in", PlacedAt: started.AddDate(0, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	after := time.Date(2027, 1, 20, 10, 0, 0, 0, cst) // in 2027Q1
	if err := recs.Hold(ctx, "r-held-after", recording.Hold{ID: "h-after", PlacedAt: after}); err != nil {
		t.Fatal(err)
	}
	if err := recs.Delete(ctx, "r-deleted-after", after); err != nil {
		t.Fatal(err)
	}
	r, err := report.Build(ctx, report.Quarter{Year: 2026, Q: 4}, cst, after.AddDate(0, 0, 1), report.Sources{AuditFiles: files, Recordings: st})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Recordings; got.KeptAtEnd != 3 || got.HeldAtEnd != 1 || got.Deleted != 0 {
		t.Errorf("recordings %+v, want 3 kept and 1 held at the end of 2026Q4, none deleted in it", got)
	}
}
