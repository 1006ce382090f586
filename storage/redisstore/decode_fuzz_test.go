package redisstore

import (
	"encoding/json"
	"errors"
	"strconv"
	"testing"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage"
)

// FuzzParseSchemaVersion checks the stored schema version: an accepted one
// is positive and written exactly as strconv writes it; a bad one is
// storage.ErrCorrupt.
func FuzzParseSchemaVersion(f *testing.F) {
	for _, s := range []string{"1", "2", "012", "+1", "0", "-1", "999999999", "1e3", " 1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseSchemaVersion(s)
		if err != nil {
			if !errors.Is(err, storage.ErrCorrupt) {
				t.Fatalf("parseSchemaVersion(%q): %v does not wrap storage.ErrCorrupt", s, err)
			}
			return
		}
		if n <= 0 || strconv.Itoa(n) != s {
			t.Fatalf("parseSchemaVersion(%q) = %d", s, n)
		}
	})
}

// FuzzDecodeStoredRecords checks the decoders of the JSON values in Redis
// (do-not-call entries in a number's hash, consent events in its list): a
// damaged value is storage.ErrCorrupt, and what they accept is written back
// to values they decode to the same records.
func FuzzDecodeStoredRecords(f *testing.F) {
	f.Add("s:global", `{"number":"+8613800138000","scope":"global","list":"opt_out","source":"admin","added_at":"2026-01-02T03:04:05Z"}`,
		`{"seq":1,"type":"granted","consent_id":"c-1","number":"+15555550123","at":"2026-01-02T03:04:05Z"}`)
	f.Add("s:tenant:acme", `{"number":"13800138000","scope":"Global"}`, `{"seq":"1"}`)
	f.Add("h:x", `{`, `null`)
	f.Fuzz(func(t *testing.T, field, entry, event string) {
		num := numKey(dialgate.MustParseNumber("+8613800138000"))
		es, err := decodeEntries(num, map[string]string{field: entry, "h:other": `not an entry`})
		if err != nil {
			if !errors.Is(err, storage.ErrCorrupt) {
				t.Fatalf("decodeEntries: %v does not wrap storage.ErrCorrupt", err)
			}
		} else {
			m := map[string]string{}
			for _, e := range es {
				b, err := json.Marshal(e)
				if err != nil {
					t.Fatalf("entry %+v does not encode: %v", e, err)
				}
				m["s:"+e.Scope.String()] = string(b)
			}
			back, err := decodeEntries(num, m)
			if err != nil || len(back) != len(es) {
				t.Fatalf("entries %+v written back decode as %+v, %v", es, back, err)
			}
		}
		evs, err := decodeEvents([]string{event}, nil, dialgate.Number{})
		if err != nil {
			if !errors.Is(err, storage.ErrCorrupt) {
				t.Fatalf("decodeEvents: %v does not wrap storage.ErrCorrupt", err)
			}
			return
		}
		b, err := json.Marshal(evs[0])
		if err != nil {
			t.Fatalf("event %+v does not encode: %v", evs[0], err)
		}
		back, err := decodeEvents([]string{string(b)}, nil, dialgate.Number{})
		if err != nil {
			t.Fatalf("event %s does not decode: %v", b, err)
		}
		if again, _ := json.Marshal(back[0]); string(again) != string(b) {
			t.Fatalf("event %s decodes and encodes as %s", b, again)
		}
	})
}
