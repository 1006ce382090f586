package consent

import (
	"errors"
	"strings"
	"testing"
)

// "expires_at": null (or the zero instant, "0001-01-01T00:00:00Z") decoded
// as no expiry: a record-making template whose expiry field came out empty
// stored a consent that never lapses, and it went on allowing dials past
// the expiry the person agreed to. Absent is the only way to say none, as
// for "tenant" and `consent add --expires-at ""`.
func TestParseRecordJSONExpiresAtNullRefused(t *testing.T) {
	good := `{"id":"c-1","number":"+8613900139000","scope":"industry:finance","method":"web_form",
"disclosure_sha256":"` + hashA + `","granted_at":"2026-11-01T10:00:00+08:00","expires_at":"2027-11-01T10:00:00+08:00"}`
	for _, v := range []string{`null`, `"0001-01-01T00:00:00Z"`} {
		in := strings.Replace(good, `"2027-11-01T10:00:00+08:00"`, v, 1)
		r, err := ParseRecordJSON([]byte(in))
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != "expires_at" {
			t.Errorf("expires_at %s: %+v, %v; want an error naming expires_at", v, r, err)
		}
	}
	// Left out: a consent that does not lapse by time.
	in := strings.Replace(good, `,"expires_at":"2027-11-01T10:00:00+08:00"`, ``, 1)
	if r, err := ParseRecordJSON([]byte(in)); err != nil || !r.ExpiresAt.IsZero() {
		t.Errorf("expires_at left out: %+v, %v; want a record without expiry", r, err)
	}
}
