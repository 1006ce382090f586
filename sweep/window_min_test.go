package sweep

import (
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// A sweep rule's window is how long a dialled number counts towards the
// segment rate or stays part of a run. Written in seconds by a unit
// mistake ("30s" for 30 minutes, "1ns") the rule saw almost nothing: a
// walk through a segment at one number a second was never a run, and the
// segment rate never filled. It is refused naming the field, as a
// frequency cap's window under a minute is; a minute is accepted.
func TestConfigRefusesSubMinuteWindows(t *testing.T) {
	for _, w := range []time.Duration{time.Nanosecond, time.Second, 30 * time.Second, time.Minute - time.Nanosecond} {
		d := dialgate.Duration(w)
		rate := func() *SegmentRate { return &SegmentRate{Max: 50, Window: d, Cite: uCite} }
		run := func() *Sequential { return &Sequential{MinRun: 20, MaxGap: 2, Window: d, Cite: uCite} }
		for _, tc := range []struct {
			field string
			cfg   Config
		}{
			{"sweep.segment_rate.window", Config{SegmentRate: rate()}},
			{"sweep.sequential.window", Config{Sequential: run()}},
			{"sweep.stride.window", Config{Stride: run()}},
			{"sweep.tenants.acme.segment_rate.window", Config{Provenance: &Rule{Cite: uCite}, Tenants: map[string]TenantRules{"acme": {SegmentRate: rate()}}}},
			{"sweep.tenants.acme.sequential.window", Config{Provenance: &Rule{Cite: uCite}, Tenants: map[string]TenantRules{"acme": {Sequential: run()}}}},
			{"sweep.tenants.acme.stride.window", Config{Provenance: &Rule{Cite: uCite}, Tenants: map[string]TenantRules{"acme": {Stride: run()}}}},
		} {
			if err := tc.cfg.Validate(); err == nil || !strings.HasPrefix(err.Error(), tc.field+":") {
				t.Errorf("window %v: %v, want an error naming %s", w, err, tc.field)
			}
		}
	}
	ok := Config{
		SegmentRate: &SegmentRate{Max: 50, Window: dialgate.Duration(time.Minute), Cite: uCite},
		Sequential:  &Sequential{MinRun: 20, MaxGap: 2, Window: dialgate.Duration(time.Minute), Cite: uCite},
		Stride:      &Sequential{MinRun: 10, MaxGap: 2, Window: dialgate.Duration(time.Minute), Cite: uCite},
	}
	if err := ok.Validate(); err != nil {
		t.Errorf("one-minute windows: %v", err)
	}
}
