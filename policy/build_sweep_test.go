package policy

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage/memstore"
	"github.com/dialgate/dialgate/sweep"
)

// The sweep check keeps its runs in Deps.Runs: us-ok checks built on one
// shared store (two sidecars of a fleet) see a sweep through an NPA-NXX whose
// dials alternate between them; without Deps.Runs each keeps its own.
func TestSweepRunsFromDeps(t *testing.T) {
	ctx := context.Background()
	p := builtin(t, "us-ok")
	at := time.Date(2026, 6, 10, 14, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		shared bool
		denied int // index of the first denied dial, -1 for none
	}{{"shared store", true, 9}, {"no Deps.Runs", false, -1}} {
		t.Run(tc.name, func(t *testing.T) {
			store := memstore.New()
			var checks []*sweep.Check
			for range 2 {
				deps, err := StoreDeps(store, []byte("0123456789abcdef"))
				if err != nil {
					t.Fatal(err)
				}
				if deps.Runs == nil {
					t.Fatal("StoreDeps(memstore) left Runs nil")
				}
				if !tc.shared {
					deps.Runs = nil
				}
				cs, err := Checks(p, deps)
				if err != nil {
					t.Fatal(err)
				}
				c, ok := CheckOf[*sweep.Check](cs)
				if !ok {
					t.Fatal("us-ok has no sweep check")
				}
				checks = append(checks, c)
			}
			first := -1
			for i := range 12 {
				c := checks[i%2]
				d := dialgate.Dial{To: dialgate.MustParseNumber(fmt.Sprintf("+1405555%04d", 100+i)), Purpose: dialgate.PurposeMarketing,
					Tenant: "acme", LeadID: "l", At: at.Add(time.Duration(i) * time.Minute)}
				rs, err := c.Check(ctx, d)
				if err == nil && len(rs) == 0 {
					rs, err = c.Commit(ctx, d, fmt.Sprintf("d-%d", i))
				}
				if err != nil {
					t.Fatal(err)
				}
				if len(rs) > 0 && first < 0 {
					first = i
				}
			}
			if first != tc.denied {
				t.Fatalf("first denied dial %d, want %d", first, tc.denied)
			}
		})
	}
}
