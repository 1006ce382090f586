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

// usOKSweep returns the sweep check of the built-in us-ok profile on a
// fresh memstore.
func usOKSweep(t *testing.T) *sweep.Check {
	t.Helper()
	deps, err := StoreDeps(memstore.New(), []byte("0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	cs, err := Checks(builtin(t, "us-ok"), deps)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := CheckOf[*sweep.Check](cs)
	if !ok {
		t.Fatal("us-ok has no sweep check")
	}
	return c
}

// A dialer that keeps the line number and counts through the exchanges of
// one area code (+1 405 555 1234, +1 405 556 1234, …) dials successively
// increasing integers (15 O.S. §755.1(D)), 10,000 apart, one per NPA-NXX:
// the sequential rule sees one number per exchange. us-ok must deny the
// walk, up or down, once it is a run of its min_run (10), as cn does with
// its stride rule.
func TestUSOKStrideWalkThroughExchanges(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 6, 10, 14, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		nxx  func(i int) int
	}{
		{"up", func(i int) int { return 555 + i }},
		{"down", func(i int) int { return 555 - i }},
		{"every other exchange", func(i int) int { return 300 + 2*i }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := usOKSweep(t)
			first := -1
			for i := range 30 {
				d := dialgate.Dial{To: dialgate.MustParseNumber(fmt.Sprintf("+1405%03d1234", tc.nxx(i))), Purpose: dialgate.PurposeMarketing,
					Tenant: "acme", LeadID: "l", At: at.Add(time.Duration(i) * time.Minute)}
				rs, err := c.Check(ctx, d)
				if err == nil && len(rs) == 0 {
					rs, err = c.Commit(ctx, d, fmt.Sprintf("d-%d", i))
				}
				if err != nil {
					t.Fatal(err)
				}
				if len(rs) > 0 {
					if rs[0].Code != dialgate.CodeSweepSequential {
						t.Fatalf("dial %d denied %s, want %s", i, rs[0].Code, dialgate.CodeSweepSequential)
					}
					first = i
					break
				}
			}
			if first != 9 {
				t.Fatalf("first denied dial of the walk %d, want 9 (the 10th exchange; -1: never denied)", first)
			}
		})
	}
}
