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

// A number refused in one quarter and again in the next is one entry,
// dated by its latest refusal (dnc.Merge): the later quarter counts it,
// under the entry's first list and source, and a report of the earlier
// quarter made afterwards no longer does (the report filed for that quarter
// did). The HTML says so beside the count.
func TestDNCAdditionsReAddedCountedInLatestQuarter(t *testing.T) {
	ctx := context.Background()
	log, dir := openTestLog(t)
	files := closedFiles(t, log, dir)
	st := memstore.New()
	n := dialgate.MustParseNumber("+8613800138000")
	first := time.Date(2026, 8, 3, 9, 0, 0, 0, cst)
	again := time.Date(2026, 11, 3, 9, 0, 0, 0, cst)
	if err := st.AddDNC(ctx, dnc.Entry{Number: n, Scope: dnc.GlobalScope, List: "import", Source: "import:crm.csv", AddedAt: first}); err != nil {
		t.Fatal(err)
	}
	build := func(q int) *report.Report {
		t.Helper()
		r, err := report.Build(ctx, report.Quarter{Year: 2026, Q: q}, cst, time.Date(2027, 1, 10, 0, 0, 0, 0, cst), report.Sources{AuditFiles: files, DNC: st})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := build(3); r.DNCAdditions.Total != 1 {
		t.Fatalf("Q3 before the second refusal: %+v, want 1", r.DNCAdditions)
	}
	if err := st.AddDNC(ctx, dnc.Entry{Number: n, Scope: dnc.GlobalScope, List: "opt_out", Source: "call", AddedAt: again, Evidence: "decision:dg-2"}); err != nil {
		t.Fatal(err)
	}
	if r := build(3); r.DNCAdditions.Total != 0 {
		t.Errorf("Q3 after the second refusal: %+v, want 0 (the entry is dated by its latest refusal)", r.DNCAdditions)
	}
	r := build(4)
	if r.DNCAdditions.Total != 1 || len(r.DNCAdditions.BySource) != 1 || r.DNCAdditions.BySource[0].Key != "import:crm.csv" ||
		len(r.DNCAdditions.ByList) != 1 || r.DNCAdditions.ByList[0].Key != "import" {
		t.Fatalf("Q4 after the second refusal: %+v, want 1 under the first list and source", r.DNCAdditions)
	}
	var hs bytes.Buffer
	if err := r.WriteHTML(&hs); err != nil {
		t.Fatal(err)
	}
	if want := "a number refused again is counted in the quarter of its latest refusal, under its first list and source"; !strings.Contains(hs.String(), want) {
		t.Errorf("HTML lacks %q", want)
	}
}
