package schedule

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// TestAttestUntilNeverPastTheEnd: across the US changes of offset (a
// window through the skipped and the repeated hour), holidays forbidden
// the next day, a callee in several zones, a callee_zone added, standard
// time judged too, and an exempt callback, every instant from a pass to
// its until passes: until is never later than the true end.
func TestAttestUntilNeverPastTheEnd(t *testing.T) {
	ny := dialgate.MustParseNumber(nyNumber)
	sd := dialgate.MustParseNumber(sdNumber)
	for _, tc := range []struct {
		name string
		cfg  Config
		d    dialgate.Dial
		from string // samples from here, every 37 min 13 s, for 3 days
	}{
		{name: "dst spring", cfg: Config{Windows: []Window{daily("01:00-02:30", "03:10-21:00")}}, d: dialgate.Dial{To: ny}, from: "2026-03-06T12:00:00-05:00"},
		{name: "dst autumn", cfg: Config{Windows: []Window{daily("00:30-01:30", "08:00-21:00")}}, d: dialgate.Dial{To: ny}, from: "2026-10-30T12:00:00-04:00"},
		{name: "standard time", cfg: Config{Windows: []Window{daily("08:00-21:00")}, AlsoInStandardTime: &StandardTime{Cite: citeU}}, d: dialgate.Dial{To: ny}, from: "2026-03-06T12:00:00-05:00"},
		{name: "holiday next day", cfg: Config{Windows: []Window{daily("00:00-24:00")}, Holidays: &Holidays{Forbid: true, Calendars: []string{"us-federal-2026"}, Cite: citeU}}, d: dialgate.Dial{To: ny}, from: "2026-12-23T00:00:00-05:00"},
		{name: "several zones", cfg: Config{Windows: []Window{daily("08:00-21:00")}}, d: dialgate.Dial{To: sd}, from: "2026-10-30T12:00:00-04:00"},
		{name: "callee zone", cfg: Config{Windows: []Window{daily("08:00-21:00")}}, d: dialgate.Dial{To: ny, CalleeZone: "America/Los_Angeles"}, from: "2026-10-30T12:00:00-04:00"},
		{name: "callback", cfg: cnConfig(), d: dialgate.Dial{To: dialgate.MustParseNumber(cnMobile), Purpose: dialgate.PurposeCallback}, from: "2026-12-04T00:00:00+08:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := mustCheck(t, tc.cfg)
			d := tc.d
			if d.Purpose == "" {
				d.Purpose = dialgate.PurposeMarketing
			}
			start := at(t, tc.from)
			seen := 0
			for a := start; a.Before(start.Add(72 * time.Hour)); a = a.Add(37*time.Minute + 13*time.Second) {
				d.At = a
				if d.Purpose == dialgate.PurposeCallback {
					d.TriggerAt = a.Add(-17 * time.Minute)
				}
				rs, _, until, err := w.AttestUntil(context.Background(), d)
				if err != nil || len(rs) != 0 {
					continue
				}
				seen++
				if until.IsZero() || !until.After(a) {
					t.Fatalf("at %v: until %v", a, until)
				}
				for c := a; c.Before(until); c = c.Add(time.Minute).Truncate(time.Minute) {
					if !passes(t, w, d, c) {
						t.Fatalf("at %v: until %v, but the dial fails at %v", a, until, c)
					}
				}
				if !passes(t, w, d, until.Add(-time.Nanosecond)) {
					t.Fatalf("at %v: the dial fails just before until %v", a, until)
				}
			}
			if seen == 0 {
				t.Fatal("no passing instant sampled")
			}
		})
	}
}
