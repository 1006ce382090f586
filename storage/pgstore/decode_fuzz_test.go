package pgstore

import (
	"testing"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage/storetest"
)

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
		storetest.CheckDecode(t, "ledger entry", b, func(b []byte) (any, error) { return decodeLedger("acme", ledger, b) })
		storetest.CheckDecode(t, "complaint", b, func(b []byte) (any, error) { return decodeComplaint("cp-1", b) })
		storetest.CheckDecode(t, "consent", b, func(b []byte) (any, error) { return decodeRecord("c-1", dialgate.Number{}, b) })
		storetest.CheckDecode(t, "recording", b, func(b []byte) (any, error) { return decodeRecording("r-1", b) })
	})
}
