package sweep

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage/memstore"
)

// A fleet upgraded to a rule with max_step (cn and us-ok gained 100) keeps
// its run state: a segment the rule without it closed stays closed for the
// window, and a walk by a fixed step started before the upgrade, whose
// numbers that rule let through, is denied at its min_run-th number counted
// from its first. Both rules share a store's keys (max_step does not change
// what a key holds: the numbers dialled and its closing).
func TestProgressionUpgradeKeepsRunState(t *testing.T) {
	store := memstore.New()
	without := progRule()
	without.MaxStep = 0
	with := progRule()
	dial := func(c *Check, seg uint64, x, minute int, id string) []dialgate.Reason {
		t.Helper()
		d := dialgate.Dial{To: seqNum(seg, x), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "l",
			At: t0.Add(time.Duration(minute) * time.Minute)}
		rs, _, err := c.Attest(context.Background(), d)
		if err == nil && rs == nil {
			rs, err = c.Commit(context.Background(), d, id)
		}
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	before, err := New(Config{Sequential: without}, nil, WithRuns(store))
	if err != nil {
		t.Fatal(err)
	}
	// Before the upgrade: a run of 10 closes segment 1390013; a walk by 7
	// through 1390015 is let through (6 numbers).
	for i := range 10 {
		rs := dial(before, 861390013, 2000+i, i, fmt.Sprint("run", i))
		if (rs != nil) != (i == 9) {
			t.Fatalf("run dial %d: %v", i, rs)
		}
	}
	for i := range 6 {
		if rs := dial(before, 861390015, 6000+7*i, 10+i, fmt.Sprint("walk", i)); rs != nil {
			t.Fatalf("walk dial %d before the upgrade: %v", i, rs)
		}
	}
	after, err := New(Config{Sequential: with}, nil, WithRuns(store))
	if err != nil {
		t.Fatal(err)
	}
	if rs := dial(after, 861390013, 7000, 30, "after-closed"); rs == nil || evidence(rs[0], "sweep.run_length") != "10" {
		t.Fatalf("a segment closed before the upgrade: %v, want denied with the run of 10", rs)
	}
	for i := 6; i < 10; i++ {
		rs := dial(after, 861390015, 6000+7*i, 30+i, fmt.Sprint("walk", i))
		if (rs != nil) != (i == 9) {
			t.Fatalf("walk dial %d after the upgrade: %v, want a deny at the 10th number only", i, rs)
		}
	}
}
