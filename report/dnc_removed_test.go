package report_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/report"
	"github.com/dialgate/dialgate/storage/memstore"
)

// The do-not-call additions are counted from the entries in the store when
// the report is made: an opt-out added in the quarter and removed since is
// not among them. The HTML says so next to the count, rather than let it
// pass for every opt-out the quarter received.
func TestDNCAdditionsSayRemovedNotCounted(t *testing.T) {
	ctx := context.Background()
	log, dir := openTestLog(t)
	files := closedFiles(t, log, dir)
	st := memstore.New()
	n := dialgate.MustParseNumber("+8613800138000")
	added := time.Date(2026, 11, 3, 9, 0, 0, 0, cst)
	if err := st.AddDNC(ctx, dnc.Entry{Number: n, Scope: dnc.GlobalScope, List: "opt_out", Source: "call", AddedAt: added}); err != nil {
		t.Fatal(err)
	}
	if err := st.RemoveDNC(ctx, n, dnc.GlobalScope, added.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	r, err := report.Build(ctx, report.Quarter{Year: 2026, Q: 4}, cst, time.Date(2027, 1, 10, 0, 0, 0, 0, cst), report.Sources{AuditFiles: files, DNC: st})
	if err != nil {
		t.Fatal(err)
	}
	if r.DNCAdditions.Total != 0 {
		t.Fatalf("dnc additions %+v, want none: the entry was removed", r.DNCAdditions)
	}
	var hs bytes.Buffer
	if err := r.WriteHTML(&hs); err != nil {
		t.Fatal(err)
	}
	if want := "0 numbers added in the quarter and still listed when the report was made (an entry removed since is not counted"; !strings.Contains(hs.String(), want) {
		t.Errorf("HTML lacks %q", want)
	}
}
