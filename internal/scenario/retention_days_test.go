package scenario

import (
	"context"
	"strings"
	"testing"
)

// A recording event with retention_days 0 or below is refused
// (policy.retention_too_short), and the message names the key and the value
// the file gave: it said "retention: -1ns is below the 30-day floor", a value
// the auditor never wrote.
func TestRetentionDaysNotPositiveNamed(t *testing.T) {
	for _, days := range []string{"0", "-5"} {
		src := `schema: dialgate.scenario.v1
name: retention days
profile: cn
steps:
  - at: 2026-12-01T10:05:00+08:00
    event: {type: recording, id: r-1, number: "+8613900139000", started_at: 2026-12-01T10:00:00+08:00, retention_days: ` + days + `}
    want: {error: policy.retention_too_short}
`
		f, err := Parse("retention.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Run(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		s := rep.Steps[0]
		if !s.Pass || !strings.Contains(s.Got.Message, "retention_days: "+days) || strings.Contains(s.Got.Message, "ns ") {
			t.Errorf("retention_days %s: pass %v, message %q; want policy.retention_too_short naming retention_days: %s", days, s.Pass, s.Got.Message, days)
		}
	}
}
