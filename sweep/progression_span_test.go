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
			span := (tc.minRun - 1) * tc.maxStep
			// The boundary between 1390013 and 1390014; walks whose first
			// number is below it by 1 to span (up and down).
			const boundary = 8613900140000
			for _, off := range []int{1, span / 3, span / 2, span - 1, span} {
				for _, down := range []bool{false, true} {
					c, err := New(Config{Sequential: rule}, nil)
					if err != nil {
						t.Fatal(err)
					}
					start, step := boundary-off, tc.maxStep
					if down {
						start, step = start+span, -step
					}
					denied := -1
					for i := range tc.minRun {
						n, err := dialgate.NumberFromUint64(uint64(start + i*step))
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
					if denied != tc.minRun-1 {
						t.Errorf("walk from %d below the boundary (down %v): dial %d denied (-1: none), want the %d-th", off, down, denied, tc.minRun)
					}
				}
			}
		})
	}
}
