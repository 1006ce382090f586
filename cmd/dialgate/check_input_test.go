package main

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestDecodeDialStrict: the dial read by `check --json` is refused as bad
// input (exit 2, naming the key) when encoding/json would silently pick one
// of two values — a key given twice, or in another case (it matches keys
// case-insensitively and keeps the last) — and when anything follows the
// object, a stray "}" or "]" included (dec.More does not report those).
func TestDecodeDialStrict(t *testing.T) {
	const dial = `{"to":"+8613800138000","purpose":"service"`
	for _, tc := range []struct{ in, want string }{
		{dial + `}}`, "more than one JSON value"},
		{dial + `} ]`, "more than one JSON value"},
		{dial + `,"purpose":"marketing"}`, `field "purpose" given twice`},
		{dial + `,"Purpose":"marketing"}`, `unknown field "Purpose"`},
		{`{"To":"+8613800138000","purpose":"service"}`, `unknown field "To"`},
		{dial + `,"agent_reserved":false,"Agent_Reserved":true}`, `unknown field "Agent_Reserved"`},
	} {
		var in dialInput
		err := decodeDial(strings.NewReader(tc.in), &in)
		var e *exitError
		if !errors.As(err, &e) || e.code != exitBadArgs || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("decodeDial(%s) = %v (dial %+v), want bad input (exit 2) containing %q", tc.in, err, in, tc.want)
		}
	}
	var in dialInput
	if err := decodeDial(strings.NewReader(dial+"}\n"), &in); err != nil || in.To != "+8613800138000" || in.Purpose != "service" {
		t.Fatalf("a good dial: %+v, %v", in, err)
	}
}

// dialKeys, the keys decodeDial lets through, are exactly dialInput's.
func TestDialKeysMatchInput(t *testing.T) {
	typ := reflect.TypeFor[dialInput]()
	tags := map[string]bool{}
	for i := range typ.NumField() {
		tags[strings.Split(typ.Field(i).Tag.Get("json"), ",")[0]] = true
	}
	if !reflect.DeepEqual(tags, dialKeys) {
		t.Fatalf("dialInput's keys %v, dialKeys %v", tags, dialKeys)
	}
}
