package main

import (
	"errors"
	"strings"
	"testing"
)

// FuzzCheckInput checks the parser of `check --json`: the dial read from
// stdin is either refused as bad input (exit 2, naming an input key) or a
// valid dial, and reading never panics.
func FuzzCheckInput(f *testing.F) {
	for _, s := range []string{
		`{"to":"+8613800138000","purpose":"service","lead_id":"crm-42"}`,
		`{"to":"+86 010 5800 1234","purpose":"callback","trigger_at":"2026-12-04T22:00:00+08:00","at":"2026-12-04T22:10:00+08:00"}`,
		`{"to":"13800138000","purpose":"marketing","route":"intl"}`,
		`{"to":"+8613800138000","purpose":"service"} {}`,
		`{"To":"+8613800138000","purpose":"service","extra":1}`,
		``,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var in dialInput
		name := func(field string) string { return "input key " + field }
		err := decodeDial(strings.NewReader(s), &in)
		if err == nil {
			d, _, terr := in.toDial(name)
			if err = terr; err == nil {
				if verr := d.Validate(); verr != nil || !d.To.IsValid() || !d.Purpose.IsValid() {
					t.Fatalf("%q: accepted dial %+v is not valid: %v", s, d, verr)
				}
				return
			}
		}
		var e *exitError
		if !errors.As(err, &e) || e.code != exitBadArgs {
			t.Fatalf("%q: error %v is not bad input (exit 2)", s, err)
		}
	})
}
