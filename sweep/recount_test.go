package sweep

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
)

// TestRecount: Recount (a call placed after its decision was released,
// counted again) counts the callee whatever the rules say: over a full
// segment rate (a second Recount under the same id counts nothing more),
// and in a run it completes, which closes the segment so that its next
// numbers are denied — with the run state in memory and in a shared store.
// Commit refused both.
func TestRecount(t *testing.T) {
	ctx := context.Background()
	u := dialgate.Citation{Source: dialgate.SourceConvention, Ref: "test"}
	dial := func(n string) dialgate.Dial {
		return dialgate.Dial{To: dialgate.MustParseNumber(n), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "l", At: t0}
	}
	commit := func(c *Check, n, id string, want bool) {
		t.Helper()
		rs, err := c.Commit(ctx, dial(n), id)
		if err != nil || (len(rs) == 0) != want {
			t.Fatalf("commit %s: %v %v, want allowed %v", n, rs, err, want)
		}
	}

	rate, err := New(Config{SegmentRate: &SegmentRate{Max: 2, Window: dialgate.Duration(time.Hour), Cite: u}}, memstore.New())
	if err != nil {
		t.Fatal(err)
	}
	commit(rate, "+14055550100", "d0", true)
	commit(rate, "+14055550200", "d1", true)
	commit(rate, "+14055550300", "x", false)
	for range 2 {
		if err := rate.Recount(ctx, dial("+14055550300"), "x#placed"); err != nil {
			t.Fatalf("recount over a full segment: %v", err)
		}
	}
	if err := rate.Release(ctx, "d0"); err != nil {
		t.Fatal(err)
	}
	commit(rate, "+14055550400", "d2", false) // …0200 and the recount
	if err := rate.Release(ctx, "d1"); err != nil {
		t.Fatal(err)
	}
	commit(rate, "+14055550400", "d3", true) // the recount alone

	for name, runs := range map[string]storage.Runs{"memory": nil, "store": memstore.New()} {
		t.Run(name, func(t *testing.T) {
			seq, err := New(Config{Sequential: &Sequential{MinRun: 3, MaxGap: 0, Window: dialgate.Duration(time.Hour), Cite: u}}, nil, WithRuns(runs))
			if err != nil {
				t.Fatal(err)
			}
			commit(seq, "+14055550100", "d0", true)
			commit(seq, "+14055550101", "d1", true)
			if err := seq.Recount(ctx, dial("+14055550102"), "x#placed"); err != nil {
				t.Fatalf("recount completing a run: %v", err)
			}
			commit(seq, "+14055550109", "d2", false)
		})
	}
}
