package dnc_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
)

// TestValidateSoundEntryNoAllocs: every store calls Validate on every entry
// it reads (ValidateStored): each look-up of a listed callee, each entry of
// ScanDNC when the lists load. The check that an instant can be stored as
// given encoded both instants to JSON and decoded them again (allocations
// per entry read); it is a comparison of the year and the zone offset.
func TestValidateSoundEntryNoAllocs(t *testing.T) {
	at := time.Date(2026, 12, 5, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	e := dnc.Entry{Number: dialgate.MustParseNumber("+8613900139000"), Scope: dnc.GlobalScope, List: "opt_out",
		Source: "call", AddedAt: at, HoldUntil: at.AddDate(1, 0, 0), Evidence: "decision:dg-1"}
	if err := e.Validate(); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _ = e.Validate() }); n != 0 {
		t.Errorf("Validate of a sound entry: %v allocations, want 0", n)
	}
}

// TestValidateUnkeptInstants: what a JSON store cannot keep as given is
// refused naming the field and why, whatever the check's form: a year
// outside 0000–9999 in the instant's own zone (a year-0 instant east of UTC
// is kept), a zone offset with seconds, and one of 24 hours or more (which
// was reported as a year outside 0000–9999).
func TestValidateUnkeptInstants(t *testing.T) {
	base := dnc.Entry{Number: dialgate.MustParseNumber("+8613900139000"), Scope: dnc.GlobalScope, List: "opt_out"}
	for _, c := range []struct {
		name string
		t    time.Time
		want string // "" kept
	}{
		{"year 9999 UTC", time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), ""},
		{"year 10000", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), "year"},
		{"year 9999 west of UTC, 10000 in UTC", time.Date(9999, 12, 31, 23, 0, 0, 0, time.FixedZone("", -5*3600)), ""},
		{"year 0", time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), ""},
		{"year 0 east of UTC, -1 in UTC", time.Date(0, 1, 1, 0, 30, 0, 0, time.FixedZone("", 3600)), ""},
		{"year -1", time.Date(-1, 12, 31, 0, 0, 0, 0, time.UTC), "year"},
		{"offset with seconds", time.Date(2026, 12, 5, 9, 0, 0, 0, time.FixedZone("LMT", 8*3600+5*60+43)), "zone offset"},
		{"offset of seconds only", time.Date(2026, 12, 5, 9, 0, 0, 0, time.FixedZone("", 30)), "zone offset"},
		{"offset of 24 hours", time.Date(2026, 12, 5, 9, 0, 0, 0, time.FixedZone("", 24*3600)), "zone offset"},
		{"offset of -24 hours", time.Date(2026, 12, 5, 9, 0, 0, 0, time.FixedZone("", -24*3600)), "zone offset"},
		{"offset of 23:59", time.Date(2026, 12, 5, 9, 0, 0, 0, time.FixedZone("", 23*3600+59*60)), ""},
	} {
		e := base
		e.AddedAt = c.t
		err := e.Validate()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v, want kept", c.name, err)
		case c.want != "" && (!errors.Is(err, dnc.ErrInvalidEntry) || !strings.Contains(err.Error(), "added_at") || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want dnc.ErrInvalidEntry naming added_at and %q", c.name, err, c.want)
		}
		if c.want == "" {
			// Kept means stored and read back as the same instant.
			b, merr := c.t.MarshalJSON()
			var back time.Time
			if merr != nil || back.UnmarshalJSON(b) != nil || !back.Equal(c.t) {
				t.Errorf("%s: accepted but not kept by JSON: %s %v", c.name, b, merr)
			}
		}
	}
}
