package consent

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseRecordJSON(t *testing.T) {
	good := `{"id":"c-1","number":"+8613900139000","scope":"industry:finance","method":"web_form",
"disclosure_sha256":"` + hashA + `","granted_at":"2026-11-01T10:00:00+08:00","expires_at":"2027-11-01T10:00:00+08:00"}`
	r, err := ParseRecordJSON([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != "c-1" || r.Scope != "industry:finance" || r.Number.String() != "+8613900139000" || r.Tenant != "" {
		t.Fatalf("%+v", r)
	}
	withTenant := strings.Replace(good, `"method"`, `"tenant":"acme","method"`, 1)
	if r, err = ParseRecordJSON([]byte(withTenant)); err != nil || r.Tenant != "acme" {
		t.Fatalf("with a tenant: %+v, %v", r, err)
	}
	if b, err := json.Marshal(r); err != nil || !strings.Contains(string(b), `"tenant":"acme"`) {
		t.Fatalf("encoded: %s, %v", b, err)
	}
	r.Tenant = ""
	if b, err := json.Marshal(r); err != nil || strings.Contains(string(b), `"tenant"`) {
		t.Fatalf("a record without a tenant is encoded with one: %s, %v", b, err)
	}
	for _, tc := range []struct{ in, field string }{
		{``, "record"},
		{`{`, "record"},
		// Not an object: the error names the record, not an empty field.
		{`[]`, "record"},
		{`5`, "record"},
		{`"c-1"`, "record"},
		{`{"id":"c-1","colour":"red"}`, "colour"},
		{`{"id":5}`, "id"},
		{good + `{}`, "record"},
		// A stray closing bracket after the object is trailing data too.
		{good + `}`, "record"},
		{good + ` ]`, "record"},
		// null for a required key is the key missing, not a value.
		{strings.Replace(good, `"+8613900139000"`, `null`, 1), "number"},
		{strings.Replace(good, `"industry:finance"`, `null`, 1), "scope"},
		{strings.Replace(good, `"web_form"`, `null`, 1), "method"},
		{strings.Replace(good, `"c-1"`, `null`, 1), "id"},
		{strings.Replace(good, `"2026-11-01T10:00:00+08:00"`, `null`, 1), "granted_at"},
		{strings.Replace(good, `"web_form"`, `"fax"`, 1), "method"},
		{strings.Replace(good, `2027-11-01`, `2025-11-01`, 1), "expires_at"},
		{strings.Replace(good, `"disclosure_sha256":"`+hashA+`",`, ``, 1), "disclosure_sha256"},
		{strings.Replace(good, `"granted_at"`, `"revoked_at":"2026-11-02T00:00:00Z","granted_at"`, 1), "revoked_at"},
		// A key given twice, or in another case, makes the evidence ambiguous:
		// encoding/json would silently keep the last one (tenant:acme covers
		// far more than industry:finance).
		{strings.Replace(good, `"method"`, `"scope":"tenant:acme","method"`, 1), "scope"},
		{strings.Replace(good, `"method"`, `"Scope":"tenant:acme","method"`, 1), "Scope"},
		{strings.Replace(good, `"scope"`, `"SCOPE"`, 1), "SCOPE"},
		{strings.Replace(good, `"id"`, `"ID"`, 1), "ID"},
		{strings.Replace(good, `"method"`, `"tenant":"acme","tenant":"beta","method"`, 1), "tenant"},
		{strings.Replace(good, `"method"`, `"Tenant":"acme","method"`, 1), "Tenant"},
		{strings.Replace(good, `"method"`, `"tenant":7,"method"`, 1), "tenant"},
		{strings.Replace(good, `"method"`, `"tenant":"ac\u0000me","method"`, 1), "tenant"},
		{strings.Replace(good, `"method"`, `"seller":"acme","method"`, 1), "seller"},
		// An unknown key that would not display as it reads (an escape
		// sequence, a bidirectional override, invalid UTF-8) is named
		// quoted: the CLI prints the error on the operator's terminal.
		{strings.Replace(good, `"method"`, `"sc\u001b]0;x\u0007ope":"acme","method"`, 1), `"sc\x1b]0;x\aope"`},
		{strings.Replace(good, `"method"`, `"te\u202enant":"acme","method"`, 1), `"te\u202enant"`},
		{strings.Replace(good, `"method"`, `"tenant":"","method"`, 1), "tenant"},
		{strings.Replace(good, `"method"`, `"tenant":null,"method"`, 1), "tenant"},
		// Invalid UTF-8 decodes as U+FFFD: the record would name another
		// scope or tenant than the file (ValidateNew refuses such names
		// given in a Record; here it would see only the replacement).
		{strings.Replace(good, `industry:finance`, "industry:fin\xffance", 1), "scope"},
		{strings.Replace(good, `"method"`, "\"tenant\":\"acme\xfe\",\"method\"", 1), "tenant"},
		{strings.Replace(good, `"method"`, "\"channel\":\"web\xc3\",\"method\"", 1), "channel"},
	} {
		_, err := ParseRecordJSON([]byte(tc.in))
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("ParseRecordJSON(%.60q) = %v, want field %s", tc.in, err, tc.field)
		}
	}
}

func FuzzParseRecordJSON(f *testing.F) {
	r := goodRecord()
	b, _ := json.Marshal(r)
	f.Add(b)
	f.Add([]byte(`{"id":"c","number":"+12125550100","scope":"tenant:a","method":"written","evidence_uri":"s3://b/k","granted_at":"2026-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"id":"c","number":"+12125550100","scope":"industry:f","tenant":"acme","method":"written","evidence_uri":"s3://b/k","granted_at":"2026-01-01T00:00:00Z"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRecordJSON(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if err := r.ValidateNew(); err != nil {
			t.Fatalf("accepted an invalid record: %v", err)
		}
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseRecordJSON(out)
		if err != nil {
			t.Fatalf("round trip of %s: %v", out, err)
		}
		if !again.GrantedAt.Equal(r.GrantedAt) || !again.ExpiresAt.Equal(r.ExpiresAt) {
			t.Fatalf("times changed in round trip")
		}
		again.GrantedAt, again.ExpiresAt = r.GrantedAt, r.ExpiresAt
		if !reflect.DeepEqual(again, r) {
			t.Fatalf("round trip changed %+v to %+v", r, again)
		}
	})
}
