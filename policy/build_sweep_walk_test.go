package policy

import (
	"context"
	"fmt"
	"strings"
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
	for _, tc := range []struct {
		name string
		nxx  func(i int) int
	}{
		{"up", func(i int) int { return 555 + i }},
		{"down", func(i int) int { return 555 - i }},
		{"every other exchange", func(i int) int { return 300 + 2*i }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first := firstSweepDenied(t, usOKSweep(t), dialgate.PurposeMarketing, func(i int) string { return fmt.Sprintf("+1405%03d1234", tc.nxx(i)) })
			if first != 9 {
				t.Fatalf("first denied dial of the walk %d, want 9 (the 10th exchange; -1: never denied)", first)
			}
		})
	}
}

// A dialer walking one NPA-NXX (us-ok) or 号段 (cn) by a fixed step — 7
// here: …1234, …1241, …1248 — dials integers determined by successive
// increase (15 O.S. §755.1(D)), a blind walk through the segment (CN-S4b)
// that skips too many numbers for the gaps to join. Both profiles deny it
// at their min_run (us-ok 10, cn 20), up or down; the rule text names the
// steps.
func TestFixedStepWalkDenied(t *testing.T) {
	for _, tc := range []struct {
		profile, number string // number: a format of the suffix
		step, first     int
		want            int
	}{
		{"us-ok", "+1405555%04d", 7, 1234, 9},
		{"us-ok", "+1405555%04d", -13, 9000, 9},
		{"cn", "+86139001%05d", 7, 1234, 19},
		{"cn", "+86139001%05d", -100, 9999, 19},
	} {
		t.Run(fmt.Sprintf("%s/%d", tc.profile, tc.step), func(t *testing.T) {
			deps, err := StoreDeps(memstore.New(), []byte("0123456789abcdef"))
			if err != nil {
				t.Fatal(err)
			}
			p := builtin(t, tc.profile)
			cs, err := Checks(p, deps)
			if err != nil {
				t.Fatal(err)
			}
			c, ok := CheckOf[*sweep.Check](cs)
			if !ok {
				t.Fatalf("%s has no sweep check", tc.profile)
			}
			first := firstSweepDenied(t, c, dialgate.PurposeService, func(i int) string { return fmt.Sprintf(tc.number, tc.first+i*tc.step) })
			if first != tc.want {
				t.Fatalf("first denied dial %d, want %d (-1: never denied)", first, tc.want)
			}
			found := false
			for _, r := range Explain(p) {
				if r.Path == "sweep.sequential" {
					found = strings.Contains(r.Text, "or a fixed step of 4 to 100")
				}
			}
			if !found {
				t.Fatalf("%s: the sweep.sequential rule text does not name the fixed steps", tc.profile)
			}
		})
	}
}

// firstSweepDenied dials, through c, up to 30 numbers number(0), number(1),
// … a minute apart for tenant acme with purpose, committing each allowed
// one, and returns the index of the first denied (sweep.sequential), -1
// when none is.
func firstSweepDenied(t *testing.T, c *sweep.Check, purpose dialgate.Purpose, number func(i int) string) int {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2026, 6, 10, 14, 0, 0, 0, time.UTC)
	for i := range 30 {
		d := dialgate.Dial{To: dialgate.MustParseNumber(number(i)), Purpose: purpose, Tenant: "acme", LeadID: "l", At: at.Add(time.Duration(i) * time.Minute)}
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
			return i
		}
	}
	return -1
}
