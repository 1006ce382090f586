package policy

import (
	"errors"
	"testing"
	"time"
)

// FuzzMerge: Merge (scenario policy: overrides) takes any bytes as a patch
// of a built-in profile. It returns an error wrapping ErrInvalidProfile, or a
// profile that validates, keeps the base's schema, and whose Explain, Lint
// and GuardWindow run; it never panics.
func FuzzMerge(f *testing.F) {
	for _, s := range []string{
		"recording: {retention: 31d}",
		"recording: {retention: 0s}",
		"complaint: {forward_days: 0, zone: \"\"}",
		"dnc: {hold: {months: 0}}",
		"dnc: {registries: [{name: us-national-dnc, max_age: 0s, cite: {source: L, ref: x}}]}",
		"sweep: {sequential: {max_step: 0}, stride: null}",
		"frequency: {caps: [{count: 1e1, window: 5m, cite: {source: U, ref: x}}]}",
		"schedule: {callback: {max_trigger_age: 24h, cite: {source: U, ref: x}}}",
		"consent: null\nabandonment: {max_rate: 1}",
		"{\"ring\": {\"min\": \"1s\"}}",
		"<<: {recording: {retention: 1d}}",
		"schema: x",
	} {
		f.Add(uint8(0), []byte(s))
	}
	bases := Builtins()
	f.Fuzz(func(t *testing.T, which uint8, patch []byte) {
		base, err := Builtin(bases[int(which)%len(bases)])
		if err != nil {
			t.Fatal(err)
		}
		p, err := Merge(base, patch)
		if err != nil {
			if !errors.Is(err, ErrInvalidProfile) {
				t.Fatalf("Merge error %v does not wrap ErrInvalidProfile", err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("Merge returned a profile that does not validate: %v", err)
		}
		if p.Schema != Schema {
			t.Fatalf("schema %q", p.Schema)
		}
		_ = Explain(p)
		_ = Lint(p, time.Date(2026, 6, 10, 0, 0, 0, 0, time.UTC))
		_ = GuardWindow(p)
	})
}
