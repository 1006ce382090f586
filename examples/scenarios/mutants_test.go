package scenarios

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/internal/scenario"
	"github.com/dialgate/dialgate/policy"
)

// mutant is a built-in profile with one value changed: the scenario that
// tests that value must then fail. A scenario that still passes does not
// prove what it claims (its steps miss the boundary).
type mutant struct {
	scenario string // file name in this directory, without .yaml
	profile  string // the built-in profile it runs on
	old, new string // exact text in the profile's source, and its replacement
}

// mutants lists, for the numbers the shipped scenarios claim to test, a
// change of each that a broken implementation could make: a window a
// minute wider or narrower, a cap one higher, a sliding window shorter, a
// flag off.
var mutants = []mutant{
	{"schedule-cn-window", "cn", `"09:00-12:00", "14:00-21:00"`, `"08:59-12:00", "14:00-21:00"`},
	{"schedule-cn-window", "cn", `"09:00-12:00", "14:00-21:00"`, `"09:00-12:01", "14:00-21:00"`},
	{"schedule-cn-window", "cn", `"09:00-12:00", "14:00-21:00"`, `"09:00-12:00", "13:59-21:00"`},
	{"schedule-cn-window", "cn", `"09:00-12:00", "14:00-21:00"`, `"09:00-12:00", "14:00-21:01"`},
	{"schedule-cn-window", "cn", `"09:00-12:00", "14:00-21:00"`, `"09:01-12:00", "14:00-20:59"`},
	{"schedule-cn-window", "cn", "days: [mon-sun]", "days: [mon-sat]"},
	{"schedule-cn-callee-local", "cn", `"09:00-12:00", "14:00-21:00"`, `"08:59-12:00", "14:00-21:00"`},
	{"schedule-cn-callee-local", "cn", `"09:00-12:00", "14:00-21:00"`, `"09:00-12:01", "14:00-21:00"`},
	{"schedule-cn-callee-local", "cn", `"09:00-12:00", "14:00-21:00"`, `"09:00-12:00", "13:59-21:00"`},
	{"schedule-cn-callee-local", "cn", `"09:00-12:00", "14:00-21:00"`, `"09:00-12:00", "14:00-21:01"`},
	{"schedule-cn-callee-local", "cn", `"09:00-12:00", "14:00-21:00"`, `"09:01-12:00", "14:00-20:59"`},
	{"schedule-cn-holidays", "cn", "forbid: false", "forbid: true"},
	{"schedule-cn-callback", "cn", "max_trigger_age: 30m", "max_trigger_age: 31m"},
	{"frequency-cn", "cn", "count: 1\n      window: 5m", "count: 2\n      window: 5m"},
	{"frequency-cn", "cn", "count: 1\n      window: 5m", "count: 1\n      window: 4m"},
	{"frequency-cn", "cn", "count: 2\n      window: 24h", "count: 3\n      window: 24h"},
	{"frequency-cn", "cn", "count: 2\n      window: 24h", "count: 2\n      window: 23h"},
	{"frequency-cn", "cn", "count: 10\n      window: 30d", "count: 11\n      window: 30d"},
	{"frequency-cn", "cn", "count: 10\n      window: 30d", "count: 10\n      window: 29d"},
	{"frequency-cn-spellings", "cn", "count: 1\n      window: 5m", "count: 2\n      window: 5m"},
	{"frequency-cn-spellings", "cn", "count: 1\n      window: 5m", "count: 1\n      window: 4m"},
	{"frequency-cn-spellings", "cn", "count: 2\n      window: 24h", "count: 3\n      window: 24h"},
	{"frequency-cn-spellings", "cn", "count: 2\n      window: 24h", "count: 2\n      window: 23h"},
	{"consent-revoke-one-second", "cn", "  require:\n    - purposes: [marketing]", "  require:\n    - purposes: [survey]"},
	{"sweep-segment-rate", "cn", "max: 50", "max: 51"},
	{"sweep-segment-rate", "cn", "max: 50\n    window: 1h", "max: 50\n    window: 59m"},
	{"sweep-sequential", "cn", "sequential:\n    min_run: 20", "sequential:\n    min_run: 21"},
	{"sweep-sequential", "cn", "sequential:\n    min_run: 20\n    max_gap: 2\n    window: 24h", "sequential:\n    min_run: 20\n    max_gap: 2\n    window: 23h"},
	{"sweep-sequential-gaps", "cn", "sequential:\n    min_run: 20\n    max_gap: 2", "sequential:\n    min_run: 20\n    max_gap: 1"},
	{"sweep-sequential-boundary", "cn", "sequential:\n    min_run: 20", "sequential:\n    min_run: 21"},
	{"sweep-stride", "cn", "stride:\n    min_run: 20", "stride:\n    min_run: 21"},
	{"sweep-stride", "cn", "stride:\n    min_run: 20\n    max_gap: 2", "stride:\n    min_run: 20\n    max_gap: 1"},
	{"sweep-stride", "cn", "stride:\n    min_run: 20\n    max_gap: 2\n    window: 24h", "stride:\n    min_run: 20\n    max_gap: 2\n    window: 23h"},
	{"ring-min-seconds", "cn", "min: 15s", "min: 14s"},
	{"schedule-cn-insurance-callback", "cn-insurance", "callback: null", "callback: {max_trigger_age: 30m}"},
	{"schedule-cn-insurance-window", "cn-insurance", `"09:00-12:00", "14:00-21:00"`, `"08:59-12:00", "14:00-21:00"`},
	{"schedule-cn-insurance-window", "cn-insurance", `"09:00-12:00", "14:00-21:00"`, `"09:00-12:01", "14:00-21:00"`},
	{"schedule-cn-insurance-window", "cn-insurance", `"09:00-12:00", "14:00-21:00"`, `"09:00-12:00", "13:59-21:00"`},
	{"schedule-cn-insurance-window", "cn-insurance", `"09:00-12:00", "14:00-21:00"`, `"09:00-12:00", "14:00-21:01"`},
	{"recording-cn-insurance", "cn-insurance", "retention: 1827d", "retention: 1826d"},
	{"dnc-registry-us", "us", "max_age: 31d", "max_age: 32d"},
	{"abandon-us-rate", "us", "max_rate: 0.03\n  window: 30d", "max_rate: 0.0304\n  window: 30d"},
	{"abandon-us-rate", "us", "max_rate: 0.03\n  window: 30d", "max_rate: 0.03\n  window: 31d"},
	{"abandon-us-rate", "us", "max_rate: 0.03\n  window: 30d", "max_rate: 0.03\n  window: 29d"},
	{"abandon-us-rate", "us", "purposes: [marketing]\n  cite:\n    source: L\n    ref: 16 CFR 310.4(b)(4)(i)", "purposes: [service]\n  cite:\n    source: L\n    ref: 16 CFR 310.4(b)(4)(i)"},
	{"abandon-uk-rate", "uk", "max_rate: 0.03\n  window: 24h", "max_rate: 0.03\n  window: 25h"},
	{"abandon-uk-rate", "uk", "max_rate: 0.03\n  window: 24h", "max_rate: 0.03\n  window: 23h"},
	{"abandon-uk-rate", "uk", "max_rate: 0.03\n  window: 24h", "max_rate: 0.03\n  purposes: [collections]\n  window: 24h"},
	{"dnc-registry-ca", "ca", "max_age: 31d", "max_age: 32d"},
	{"dnc-registry-au", "au", "max_age: 28d23h", "max_age: 29d"},
	{"dnc-registry-au", "au", "max_age: 28d23h", "max_age: 28d22h"},
	{"dnc-registry-missing", "uk", "name: uk-tps\n      max_age: 28d", "name: uk-tps\n      max_age: 29d"},
	{"dnc-registry-missing", "uk", "name: uk-ctps\n      max_age: 28d", "name: uk-ctps\n      max_age: 29d"},
	{"schedule-us-window", "us", `"08:00-21:00"`, `"07:59-21:00"`},
	{"schedule-us-window", "us", `"08:00-21:00"`, `"08:00-21:01"`},
	{"schedule-us-dst", "us", `"08:00-21:00"`, `"07:59-21:00"`},
	{"schedule-us-multizone", "us", `"08:00-21:00"`, `"08:00-21:01"`},
	{"recording-us", "us", "retention: 1827d", "retention: 1826d"},
	{"callerid-us", "us", usCallerID, ""},
	{"frequency-us-fl", "us-fl", "count: 3", "count: 4"},
	{"frequency-us-ok", "us-ok", "count: 3\n      window: 24h", "count: 3\n      window: 23h"},
	{"frequency-us-ok", "us-ok", "count: 3\n      window: 24h", "count: 4\n      window: 24h"},
	{"frequency-us-ok", "us-ok", "per: callee_subject", "per: callee"},
	{"frequency-us-fl", "us-fl", "count: 3\n      window: 24h", "count: 3\n      window: 23h"},
	{"frequency-us-fl", "us-fl", "per: callee_subject", "per: callee"},
	{"frequency-us-fl-subject-spellings", "us-fl", "count: 3", "count: 4"},
	{"sweep-sequential-us-ok", "us-ok", "sequential:\n    min_run: 10", "sequential:\n    min_run: 11"},
	{"sweep-sequential-us-ok", "us-ok", "sequential:\n    min_run: 10\n    max_gap: 2\n    window: 24h", "sequential:\n    min_run: 10\n    max_gap: 2\n    window: 23h"},
	{"sweep-stride-us-ok", "us-ok", "stride:\n    min_run: 10", "stride:\n    min_run: 11"},
	{"sweep-stride-us-ok", "us-ok", "stride:\n    min_run: 10\n    max_gap: 2", "stride:\n    min_run: 10\n    max_gap: 1"},
	{"sweep-stride-us-ok", "us-ok", "stride:\n    min_run: 10\n    max_gap: 2\n    window: 24h", "stride:\n    min_run: 10\n    max_gap: 2\n    window: 23h"},
	{"sweep-step-us-ok", "us-ok", "sequential:\n    min_run: 10", "sequential:\n    min_run: 11"},
	{"sweep-step-us-ok", "us-ok", "window: 24h\n    max_step: 100", "window: 24h\n    max_step: 49"}, // a walk by 100 is one by 50 with every other member missing: 49 misses it
	{"sweep-step-us-ok", "us-ok", "window: 24h\n    max_step: 100", "window: 24h\n    max_step: 6"},
	{"sweep-step", "cn", "sequential:\n    min_run: 20", "sequential:\n    min_run: 21"},
	{"sweep-step", "cn", "window: 24h\n    max_step: 100", "window: 24h\n    max_step: 49"}, // a walk by 100 is one by 50 with every other member missing: 49 misses it
	{"sweep-step-gaps", "cn", "sequential:\n    min_run: 20\n    max_gap: 2", "sequential:\n    min_run: 20\n    max_gap: 0"},
	{"sweep-step-gaps", "cn", "sequential:\n    min_run: 20", "sequential:\n    min_run: 21"},
	{"frequency-us-collections", "us-collections", "count: 7", "count: 8"},
	{"frequency-us-collections", "us-collections", "count: 7\n      window: 7d", "count: 7\n      window: 6d"},
	{"frequency-us-collections", "us-collections", "    window: 7d\n    purposes", "    window: 6d\n    purposes"},
	{"schedule-us-la-window", "us-la", "days: [mon-sat]", "days: [mon-sun]"},
	{"schedule-us-la-window", "us-la", `"08:00-20:00"`, `"07:59-20:00"`},
	{"schedule-us-la-window", "us-la", `"08:00-20:00"`, `"08:00-20:01"`},
	{"schedule-us-al-holiday", "us-al", `"08:00-20:00"`, `"07:59-20:00"`},
	{"schedule-us-al-holiday", "us-al", `"08:00-20:00"`, `"08:00-20:01"`},
	{"schedule-us-al-holiday", "us-al", "days: [mon-sat]", "days: [mon-sun]"},
	{"schedule-us-al-holiday", "us-al", "forbid: true", "forbid: false"},
	{"schedule-us-ms-standard-time", "us-ms", "zone: America/Chicago", "zone: America/Denver"},
	{"schedule-ca", "ca", `"09:00-21:30"`, `"08:59-21:30"`},
	{"schedule-ca", "ca", `"10:00-18:00"`, `"10:00-18:01"`},
	{"schedule-au", "au", `"09:00-17:00"`, `"08:59-17:00"`},
	{"schedule-au", "au", `"09:00-20:00"`, `"09:00-20:01"`},
	{"schedule-au", "au", "forbid: true", "forbid: false"},
	{"schedule-au", "au", "days: [sat]", "days: [sat-sun]"},
	{"schedule-au-queensland", "au", `"09:00-20:00"`, `"09:00-20:01"`},
	{"schedule-au-queensland", "au", `"09:00-17:00"`, `"08:59-17:00"`},
	{"schedule-ca-867", "ca", `"09:00-21:30"`, `"09:00-21:31"`},
	{"schedule-ca-867", "ca", `"10:00-18:00"`, `"10:00-18:01"`},
	{"schedule-uk", "uk", `"09:00-21:00"`, `"08:59-21:00"`},
	{"schedule-uk", "uk", `"09:00-21:00"`, `"09:00-21:01"`},
	{"frequency-uk-abandoned", "uk", "window: 72h", "window: 71h"},
	{"schedule-fr", "fr", `"10:00-13:00", "14:00-20:00"`, `"10:00-13:00", "13:59-20:00"`},
	{"schedule-fr", "fr", `"10:00-13:00", "14:00-20:00"`, `"10:00-13:01", "14:00-20:00"`},
	{"schedule-fr", "fr", "forbid: true", "forbid: false"},
	{"schedule-fr", "fr", "days: [mon-fri]", "days: [mon-sat]"},
	{"schedule-fr", "fr", "days: [mon-fri]", "days: [mon-fri, sun]"},
	{"frequency-fr", "fr", "count: 4", "count: 5"},
	{"frequency-fr", "fr", "count: 4\n      window: 30d", "count: 4\n      window: 29d"},
	{"frequency-fr-refusal", "fr", "window: 61d", "window: 60d"},
	{"frequency-fr-overseas-spellings", "fr", "count: 4", "count: 5"},
	{"consent-fr-effective-date", "fr", "effective_from: 2026-08-11T00:00:00+02:00", "effective_from: 2026-08-11T00:00:01+02:00"},
}

// usCallerID is the callerid section of the us profile, removed whole by a
// mutant: callerid-us must then fail (a dial without caller ID allowed).
const usCallerID = `callerid:
  cite:
    source: L
    ref: 47 CFR 64.1601(e)(1); 16 CFR 310.4(a)(8) (Telemarketing Sales Rule)
    note: >-
      A person or entity that engages in telemarketing (as defined in 47 CFR 64.1200(f)) must
      transmit caller identification information: a telephone number (and, when available, the
      name of the telemarketer) at which it can be reached; failing to transmit it is an abusive
      practice under the TSR. A dial without a caller ID is denied (callerid.missing), one showing
      the callee's own number is denied (callerid.invalid); a caller ID that is not a possible
      number is rejected as bad input (dial.invalid).
`

// TestScenariosKillMutants runs each scenario on its profile with one value
// changed and requires a failed step: the scenario proves the value, not
// just the current behaviour around it. When the scenario runs on an overlay
// of the mutated profile, the overlay is made to extend the mutated copy.
func TestScenariosKillMutants(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	write := func(name string, src []byte) string {
		t.Helper()
		p, err := filepath.Abs(filepath.Join(dir, name+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, src, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	checked := map[string]bool{}
	for i, m := range mutants {
		src, err := policy.BuiltinSource(m.profile)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(src), m.old); n != 1 {
			t.Fatalf("mutant %d: %q occurs %d times in profile %s, want once", i, m.old, n, m.profile)
		}
		f, err := scenario.ParseFile(m.scenario + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		var overlay []byte
		if f.Profile != m.profile {
			if overlay, err = policy.BuiltinSource(f.Profile); err != nil {
				t.Fatalf("mutant %d: %s: %v", i, m.scenario, err)
			}
			if n := strings.Count(string(overlay), "\nextends: "+m.profile+"\n"); n != 1 {
				t.Fatalf("mutant %d: %s runs on profile %s, which does not extend %s", i, m.scenario, f.Profile, m.profile)
			}
		}
		// The unchanged source, loaded as a file, passes (checked once per
		// scenario and profile): the failure below is the mutation's.
		type run struct {
			name string
			src  string
			want bool
		}
		runs := []run{{"mutant", strings.Replace(string(src), m.old, m.new, 1), false}}
		if key := m.scenario + " " + m.profile; !checked[key] {
			checked[key] = true
			runs = append(runs, run{"same", string(src), true})
		}
		for _, v := range runs {
			f.Profile = write(fmt.Sprintf("%d-%s-%s", i, m.profile, v.name), []byte(v.src))
			if overlay != nil {
				f.Profile = write(fmt.Sprintf("%d-overlay-%s", i, v.name),
					[]byte(strings.Replace(string(overlay), "\nextends: "+m.profile+"\n", "\nextends: "+f.Profile+"\n", 1)))
			}
			rep, err := scenario.Run(ctx, f)
			if err != nil {
				t.Fatalf("mutant %d (%s, %s): %v", i, m.scenario, v.name, err)
			}
			if rep.OK() != v.want {
				t.Errorf("%s on %s with %q → %q (%s): passed=%v, want %v", m.scenario, m.profile, m.old, m.new, v.name, rep.OK(), v.want)
			}
		}
	}
}
