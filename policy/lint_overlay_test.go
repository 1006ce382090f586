package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLintOverlayWeakensLaw: an overlay may change a base's conventions [U]
// freely, but Lint warns when it relaxes a rule the base cites to a law or a
// regulator (L, R): the profile still loads, the weakening is not silent.
func TestLintOverlayWeakensLaw(t *testing.T) {
	now := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	head := "schema: dialgate.profile.v1\nname: mine\n"
	tests := []struct {
		name string
		src  string
		want []string // substrings, one per expected warning
	}{
		{"us widened window", head + "extends: us\nschedule:\n  windows:\n    - {days: [mon-sun], ranges: [\"07:00-22:00\"], cite: {source: U, ref: ours}}\n",
			[]string{"schedule.windows: allows mon 07:00, which base us forbids (47 CFR 64.1200(c)(1))"}},
		// The schedule reads "sat - sun" as "sat-sun" (each day trimmed):
		// Lint must read it alike.
		{"us widened window, days spelt with spaces", head + "extends: us\nschedule:\n  windows:\n    - {days: [\"mon - sun\"], ranges: [\"00:00-24:00\"], cite: {source: U, ref: ours}}\n",
			[]string{"schedule.windows: allows mon 00:00, which base us forbids (47 CFR 64.1200(c)(1))"}},
		{"us narrowed window, days spelt with spaces", head + "extends: us\nschedule:\n  windows:\n    - {days: [\" Mon - Fri \"], ranges: [\"09:00-17:00\"], cite: {source: U, ref: ours}}\n", nil},
		{"us narrowed window", head + "extends: us\nschedule:\n  windows:\n    - {days: [mon-fri], ranges: [\"09:00-17:00\"], cite: {source: U, ref: ours}}\n", nil},
		{"cn convention widened", head + "extends: cn\nschedule:\n  windows:\n    - {days: [mon-sun], ranges: [\"08:00-22:00\"], cite: {source: U, ref: ours}}\n", nil},
		{"cn-insurance retention", head + "extends: cn-insurance\nrecording: {retention: 30d}\n",
			[]string{"recording.retention: 30d is shorter than the 1827d of base cn-insurance"}},
		{"cn-insurance recording removed", head + "extends: cn-insurance\nrecording: null\n",
			[]string{"recording: removed"}},
		{"cn-insurance not required", head + "extends: cn-insurance\nrecording: {required: false}\n",
			[]string{"recording.required: off"}},
		{"us registry removed", head + "extends: us\ndnc: {registries: null}\n",
			[]string{"dnc.registries: registry us-national-dnc of base us is not required"}},
		{"us registry older", head + "extends: us\ndnc: {registries: [{name: us-national-dnc, max_age: 60d, cite: {source: U, ref: ours}}]}\n",
			[]string{"dnc.registries[0].max_age: 60d is longer than the 31d of base us"}},
		{"us registry no age", head + "extends: us\ndnc: {registries: [{name: us-national-dnc}]}\n",
			[]string{"dnc.registries[0].max_age: no limit, base us allows 31d"}},
		{"us registry narrowed", head + "extends: us\ndnc: {registries: [{name: us-national-dnc, scope: \"industry:finance\", max_age: 31d, cite: {source: U, ref: ours}}]}\n",
			[]string{"dnc.registries[0].scope: industry:finance, base us requires the registry in scope global"}},
		{"us hold shortened", head + "extends: us\ndnc: {hold: {months: 12, cite: {source: U, ref: ours}}}\n",
			[]string{"dnc.hold: shorter than the 60 months 0 days of base us"}},
		{"us consent removed", head + "extends: us\nconsent: null\n",
			[]string{"consent: base us requires consent for marketing calls"}},
		{"fr consent later", head + "extends: fr\nconsent: {require: [{purposes: [marketing], effective_from: 2027-01-01T00:00:00+01:00, cite: {source: U, ref: ours}}]}\n",
			[]string{"consent: base fr requires consent for marketing calls from 2026-08-11"}},
		{"fr cap loosened", head + "extends: fr\nfrequency: {caps: [{count: 6, window: 30d, purposes: [marketing], cite: {source: U, ref: ours}}]}\n",
			[]string{"frequency: base fr caps 4 calls per 30d per callee (marketing)"}},
		{"fr holidays allowed", head + "extends: fr\nschedule: {holidays: {forbid: false}}\n",
			[]string{"schedule.holidays: base fr forbids calls on holidays"}},
		{"us-collections pause removed", head + "extends: us-collections\nfrequency: {pause_after_conversation: null}\n",
			[]string{"frequency.pause_after_conversation: base us-collections pauses 7d"}},
		{"uk abandoned pause removed", head + "extends: uk\nfrequency: {pause_after_abandoned: null}\n",
			[]string{"frequency.pause_after_abandoned: base uk pauses 3d after an abandoned call, per callee"}},
		{"uk abandoned pause shortened", head + "extends: uk\nfrequency: {pause_after_abandoned: {window: 24h, cite: {source: U, ref: ours}}}\n",
			[]string{"frequency.pause_after_abandoned: base uk pauses 3d"}},
		{"fr refusal pause shortened", head + "extends: fr\nfrequency: {pause_after_refusal: {window: 30d, purposes: [marketing], cite: {source: U, ref: ours}}}\n",
			[]string{"frequency.pause_after_refusal: base fr pauses 61d after a refusal, per callee"}},
		{"us abandonment removed", head + "extends: us\nabandonment: null\n",
			[]string{"abandonment: removed; base us denies dials without an agent reserved while a campaign abandons more than 3% of its answered calls in 30d (16 CFR 310.4(b)(4)(i)"}},
		{"us abandonment raised", head + "extends: us\nabandonment: {max_rate: 0.05}\n",
			[]string{"abandonment.max_rate: 5% is above the 3% of base us"}},
		{"us abandonment lowered", head + "extends: us\nabandonment: {max_rate: 0.02, purposes: [marketing, survey]}\n", nil},
		{"us abandonment longer window", head + "extends: us\nabandonment: {window: 60d}\n",
			[]string{"abandonment.window: 60d, base us measures the rate over 30d"}},
		{"uk abandonment shorter window", head + "extends: uk\nabandonment: {window: 1h}\n",
			[]string{"abandonment.window: 1h, base uk measures the rate over 24h"}},
		{"uk abandonment fewer purposes", head + "extends: uk\nabandonment: {purposes: [marketing]}\n",
			[]string{"abandonment.purposes: limits the rule to marketing; base uk applies it to every purpose"}},
		{"fr refusal pause lengthened", head + "extends: fr\nfrequency: {pause_after_refusal: {window: 90d, cite: {source: U, ref: ours}}}\n", nil},
		// calendars is a list: setting it replaces the base's whole.
		{"us-al state holidays dropped", head + "extends: us-al\nschedule: {holidays: {calendars: [us-federal-2026, us-federal-2027]}}\n",
			[]string{"schedule.holidays: calendar us-al-2026 of base us-al is not listed", "schedule.holidays: calendar us-al-2027 of base us-al is not listed"}},
		{"us-al federal holidays dropped", head + "extends: us-al\nschedule: {holidays: {calendars: [us-al-2026, us-al-2027]}}\n",
			[]string{"calendar us-federal-2026 of base us-al", "calendar us-federal-2027 of base us-al"}},
		{"fr regional dropped", head + "extends: fr\nschedule: {holidays: {regional: [{prefixes: [\"+590\", \"+33590\", \"+33690\", \"+33691\", \"+335987\", \"+337090\"], calendars: [fr-590-2026, fr-590-2027]}]}}\n",
			[]string{"calendar fr-594-2026 of base fr", "calendar fr-594-2027 of base fr", "calendar fr-596-2026 of base fr",
				"calendar fr-596-2027 of base fr", "calendar fr-262-2026 of base fr", "calendar fr-262-2027 of base fr"}},
		// Every calendar still listed, but no longer for all the callees
		// the base gives it to.
		{"fr regional narrowed", head + "extends: fr\nschedule: {holidays: {regional: [" +
			"{prefixes: [\"+590690\", \"+33590\", \"+33690\", \"+33691\", \"+335987\", \"+337090\"], calendars: [fr-590-2026, fr-590-2027]}, {prefixes: [\"+594\", \"+33594\", \"+33694\", \"+335988\", \"+3370930\", \"+3370931\", \"+3370932\", \"+3370933\", \"+3370934\"], calendars: [fr-594-2026, fr-594-2027]}, " +
			"{prefixes: [\"+596\", \"+33596\", \"+33696\", \"+33697\", \"+335989\", \"+337091\"], calendars: [fr-596-2026, fr-596-2027]}, {prefixes: [\"+262\", \"+33262\", \"+33263\", \"+33692\", \"+33693\", \"+33269\", \"+33639\", \"+332688\", \"+332689\", \"+337092\", \"+3370935\", \"+3370936\", \"+3370937\", \"+3370938\", \"+3370939\"], calendars: [fr-262-2026, fr-262-2027]}]}}\n",
			[]string{"calendar fr-590-2026 of base fr is not listed for every callee of +590 (listed for +590690, +33590, +33690, +33691, +335987, +337090 only)", "calendar fr-590-2027 of base fr is not listed for every callee of +590"}},
		{"fr regional swapped", head + "extends: fr\nschedule: {holidays: {regional: [" +
			"{prefixes: [\"+594\", \"+33590\", \"+33690\", \"+33691\", \"+335987\", \"+337090\"], calendars: [fr-590-2026, fr-590-2027]}, {prefixes: [\"+590\", \"+33594\", \"+33694\", \"+335988\", \"+3370930\", \"+3370931\", \"+3370932\", \"+3370933\", \"+3370934\"], calendars: [fr-594-2026, fr-594-2027]}, " +
			"{prefixes: [\"+596\", \"+33596\", \"+33696\", \"+33697\", \"+335989\", \"+337091\"], calendars: [fr-596-2026, fr-596-2027]}, {prefixes: [\"+262\", \"+33262\", \"+33263\", \"+33692\", \"+33693\", \"+33269\", \"+33639\", \"+332688\", \"+332689\", \"+337092\", \"+3370935\", \"+3370936\", \"+3370937\", \"+3370938\", \"+3370939\"], calendars: [fr-262-2026, fr-262-2027]}]}}\n",
			[]string{"calendar fr-590-2026 of base fr is not listed for every callee of +590", "calendar fr-590-2027 of base fr is not listed for every callee of +590",
				"calendar fr-594-2026 of base fr is not listed for every callee of +594", "calendar fr-594-2027 of base fr is not listed for every callee of +594"}},
		{"fr national made regional", head + "extends: fr\nschedule: {holidays: {calendars: [fr-2026, fr-2027], regional: [" +
			"{prefixes: [\"+590\", \"+33590\", \"+33690\", \"+33691\", \"+335987\", \"+337090\"], calendars: [fr-590-2026, fr-590-2027]}, {prefixes: [\"+594\", \"+33594\", \"+33694\", \"+335988\", \"+3370930\", \"+3370931\", \"+3370932\", \"+3370933\", \"+3370934\"], calendars: [fr-594-2026, fr-594-2027]}, " +
			"{prefixes: [\"+596\", \"+33596\", \"+33696\", \"+33697\", \"+335989\", \"+337091\"], calendars: [fr-596-2026, fr-596-2027]}, {prefixes: [\"+262\", \"+33262\", \"+33263\", \"+33692\", \"+33693\", \"+33269\", \"+33639\", \"+332688\", \"+332689\", \"+337092\", \"+3370935\", \"+3370936\", \"+3370937\", \"+3370938\", \"+3370939\"], calendars: [fr-262-2026, fr-262-2027]}, " +
			"{prefixes: [\"+3338\", \"+3339\"], calendars: [fr-alsace-moselle-2026, fr-alsace-moselle-2027]}]}}\n",
			[]string{"calendar fr-alsace-moselle-2026 of base fr is not listed for every callee (listed for +3338, +3339 only)",
				"calendar fr-alsace-moselle-2027 of base fr is not listed for every callee (listed for +3338, +3339 only)"}},
		// Widened (a regional calendar made national, a shorter prefix): no
		// callee of the base loses a day.
		{"fr regional made national", head + "extends: fr\nschedule: {holidays: {calendars: [fr-2026, fr-2027, fr-alsace-moselle-2026, fr-alsace-moselle-2027, fr-590-2026, fr-590-2027], regional: [" +
			"{prefixes: [\"+59\", \"+33594\", \"+33694\", \"+335988\", \"+3370930\", \"+3370931\", \"+3370932\", \"+3370933\", \"+3370934\", \"+33596\", \"+33696\", \"+33697\", \"+335989\", \"+337091\"], calendars: [fr-594-2026, fr-594-2027, fr-596-2026, fr-596-2027]}, {prefixes: [\"+262\", \"+33262\", \"+33263\", \"+33692\", \"+33693\", \"+33269\", \"+33639\", \"+332688\", \"+332689\", \"+337092\", \"+3370935\", \"+3370936\", \"+3370937\", \"+3370938\", \"+3370939\"], calendars: [fr-262-2026, fr-262-2027]}]}}\n", nil},
		{"us-al calendars kept", head + "extends: us-al\nschedule: {holidays: {makeup_workdays_as: sat}}\n", nil},
		{"us default zone assumed", head + "extends: us\nschedule: {default_zone: {name: America/Los_Angeles, cite: {source: U, ref: ours}}}\n",
			[]string{"schedule.default_zone: assumes America/Los_Angeles for a callee whose zone is unknown; base us denies such dials (schedule.zone_unknown)"}},
		{"cn convention default zone", head + "extends: cn\nschedule: {default_zone: {name: Asia/Shanghai, cite: {source: U, ref: ours}}}\n", nil},
		{"us callback added", head + "extends: us\nschedule: {callback: {max_trigger_age: 30m, cite: {source: U, ref: ours}}}\n",
			[]string{"schedule.callback: exempts callbacks from the windows of base us"}},
		{"cn callerid ledger removed", head + "extends: cn\ncallerid: {ledger: null}\n",
			[]string{"callerid.ledger: removed"}},
		{"uk callerid removed", head + "extends: uk\ncallerid: null\n",
			[]string{"callerid: removed"}},
		{"us callerid removed", head + "extends: us\ncallerid: null\n",
			[]string{"callerid: removed"}},
		{"us-collections callerid removed", head + "extends: us-collections\ncallerid: null\n",
			[]string{"callerid: removed"}},
		{"us ring removed", head + "extends: us\nring: null\n",
			[]string{"ring: removed; base us tells the dialer to let an unanswered call ring at least 15s (16 CFR 310.4(b)(4)(ii)"}},
		{"us ring shortened", head + "extends: us\nring: {min: 10s}\n",
			[]string{"ring.min: 10s is shorter than the 15s of base us (16 CFR 310.4(b)(4)(ii)"}},
		{"us ring lengthened", head + "extends: us\nring: {min: 20s}\n", nil},
		{"cn ring convention shortened", head + "extends: cn\nring: {min: 5s}\n", nil},
		{"cn ring convention removed", head + "extends: cn\nring: null\n", nil},
		{"us-ok sequential removed", head + "extends: us-ok\nsweep: null\n",
			[]string{"sweep.provenance: removed; base us-ok denies dials without lead provenance (15 O.S. § 755.1(D)",
				"sweep.sequential: removed; base us-ok denies runs of 10 numbers of one segment (15 O.S. § 755.1(D)",
				"sweep.stride: removed; base us-ok denies strides of 10 segments dialled with the same last four digits (15 O.S. § 755.1(D)"}},
		{"us-ok sequential min_run raised", head + "extends: us-ok\nsweep: {sequential: {min_run: 20}}\n",
			[]string{"sweep.sequential: min_run 20, max_gap 2, window 1d detect fewer runs than base us-ok (min_run 10, max_gap 2, window 1d)"}},
		{"us-ok sequential gap narrowed", head + "extends: us-ok\nsweep: {sequential: {max_gap: 0}}\n",
			[]string{"sweep.sequential: min_run 10, max_gap 0, window 1d detect fewer runs than base us-ok"}},
		{"us-ok sequential window shortened", head + "extends: us-ok\nsweep: {sequential: {window: 1h}}\n",
			[]string{"sweep.sequential: min_run 10, max_gap 2, window 1h0m0s detect fewer runs than base us-ok"}},
		{"us-ok sequential tightened", head + "extends: us-ok\nsweep: {sequential: {min_run: 5, max_gap: 3, window: 48h}}\n", nil},
		{"us-ok sequential max_step lowered", head + "extends: us-ok\nsweep: {sequential: {max_step: 50}}\n",
			[]string{"sweep.sequential.max_step: max_step 50 detects fewer numbers dialled a fixed step apart than base us-ok (max_step 100) (15 O.S. § 755.1(D)"}},
		{"us-ok sequential max_step dropped", head + "extends: us-ok\nsweep: {sequential: {max_step: null}}\n",
			[]string{"sweep.sequential.max_step: no max_step (progressions off) detects fewer numbers dialled a fixed step apart than base us-ok (max_step 100)"}},
		{"us-ok sequential max_step raised", head + "extends: us-ok\nsweep: {sequential: {max_step: 500}}\n", nil},
		{"cn sequential convention max_step dropped", head + "extends: cn\nsweep: {sequential: {max_step: null}}\n", nil},
		{"cn sequential convention removed", head + "extends: cn\nsweep: {sequential: null}\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse("mine.yaml", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range Lint(p, now) {
				if strings.HasPrefix(w.Path, "schedule.holidays.calendars") {
					continue // calendar coverage, tested elsewhere
				}
				got = append(got, w.String())
			}
			if len(got) != len(tt.want) {
				t.Fatalf("Lint = %q, want %d warnings containing %q", got, len(tt.want), tt.want)
			}
			for i := range got {
				if !strings.Contains(got[i], tt.want[i]) {
					t.Errorf("warning %d = %q, want it to contain %q", i, got[i], tt.want[i])
				}
			}
		})
	}
	// The built-in overlays narrow their bases: no warning.
	for _, name := range Builtins() {
		for _, w := range Lint(builtin(t, name), now) {
			if !strings.HasPrefix(w.Path, "schedule.holidays.calendars") {
				t.Errorf("built-in %s: %s", name, w)
			}
		}
	}
}

// TestLintOverlayChain: a profile file that extends another file (the layout
// docs/deploy.md recommends for blackouts) is compared with the built-in
// profile at the bottom of its extends chain: a weakening in the middle file
// is not hidden by the file on top.
func TestLintOverlayChain(t *testing.T) {
	now := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	write := func(name, src string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	head := "schema: dialgate.profile.v1\n"
	write("overrides.yaml", head+"name: overrides\nextends: us-al\nschedule: {holidays: {forbid: false}}\n")
	top := write("top.yaml", head+"name: top\nextends: overrides.yaml\ndescription: blackouts go here\n")
	mid := write("mid.yaml", head+"name: mid\nextends: overrides.yaml\n")
	write("tighter.yaml", head+"name: tighter\nextends: us-al\nschedule: {callback: null}\n")
	ok := write("ok.yaml", head+"name: ok\nextends: tighter.yaml\n")
	for _, tt := range []struct {
		path string
		want []string
	}{
		{top, []string{"schedule.holidays: base us-al forbids calls on holidays; this profile does not"}},
		{mid, []string{"schedule.holidays: base us-al forbids calls on holidays"}},
		{ok, nil},
	} {
		p, err := LoadFile(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, w := range Lint(p, now) {
			if !strings.HasPrefix(w.Path, "schedule.holidays.calendars") {
				got = append(got, w.String())
			}
		}
		if len(got) != len(tt.want) {
			t.Fatalf("%s: Lint = %q, want %d warnings containing %q", filepath.Base(tt.path), got, len(tt.want), tt.want)
		}
		for i := range got {
			if !strings.Contains(got[i], tt.want[i]) {
				t.Errorf("%s: warning %d = %q, want it to contain %q", filepath.Base(tt.path), i, got[i], tt.want[i])
			}
		}
		// A copy lints as the original does.
		if n := len(Lint(p.Clone(), now)); n != len(Lint(p, now)) {
			t.Errorf("%s: the clone has %d warnings, the original %d", filepath.Base(tt.path), n, len(Lint(p, now)))
		}
	}
}
