package policy

import (
	"errors"
	"strings"
	"testing"
)

// TestExplicitZeroStrideMaxStepRefused: the stride rule's max_step is the
// sequential rule's field (a sweep.Sequential), and its zero also stands for
// no fixed-step rule; docs/deploy.md refuses "sweep…max_step: 0". A zero
// written for sweep.stride.max_step or a tenant's stride max_step was taken
// silently while the sequential rule's was refused.
func TestExplicitZeroStrideMaxStepRefused(t *testing.T) {
	stride := "{min_run: 10, max_gap: 2, window: 24h, max_step: 0, cite: {source: U, ref: x}}"
	for _, tt := range []struct{ base, body, field string }{
		{"us-ok", "sweep: {stride: {max_step: 0}}", "sweep.stride.max_step"},
		{"cn", "sweep: {stride: " + stride + "}", "sweep.stride.max_step"},
		{"cn", "sweep: {tenants: {acme: {stride: " + stride + "}}}", "sweep.tenants.acme.stride.max_step"},
	} {
		src := "schema: dialgate.profile.v1\nname: x\nextends: " + tt.base + "\n" + tt.body + "\n"
		if _, err := Parse("x.yaml", []byte(src)); err == nil || !errors.Is(err, ErrInvalidProfile) || !strings.Contains(err.Error(), tt.field+":") {
			t.Errorf("%s + %s: %v, want ErrInvalidProfile naming %s", tt.base, tt.body, err, tt.field)
		}
		if _, err := Merge(builtin(t, tt.base), []byte(tt.body)); err == nil || !strings.Contains(err.Error(), tt.field+":") {
			t.Errorf("Merge(%s, %s) = %v, want an error naming %s", tt.base, tt.body, err, tt.field)
		}
	}
	// Left out, null, or a value: accepted.
	for _, body := range []string{
		"sweep: {stride: {max_step: null}}",
		"sweep: {stride: {min_run: 10, max_gap: 2, window: 24h, max_step: 100, cite: {source: U, ref: x}}}",
	} {
		src := "schema: dialgate.profile.v1\nname: x\nextends: us-ok\n" + body + "\n"
		if _, err := Parse("x.yaml", []byte(src)); err != nil {
			t.Errorf("us-ok + %s: %v, want accepted", body, err)
		}
	}
}
