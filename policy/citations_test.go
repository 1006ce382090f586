package policy

import (
	"strings"
	"testing"

	"github.com/dialgate/dialgate/schedule"
)

// TestBuiltinCitationRefs pins the citations corrected against the law's text
// on 2026-12-05 (docs/citations.md): each path must name the paragraph that
// holds the rule and must not name the wrong one it named before.
func TestBuiltinCitationRefs(t *testing.T) {
	tests := []struct {
		profile, path, want, not string
	}{
		// § 77-3-725 is "Violations; hearings; penalties"; the hours and Sunday rule is § 77-3-723(1).
		{"us-ms", "schedule.windows[0].cite", "77-3-723(1)", "77-3-725"},
		// r. 770-X-5-.16 is not the solicitation rule; r. 770-X-5-.17(1)(b) bars Sundays, holidays, before 8 a.m. and after 8 p.m.
		{"us-al", "schedule.windows[0].cite", "770-X-5-.17(1)(b)", "770-X-5-.16"},
		{"us-al", "schedule.holidays.cite", "770-X-5-.17(1)(b)", "770-X-5-.16"},
		// PECR reg. 21(3) is the 28-day defence; 21(4) is the subscriber's own consent.
		{"uk", "dnc.registries[0].cite", "21(3)", "21(4)"},
		{"uk", "dnc.registries[1].cite", "21(3)", "21(4)"},
		// The caller-ID duty of direct-marketing calls is reg. 21(A1), inserted by SI 2016/524.
		{"uk", "callerid.cite", "21(A1)", ""},
		// § 501.616 is in the Florida Telemarketing Act; the Telephone Solicitation Act is § 501.059.
		{"us-fl", "frequency.caps[0].cite", "Florida Telemarketing Act", "Telephone Solicitation Act"},
		// The 15 s / 4 rings minimum is also the FCC's own prohibition, 47 CFR 64.1200(a)(6), not only the
		// TSR safe-harbor condition (eCFR text read 2026-12-05, docs/citations.md).
		{"us", "ring.cite", "47 CFR 64.1200(a)(6)", ""},
		// DNCR Act s 11(3)(b) is the 30-day period ending at the end of the call's day; the ACMA guidance
		// alone was cited before.
		{"au", "dnc.registries[0].cite", "s 11(3)(b)", "ACMA"},
	}
	for _, tt := range tests {
		var found bool
		for _, c := range Citations(builtin(t, tt.profile)) {
			if c.Path != tt.path {
				continue
			}
			found = true
			if !strings.Contains(c.Cite.Ref, tt.want) {
				t.Errorf("%s %s cites %q, want it to name %s", tt.profile, tt.path, c.Cite.Ref, tt.want)
			}
			if tt.not != "" && strings.Contains(c.Cite.Ref, tt.not) {
				t.Errorf("%s %s cites %q, which names %s (wrong paragraph)", tt.profile, tt.path, c.Cite.Ref, tt.not)
			}
		}
		if !found {
			t.Errorf("%s: no citation at %s", tt.profile, tt.path)
		}
	}
}

// TestCapsUSFLCitesProfile: the Go copy of the Florida cap cites what the
// built-in profile cites.
func TestCapsUSFLCitesProfile(t *testing.T) {
	p := builtin(t, "us-fl")
	got := schedule.CapsUSFL().Caps[0].Cite
	want := p.Frequency.Caps[0].Cite
	if got.Ref != want.Ref || got.Source != want.Source {
		t.Errorf("schedule.CapsUSFL cites %v, the us-fl profile %v", got, want)
	}
}
