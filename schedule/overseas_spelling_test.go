package schedule

import (
	"testing"

	"github.com/dialgate/dialgate"
)

// TestOverseasSpellingsCovered: a line of a French overseas department
// has two E.164 spellings, +596 596 12 34 56 and +33 596 12 34 56, and so
// has a Mexican one, +52 55 … and +52 1 55 … (numbering.LineAlias); the
// dialer may send either. A declared no-call period and a regional holiday
// calendar given for one spelling's prefix cover the line under the other
// too: both are the same callee.
func TestOverseasSpellingsCovered(t *testing.T) {
	storm := func(prefix string) Blackout {
		return Blackout{
			From:     at(t, "2026-08-26T00:00:00-04:00"),
			Until:    at(t, "2026-08-28T00:00:00-04:00"),
			Prefixes: []string{prefix},
			Reason:   "Cyclone Test, arrêté préfectoral",
			Cite:     citeU,
		}
	}
	// 12:00 in Martinique, 18:00 in Paris: inside every window.
	const noon = "2026-08-27T12:00:00-04:00"
	runSteps(t, mustCheck(t, usConfig(storm("+596"))), []step{
		{"+596596123456", noon, dialgate.CodeOutsideWindow, ""},
		{"+33596123456", noon, dialgate.CodeOutsideWindow, ""},
		{"+33696123456", noon, dialgate.CodeOutsideWindow, ""},
		{"+33140000000", noon, "", ""}, // Paris: not covered
	})
	runSteps(t, mustCheck(t, usConfig(storm("+33596"))), []step{
		{"+33596123456", noon, dialgate.CodeOutsideWindow, ""},
		{"+596596123456", noon, dialgate.CodeOutsideWindow, ""},
		{"+596696123456", noon, "", ""}, // a mobile: +33 696, not covered
	})
	// A Mexican line with and without the withdrawn mobile prefix 1
	// (numbering.MexicoPrefixOneAlias): +52 55 … and +52 1 55 ….
	mx := Blackout{From: at(t, "2026-08-26T00:00:00-06:00"), Until: at(t, "2026-08-28T00:00:00-06:00"),
		Prefixes: []string{"+5255"}, Reason: "Sismo, declaratoria de emergencia", Cite: citeU}
	runSteps(t, mustCheck(t, usConfig(mx)), []step{
		{"+525512345678", "2026-08-27T12:00:00-06:00", dialgate.CodeOutsideWindow, ""},
		{"+5215512345678", "2026-08-27T12:00:00-06:00", dialgate.CodeOutsideWindow, ""},
		{"+523312345678", "2026-08-27T12:00:00-06:00", "", ""}, // Guadalajara: not covered
	})
	// Martinique's 22 May, given for the +596 spelling only.
	w := mustCheck(t, Config{
		Windows: []Window{daily("08:00-21:00")},
		Holidays: &Holidays{Forbid: true, Calendars: []string{"fr-2026"}, Cite: citeU,
			Regional: []RegionalHolidays{{Prefixes: []string{"+596"}, Calendars: []string{"fr-596-2026"}}}},
	})
	runSteps(t, w, []step{
		{"+596596123456", "2026-05-22T12:00:00-04:00", dialgate.CodeHoliday, ""},
		{"+33596123456", "2026-05-22T12:00:00-04:00", dialgate.CodeHoliday, ""},
		{"+33696123456", "2026-05-22T12:00:00-04:00", dialgate.CodeHoliday, ""},
		{"+33140000000", "2026-05-22T12:00:00+02:00", "", ""},
	})
}
