package policy

import (
	"errors"
	"strings"
	"testing"
)

// TestExplicitZeroRefused: a profile field whose zero value stands for a
// default or for "no limit" (recording.retention 0 is the 30-day floor,
// complaint.forward_days 0 is 3 days, an empty complaint.zone is UTC, a
// registry's max_age 0 is no age limit, sweep.sequential.max_step 0 is no
// fixed-step rule, a dnc.hold of 0 months 0 days holds nothing) is refused
// when a profile or overlay writes the zero: the value written is never
// silently replaced by another. The error names the field. Leaving the key
// out (or null in an overlay) keeps its documented meaning.
func TestExplicitZeroRefused(t *testing.T) {
	for _, tt := range []struct{ base, body, field string }{
		{"cn-insurance", "recording: {retention: 0s}", "recording.retention"},
		{"us", "recording: {retention: 0d}", "recording.retention"},
		{"cn", "complaint: {forward_days: 0}", "complaint.forward_days"},
		{"cn", "complaint: {handle_days: 0}", "complaint.handle_days"},
		{"cn", "complaint: {answer_days: 0}", "complaint.answer_days"},
		{"cn", `complaint: {zone: ""}`, "complaint.zone"},
		{"us", "dnc: {registries: [{name: us-national-dnc, max_age: 0s, cite: {source: L, ref: x}}]}", "dnc.registries[0].max_age"},
		{"uk", "dnc: {registries: [{name: uk-tps, max_age: 28d, cite: {source: L, ref: x}}, {name: uk-ctps, max_age: 0h, cite: {source: L, ref: x}}]}", "dnc.registries[1].max_age"},
		{"cn", "sweep: {sequential: {max_step: 0}}", "sweep.sequential.max_step"},
		{"cn", "sweep: {tenants: {acme: {sequential: {min_run: 10, max_gap: 2, window: 24h, max_step: 0, cite: {source: U, ref: x}}}}}", "sweep.tenants.acme.sequential.max_step"},
		{"cn", "dnc: {hold: {months: 0}}", "dnc.hold"},
		{"us", "dnc: {hold: {months: 0, days: 0}}", "dnc.hold"},
	} {
		src := "schema: dialgate.profile.v1\nname: x\nextends: " + tt.base + "\n" + tt.body + "\n"
		_, err := Parse("x.yaml", []byte(src))
		if err == nil {
			t.Errorf("%s + %s: accepted, want an error naming %s", tt.base, tt.body, tt.field)
			continue
		}
		if !errors.Is(err, ErrInvalidProfile) || !strings.Contains(err.Error(), tt.field+":") {
			t.Errorf("%s + %s: %v, want ErrInvalidProfile naming %s", tt.base, tt.body, err, tt.field)
		}
		// Merge (scenario policy: overrides) refuses it too.
		if _, err := Merge(builtin(t, tt.base), []byte(tt.body)); err == nil || !strings.Contains(err.Error(), tt.field+":") {
			t.Errorf("Merge(%s, %s) = %v, want an error naming %s", tt.base, tt.body, err, tt.field)
		}
	}
	// Non-zero values, a hold of days only, and null (remove in an overlay)
	// are still accepted.
	for _, tt := range []struct{ base, body string }{
		{"cn", "recording: {retention: 31d}"},
		{"cn", "complaint: {forward_days: 1, handle_days: 10, answer_days: 2, zone: Asia/Shanghai}"},
		{"cn", "complaint: {zone: null}"},
		{"us", "dnc: {registries: [{name: us-national-dnc, max_age: 30d, cite: {source: L, ref: x}}]}"},
		{"cn", "sweep: {sequential: {max_step: null}}"},
		{"cn", "dnc: {hold: {months: 0, days: 400}}"},
		{"cn", "dnc: {hold: null}"},
		{"cn", "recording: {retention: null}"},
	} {
		src := "schema: dialgate.profile.v1\nname: x\nextends: " + tt.base + "\n" + tt.body + "\n"
		if _, err := Parse("x.yaml", []byte(src)); err != nil {
			t.Errorf("%s + %s: %v, want accepted", tt.base, tt.body, err)
		}
	}
}
