package schedule_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
)

var ringCite = dialgate.Citation{Source: dialgate.SourceConvention, Ref: "test"}

func TestRingConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  schedule.RingConfig
		want string // "" for valid
	}{
		{"15s", schedule.RingConfig{Min: dialgate.Duration(15 * time.Second), Cite: ringCite}, ""},
		{"1s", schedule.RingConfig{Min: dialgate.Duration(time.Second), Cite: ringCite}, ""},
		{"2m", schedule.RingConfig{Min: dialgate.Duration(schedule.MaxRingMin), Cite: ringCite}, ""},
		{"missing", schedule.RingConfig{Cite: ringCite}, "ring.min: missing or zero"},
		{"negative", schedule.RingConfig{Min: dialgate.Duration(-time.Second), Cite: ringCite}, "ring.min: -1s is negative"},
		{"fraction", schedule.RingConfig{Min: dialgate.Duration(15500 * time.Millisecond), Cite: ringCite}, "ring.min: 15.5s is not a whole number of seconds"},
		{"typo", schedule.RingConfig{Min: dialgate.Duration(15 * time.Minute), Cite: ringCite}, "ring.min: 15m0s is longer than 2m0s"},
		{"no citation", schedule.RingConfig{Min: dialgate.Duration(15 * time.Second)}, "ring.cite.source: missing"},
		{"no reference", schedule.RingConfig{Min: dialgate.Duration(15 * time.Second), Cite: dialgate.Citation{Source: dialgate.SourceLaw}}, "ring.cite.ref: missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, schedule.ErrInvalidRing) {
				t.Fatalf("Validate() = %v, want an error containing %q wrapping ErrInvalidRing", err, tc.want)
			}
			if _, err := schedule.NewRingCheck(tc.cfg); !errors.Is(err, schedule.ErrInvalidRing) {
				t.Errorf("NewRingCheck() = %v, want ErrInvalidRing", err)
			}
		})
	}
}

// The ring check never denies and tells every dial the minimum, in whole
// seconds, with a slice it shares between calls.
func TestRingCheckAttests(t *testing.T) {
	c, err := schedule.NewRingCheck(schedule.RingConfig{Min: dialgate.Duration(15 * time.Second), Cite: ringCite})
	if err != nil {
		t.Fatal(err)
	}
	if c.Name() != "ring" || c.Min() != 15*time.Second {
		t.Fatalf("Name() = %q, Min() = %v", c.Name(), c.Min())
	}
	ctx := context.Background()
	for _, d := range []dialgate.Dial{
		{},
		{To: dialgate.MustParseNumber("+8613800138000"), Purpose: dialgate.PurposeMarketing, At: time.Date(2026, 12, 4, 22, 30, 0, 0, time.UTC)},
	} {
		rs, err := c.Check(ctx, d)
		if rs != nil || err != nil {
			t.Errorf("Check(%+v) = %v, %v; want no reason", d, rs, err)
		}
		rs, ev, err := c.Attest(ctx, d)
		if rs != nil || err != nil || len(ev) != 1 || ev[0] != (dialgate.Evidence{Key: "ring.min_seconds", Value: "15"}) {
			t.Errorf("Attest(%+v) = %v, %v, %v", d, rs, ev, err)
		}
	}
	if allocs := testing.AllocsPerRun(100, func() { _, _, _ = c.Attest(ctx, dialgate.Dial{}) }); allocs != 0 {
		t.Errorf("Attest allocates %v times", allocs)
	}
}
