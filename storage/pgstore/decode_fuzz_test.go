package pgstore

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage"
)

// checkStoredDecode checks a decoder of a jsonb column: a damaged value is
// storage.ErrCorrupt, and what it accepts is written back (as the store
// writes it) to a value it decodes to the same record.
func checkStoredDecode[T any](t *testing.T, what string, b []byte, decode func([]byte) (T, error)) {
	t.Helper()
	v, err := decode(b)
	if err != nil {
		if !errors.Is(err, storage.ErrCorrupt) {
			t.Fatalf("%s: %v does not wrap storage.ErrCorrupt", what, err)
		}
		return
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s: decoded %+v does not encode: %v", what, v, err)
	}
	back, err := decode(out)
	if err != nil {
		t.Fatalf("%s: %+v written as %s does not decode: %v", what, v, out, err)
	}
	if again, _ := json.Marshal(back); string(again) != string(out) {
		t.Fatalf("%s: %s decodes and encodes as %s", what, out, again)
	}
}

// FuzzDecodeStoredRecords checks the decoders of the jsonb records: ledger
// entries, complaints, consent records and recordings.
func FuzzDecodeStoredRecords(f *testing.F) {
	f.Add([]byte(`{"tenant":"acme","number":"+8613800138000","holder":"Acme Ltd"}`))
	f.Add([]byte(`{"id":"c-1","number":"+15555550123","scope":"tenant:acme","method":"web_form","granted_at":"2026-01-02T03:04:05Z"}`))
	f.Add([]byte(`{"id":"r-1","callee":"+447700900123","started_at":"2026-01-02T03:04:05Z","retain_until":"2027-01-02T03:04:05Z"}`))
	f.Add([]byte(`{"number":"13800138000","scope":"Global"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ledger := num(dialgate.MustParseNumber("+8613800138000"))
		checkStoredDecode(t, "ledger entry", b, func(b []byte) (any, error) { return decodeLedger("acme", ledger, b) })
		checkStoredDecode(t, "complaint", b, func(b []byte) (any, error) { return decodeComplaint("cp-1", b) })
		checkStoredDecode(t, "consent", b, func(b []byte) (any, error) { return decodeRecord("c-1", dialgate.Number{}, b) })
		checkStoredDecode(t, "recording", b, func(b []byte) (any, error) { return decodeRecording("r-1", b) })
	})
}
