package sweep

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// Every rule Validate accepts denies a walk by its max_step across a
// segment boundary, wherever the walk starts, at its min_run-th number, as
// it does inside a segment and as Screen flags the list: the walk must lie
// whole in the dial's segment or in the block of 10,000 numbers across the
// boundary nearest to it, so (min_run-1)×max_step may not exceed 5,000.
// A rule whose progressions span more is refused, naming max_step.
func TestProgressionSpanAcrossBoundary(t *testing.T) {
	for _, tc := range []struct {
		minRun, maxStep int
		valid           bool
	}{
		{10, 555, true},
		{10, 556, false},
		{10, MaxStepLimit, false},
		{20, 263, true},
		{20, 264, false},
		{3, MaxStepLimit, true},
	} {
		t.Run(fmt.Sprintf("min_run=%d/max_step=%d", tc.minRun, tc.maxStep), func(t *testing.T) {
			rule := &Sequential{MinRun: tc.minRun, MaxGap: 2, MaxStep: tc.maxStep, Window: dialgate.Duration(24 * time.Hour), Cite: uCite}
			err := (Config{Sequential: rule}).Validate()
			if !tc.valid {
				if err == nil || !strings.Contains(err.Error(), "sweep.sequential.max_step") {
					t.Fatalf("Validate: %v, want an error naming sweep.sequential.max_step", err)
				}
				tenant := *rule
				cfg := Config{Sequential: &Sequential{MinRun: tc.minRun, MaxGap: 2, MaxStep: 4, Window: rule.Window, Cite: uCite},
					Tenants: map[string]TenantRules{"acme": {Sequential: &tenant}}}
				if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "sweep.tenants.acme.sequential.max_step") {
					t.Fatalf("Validate (tenant): %v, want an error naming sweep.tenants.acme.sequential.max_step", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			boundaryWalks(t, rule, tc.maxStep)
		})
	}
}

// boundaryWalks walks rule's min_run numbers by step across the boundary
// between segments 1390013 and 1390014, from 1 to the whole span below it,
// up and down, and reports each walk not denied at its min_run-th number.
func boundaryWalks(t *testing.T, rule *Sequential, step int) {
	t.Helper()
	span := (rule.MinRun - 1) * step
	const boundary = 8613900140000
	for _, off := range []int{1, span / 3, span / 2, span - 1, span} {
		for _, down := range []bool{false, true} {
			c, err := New(Config{Sequential: rule}, nil)
			if err != nil {
				t.Fatal(err)
			}
			start, st := boundary-off, step
			if down {
				start, st = start+span, -step
			}
			denied := -1
			for i := range rule.MinRun {
				n, err := dialgate.NumberFromUint64(uint64(start + i*st))
				if err != nil {
					t.Fatal(err)
				}
				d := dialgate.Dial{To: n, Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "l", At: t0.Add(time.Duration(i) * time.Minute)}
				rs, _, err := c.Attest(context.Background(), d)
				if err == nil && rs == nil {
					rs, err = c.Commit(context.Background(), d, fmt.Sprint("s", i))
				}
				if err != nil {
					t.Fatal(err)
				}
				if rs != nil {
					denied = i
					break
				}
			}
			if denied != rule.MinRun-1 {
				t.Errorf("walk by %d from %d below the boundary (down %v): dial %d denied (-1: none), want the %d-th", step, off, down, denied, rule.MinRun)
			}
		}
	}
}

// The gap rule has the same bound: a run of min_run numbers with gaps of
// max_gap spans (min_run-1)×(max_gap+1), and one spanning more than 5,000
// across a segment boundary lies whole neither in the dial's segment nor in
// the block across the boundary: min_run 60 with max_gap 100 never denied a
// walk by 101 across a boundary. Such a rule is refused, naming min_run;
// every rule accepted denies the walk at its min_run-th number.
func TestGapRunSpanAcrossBoundary(t *testing.T) {
	for _, tc := range []struct {
		minRun, maxGap int
		valid          bool
	}{
		{60, 100, false},
		{50, 100, true},
		{51, 100, false},
		{5001, 0, true},
		{5002, 0, false},
		{20, 2, true},
	} {
		t.Run(fmt.Sprintf("min_run=%d/max_gap=%d", tc.minRun, tc.maxGap), func(t *testing.T) {
			rule := &Sequential{MinRun: tc.minRun, MaxGap: tc.maxGap, Window: dialgate.Duration(24 * time.Hour), Cite: uCite}
			err := (Config{Sequential: rule}).Validate()
			if !tc.valid {
				if err == nil || !strings.Contains(err.Error(), "sweep.sequential.min_run") {
					t.Fatalf("Validate: %v, want an error naming sweep.sequential.min_run", err)
				}
				tenant := *rule
				cfg := Config{Sequential: &Sequential{MinRun: 3, MaxGap: 0, Window: rule.Window, Cite: uCite},
					Tenants: map[string]TenantRules{"acme": {Sequential: &tenant}}}
				if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "sweep.tenants.acme.sequential") {
					t.Fatalf("Validate (tenant): %v, want an error naming sweep.tenants.acme.sequential", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if tc.minRun <= 100 {
				boundaryWalks(t, rule, tc.maxGap+1)
			}
		})
	}
}
