package boltstore

import (
	"testing"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage/storetest"
)

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
		storetest.CheckDecode(t, "ledger entry", b, func(b []byte) (any, error) { return decodeEntry(ledger, b) })
		storetest.CheckDecode(t, "consent", b, func(b []byte) (any, error) { return decodeConsent([]byte("c-1"), b, dialgate.Number{}) })
		storetest.CheckDecode(t, "consent to revoke", b, func(b []byte) (any, error) { return decodeConsentToRevoke(key, b) })
		storetest.CheckDecode(t, "consent event", b, func(b []byte) (any, error) { return decodeEvent(seqKey(3), b, dialgate.Number{}) })
	})
}
