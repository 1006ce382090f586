package strictjson

import (
	"encoding/json"
	"testing"
)

func TestBadKey(t *testing.T) {
	allowed := map[string]bool{"scope": true, "id": true}
	for _, tc := range []struct {
		in   string
		key  string
		p    Problem
		fine bool
	}{
		{`{"scope":"a","id":"1"}`, "", 0, true},
		{`{"scope":"a","Scope":"b"}`, "Scope", Unknown, false},
		{`{"scope":"a","scope":"b"}`, "scope", Twice, false},
		{`{"scope":{"nested":1},"id":"x","other":2}`, "other", Unknown, false},
		{`[1,2]`, "", 0, true},
		{`{"scope":`, "", 0, true}, // malformed: left to the decoder
		// An escaped spelling of a key is the key: given with the plain one
		// it is given twice.
		{`{"sc\u006fpe":"a","scope":"b"}`, "scope", Twice, false},
		// encoding/json matches "ſcope" (U+017F, long s) to "scope", and
		// the Kelvin sign U+212A to "k": anything but the exact key is unknown.
		{`{"\u017fcope":"a"}`, "ſcope", Unknown, false},
		{`{"id":"1","id":"1"}`, "id", Twice, false},
	} {
		k, p, bad := BadKey([]byte(tc.in), allowed)
		if bad == tc.fine || k != tc.key || p != tc.p {
			t.Errorf("BadKey(%s) = %q, %v, %v", tc.in, k, p, bad)
		}
	}
}

func FuzzBadKey(f *testing.F) {
	for _, s := range []string{`{"scope":"a"}`, `{"a":1,"a":2}`, `{`, `[]`, `{"scope":[{"x":1}]}`, `{"sc\u006fpe":1,"scope":2}`, `{"\u017fcope":1}`} {
		f.Add(s)
	}
	allowed := map[string]bool{"scope": true}
	f.Fuzz(func(t *testing.T, s string) {
		k, p, bad := BadKey([]byte(s), allowed)
		if bad && (p != Unknown && p != Twice || p == Unknown && allowed[k]) {
			t.Fatalf("BadKey(%q) = %q, %v", s, k, p)
		}
		// An object BadKey passes decodes, by encoding/json's own reading,
		// to allowed keys only.
		var m map[string]json.RawMessage
		if !bad && json.Unmarshal([]byte(s), &m) == nil {
			for key := range m {
				if !allowed[key] {
					t.Fatalf("BadKey(%q) passed key %q", s, key)
				}
			}
		}
	})
}
