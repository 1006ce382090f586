package boltstore

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/dialgate/dialgate"

	"github.com/dialgate/dialgate/storage"
)

// checkStoredDecode checks a decoder of stored JSON records: a damaged
// value is storage.ErrCorrupt, and what it accepts is written back (as the
// store writes it) to a value it decodes to the same record.
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

// FuzzDecodeStoredRecords checks the decoders of the JSON records in the
// bolt file: ledger entries, consent records and consent events.
func FuzzDecodeStoredRecords(f *testing.F) {
	f.Add([]byte(`{"tenant":"acme","number":"+8613800138000","holder":"Acme Ltd","registered_at":"2026-01-02T00:00:00Z"}`))
	f.Add([]byte(`{"id":"c-1","number":"+15555550123","tenant":"acme","purposes":["marketing"],"scope":"tenant:acme","granted_at":"2026-01-02T03:04:05Z","channel":"web"}`))
	f.Add([]byte(`{"seq":3,"type":"revoked","consent_id":"c-1","number":"+15555550123","at":"2026-01-02T03:04:05+08:00","channel":"sms"}`))
	f.Add([]byte(`{"number":"13800138000"}`))
	f.Add([]byte(`{"seq":-1}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{`))
	key := []byte("k")
	ledger := ledgerKey("acme", dialgate.MustParseNumber("+8613800138000"))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkStoredDecode(t, "ledger entry", b, func(b []byte) (any, error) { return decodeEntry(ledger, b) })
		checkStoredDecode(t, "consent", b, func(b []byte) (any, error) { return decodeConsent([]byte("c-1"), b, dialgate.Number{}) })
		checkStoredDecode(t, "consent to revoke", b, func(b []byte) (any, error) { return decodeConsentToRevoke(key, b) })
		checkStoredDecode(t, "consent event", b, func(b []byte) (any, error) { return decodeEvent(seqKey(3), b, dialgate.Number{}) })
	})
}
