package schedule

import (
	"context"
	"testing"

	"github.com/dialgate/dialgate"
)

// Every path the schedule judges a dial on names the declarations in force
// in its evidence (allowed, exempt callback, denied by the windows, by a
// declared period with the zone known or not, zone unknown, holiday), and
// the allowed paths still do not allocate with declarations in force.
func TestDeclarationsEvidenceOnEveryPath(t *testing.T) {
	d := mustDeclarations(t, declFile)
	cases := []struct {
		name string
		cfg  Config
		dial dialgate.Dial
		deny dialgate.Code // "": allowed
	}{
		{"allowed, default zone", cnConfig(), dialgate.Dial{To: dialgate.MustParseNumber(cnMobile), Purpose: dialgate.PurposeMarketing, At: at(t, "2026-06-10T10:00:00+08:00")}, ""},
		{"allowed, nanp 2 zones", cnConfig(), dialgate.Dial{To: dialgate.MustParseNumber(sdNumber), Purpose: dialgate.PurposeMarketing, At: at(t, "2026-06-10T21:00:00Z")}, ""},
		{"exempt callback", cnConfig(), dialgate.Dial{To: dialgate.MustParseNumber(cnMobile), Purpose: dialgate.PurposeCallback, At: at(t, "2026-06-10T23:00:00+08:00"), TriggerAt: at(t, "2026-06-10T22:59:00+08:00")}, ""},
		{"denied window", cnConfig(), dialgate.Dial{To: dialgate.MustParseNumber(cnMobile), Purpose: dialgate.PurposeMarketing, At: at(t, "2026-06-10T23:00:00+08:00")}, dialgate.CodeOutsideWindow},
		{"denied blackout", usConfig(), dialgate.Dial{To: dialgate.MustParseNumber(brNumber), Purpose: dialgate.PurposeMarketing, At: at(t, "2026-08-27T12:00:00-05:00")}, dialgate.CodeOutsideWindow},
		{"denied blackout, zone unknown", Config{Windows: []Window{daily("08:00-21:00")}}, dialgate.Dial{To: dialgate.MustParseNumber("+8821234567890"), Purpose: dialgate.PurposeMarketing, At: at(t, "2026-08-27T12:00:00-05:00")}, dialgate.CodeOutsideWindow},
		{"zone unknown", Config{Windows: []Window{daily("08:00-21:00")}}, dialgate.Dial{To: dialgate.MustParseNumber("+8821234567890"), Purpose: dialgate.PurposeMarketing, At: at(t, "2026-06-10T12:00:00+08:00")}, dialgate.CodeZoneUnknown},
		{"holiday", Config{Windows: []Window{daily("08:00-21:00")}, Holidays: &Holidays{Calendars: []string{"us-federal-2026"}, Forbid: true, Cite: citeU}}, dialgate.Dial{To: dialgate.MustParseNumber(nyNumber), Purpose: dialgate.PurposeMarketing, At: at(t, "2026-07-03T12:00:00-04:00")}, dialgate.CodeHoliday},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := mustCheck(t, tc.cfg)
			d := d
			if tc.name == "denied blackout, zone unknown" {
				// A declared period over every callee.
				d = mustDeclarations(t, "schema: dialgate.blackouts.v1\nblackouts:\n  - from: 2026-08-26T10:00:00-05:00\n    until: 2026-08-28T15:00:00-05:00\n    reason: All\n    cite: {source: U, ref: x}\n")
			}
			if err := w.Declare(d); err != nil {
				t.Fatal(err)
			}
			rs, ev, err := w.Attest(context.Background(), tc.dial)
			if err != nil {
				t.Fatal(err)
			}
			if (len(rs) > 0) != (tc.deny != "") || len(rs) > 0 && rs[0].Code != tc.deny {
				t.Fatalf("reasons %+v, want %q", rs, tc.deny)
			}
			for _, r := range rs {
				ev = append(ev, r.Evidence...)
			}
			if v, _ := evidenceValue(ev, EvidenceDeclarations); v != d.Version() {
				t.Fatalf("evidence %+v lacks %s", ev, EvidenceDeclarations)
			}
			if tc.deny != "" {
				return
			}
			if a := testing.AllocsPerRun(100, func() { _, _, _ = w.Attest(context.Background(), tc.dial) }); a != 0 {
				t.Errorf("%v allocs on the allowed path with declarations", a)
			}
		})
	}
}
