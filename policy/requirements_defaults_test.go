package policy

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// TestBuiltinDefaultsMatchRequirements pins every number REQUIREMENTS.md §2
// and §4 give a built-in profile, read from the profile as loaded (an
// overlay's inherited values included). Where the profile is deliberately
// stricter than the text, the row says why (au: a wash is valid for the day
// it was received and 29 more, measured as a duration; fr: 60 days' silence
// counted so that the 60th day is silent too).
func TestBuiltinDefaultsMatchRequirements(t *testing.T) {
	tests := []struct{ profile, path, want string }{
		// §2 cn
		{"cn", "consent.require[0].purposes", `["marketing"]`},
		{"cn", "dnc.hold.months", "12"},
		{"cn", "schedule.windows[0].days", `["mon-sun"]`},
		{"cn", "schedule.windows[0].ranges", `["09:00-12:00","14:00-21:00"]`},
		{"cn", "schedule.holidays.forbid", "false"},
		{"cn", "frequency.caps[0]", `{"count":1,"window":"5m0s"}`},
		{"cn", "frequency.caps[1]", `{"count":2,"window":"1d"}`},
		{"cn", "frequency.caps[2]", `{"count":10,"window":"30d"}`},
		{"cn", "schedule.callback.max_trigger_age", `"30m0s"`},
		{"cn", "recording.retention", `"30d"`},
		{"cn", "ring.min", `"15s"`},
		{"cn", "complaint.forward_days", "3"},
		{"cn", "complaint.handle_days", "15"},
		{"cn", "complaint.answer_days", "3"},
		{"cn", "complaint.zone", `"Asia/Shanghai"`},
		{"cn", "sweep.segment_rate.max", "50"},
		{"cn", "sweep.segment_rate.window", `"1h0m0s"`},
		{"cn", "sweep.sequential.min_run", "20"},
		{"cn", "sweep.sequential.max_gap", "2"},
		{"cn", "callerid.ledger", "{}"},
		{"cn", "callerid.subscriber_number", "{}"},
		{"cn", "callerid.inbound_only", "{}"},
		{"cn", "callerid.international_route", "{}"},
		{"cn", "sweep.provenance", "{}"},
		// §2 cn-insurance
		{"cn-insurance", "schedule.windows[0].ranges", `["09:00-12:00","14:00-21:00"]`},
		{"cn-insurance", "schedule.callback", "null"},
		{"cn-insurance", "dnc.hold.months", "12"}, // ≥ 6 months
		{"cn-insurance", "recording.required", "true"},
		{"cn-insurance", "recording.retention", `"1827d"`}, // ≥ 5 years
		// §4 us
		{"us", "schedule.windows[0].ranges", `["08:00-21:00"]`},
		{"us", "schedule.windows[0].days", `["mon-sun"]`},
		{"us", "dnc.registries[0].name", `"us-national-dnc"`},
		{"us", "dnc.registries[0].max_age", `"31d"`},
		{"us", "dnc.hold.months", "60"},
		{"us", "abandonment.max_rate", "0.03"},
		{"us", "abandonment.window", `"30d"`},
		{"us", "ring.min", `"15s"`},
		{"us", "recording.retention", `"1827d"`},
		// us-fl, us-ok
		{"us-fl", "schedule.windows[0].ranges", `["08:00-20:00"]`},
		{"us-fl", "frequency.caps[0]", `{"count":3,"per":"callee_subject","purposes":["marketing"],"window":"1d"}`},
		{"us-ok", "schedule.windows[0].ranges", `["08:00-20:00"]`},
		{"us-ok", "frequency.caps[0]", `{"count":3,"per":"callee_subject","purposes":["marketing"],"window":"1d"}`},
		{"us-fl", "consent.require[0].purposes", `["marketing"]`},
		{"us-ok", "consent.require[0].purposes", `["marketing"]`},
		// us-al, us-la, us-ms
		{"us-al", "schedule.windows[0].days", `["mon-sat"]`},
		{"us-al", "schedule.holidays.forbid", "true"},
		{"us-la", "schedule.windows[0].days", `["mon-sat"]`},
		{"us-la", "schedule.holidays.forbid", "true"},
		{"us-ms", "schedule.windows[0].days", `["mon-sat"]`},
		// us-collections
		{"us-collections", "schedule.windows[0].ranges", `["08:00-21:00"]`},
		{"us-collections", "frequency.caps[0]", `{"count":7,"per":"subject","purposes":["collections"],"window":"7d"}`},
		{"us-collections", "frequency.pause_after_conversation", `{"per":"subject","purposes":["collections"],"window":"7d"}`},
		// uk
		{"uk", "schedule.windows[0].ranges", `["09:00-21:00"]`},
		{"uk", "dnc.registries[0]", `{"max_age":"28d","name":"uk-tps"}`},
		{"uk", "dnc.registries[1]", `{"max_age":"28d","name":"uk-ctps"}`},
		{"uk", "frequency.pause_after_abandoned.window", `"3d"`},
		{"uk", "abandonment.max_rate", "0.03"},
		{"uk", "abandonment.window", `"1d"`},
		{"uk", "callerid", "{}"},
		// ca
		{"ca", "schedule.windows[0]", `{"days":["mon-fri"],"ranges":["09:00-21:30"]}`},
		{"ca", "schedule.windows[1]", `{"days":["sat-sun"],"ranges":["10:00-18:00"]}`},
		{"ca", "dnc.registries[0].max_age", `"31d"`},
		{"ca", "dnc.hold", `{"days":14,"months":36}`},
		// fr
		{"fr", "schedule.windows[0]", `{"days":["mon-fri"],"ranges":["10:00-13:00","14:00-20:00"]}`},
		{"fr", "schedule.holidays.forbid", "true"},
		{"fr", "frequency.caps[0]", `{"count":4,"purposes":["marketing"],"window":"30d"}`},
		{"fr", "frequency.pause_after_refusal.window", `"61d"`}, // 60 days' silence, the 60th included
		{"fr", "consent.require[0].effective_from", `"2026-08-11T00:00:00+02:00"`},
		// au
		{"au", "schedule.windows[0]", `{"days":["mon-fri"],"ranges":["09:00-20:00"]}`},
		{"au", "schedule.windows[1]", `{"days":["sat"],"ranges":["09:00-17:00"]}`},
		{"au", "schedule.holidays.forbid", "true"},
		{"au", "dnc.registries[0].max_age", `"695h0m0s"`}, // 30-day period ending the day of the call, less a DST hour
		{"au", "callerid", "{}"},
	}
	for _, tt := range tests {
		p := builtin(t, tt.profile)
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		got, err := jsonAt(v, tt.path)
		if err != nil {
			t.Errorf("%s %s: %v", tt.profile, tt.path, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s %s = %s, want %s (REQUIREMENTS.md)", tt.profile, tt.path, got, tt.want)
		}
	}
}

// jsonAt returns the JSON form, citations left out, of the value at a dotted
// path with [i] indices in v ("null" when a key is absent).
func jsonAt(v any, path string) (string, error) {
	for part := range strings.SplitSeq(path, ".") {
		name, idx, _ := strings.Cut(part, "[")
		m, ok := v.(map[string]any)
		if !ok {
			return "", fmt.Errorf("%s: not an object", name)
		}
		v = m[name]
		if idx != "" {
			i, err := strconv.Atoi(strings.TrimSuffix(idx, "]"))
			l, ok := v.([]any)
			if err != nil || !ok || i >= len(l) {
				return "", fmt.Errorf("%s: no element %s", name, idx)
			}
			v = l[i]
		}
	}
	dropCites(v)
	b, err := json.Marshal(v)
	return string(b), err
}

func dropCites(v any) {
	switch x := v.(type) {
	case map[string]any:
		delete(x, "cite")
		for _, y := range x {
			dropCites(y)
		}
	case []any:
		for _, y := range x {
			dropCites(y)
		}
	}
}
