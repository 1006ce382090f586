package consent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dialgate/dialgate/internal/strictjson"
	"github.com/dialgate/dialgate/internal/textsafe"
)

// ParseRecordJSON decodes one Record from JSON (the form `dialgate consent add
// --from-json` reads and AddConsent stores) and checks it with ValidateNew.
// Unknown keys, trailing data and malformed values are errors wrapping
// ErrInvalid that name the key; so is a "tenant" that is empty or null (a
// record tied to no tenant leaves the key out), and an "expires_at" that is
// null or the zero instant (a record that does not lapse leaves it out).
func ParseRecordJSON(data []byte) (Record, error) {
	if err := checkKeys(data); err != nil {
		return Record{}, err
	}
	if !utf8.Valid(data) {
		// encoding/json decodes invalid UTF-8 as U+FFFD: the record would
		// name another scope or tenant than the input, and ValidateNew,
		// which refuses such names, would see only the replacement.
		return Record{}, fieldErr(invalidUTF8Key(data), "not valid UTF-8")
	}
	var r Record
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Record{}, jsonErr(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Record{}, fieldErr("record", "trailing data after the JSON object")
	}
	if r.Tenant == "" && hasKey(data, "tenant") {
		// "tenant": "" or null decodes as no tenant, a consent covering
		// every tenant's dials: a template whose seller field came out
		// empty would grant for all sellers. Absent is the only way to say none.
		return Record{}, fieldErr("tenant", "empty or null; leave the key out for a consent tied to no tenant (it then covers every tenant's dials in its scope)")
	}
	if r.ExpiresAt.IsZero() && hasKey(data, "expires_at") {
		// null, or the zero instant, decodes as no expiry: a template
		// whose expiry came out empty would store a consent that never
		// lapses. Absent is the only way to say none.
		return Record{}, fieldErr("expires_at", "null or the zero instant; leave the key out for a consent that does not lapse by time")
	}
	if err := r.ValidateNew(); err != nil {
		return Record{}, err
	}
	return r, nil
}

// hasKey reports whether the top-level JSON object data has key (exactly as
// written: checkKeys has refused other cases of it).
func hasKey(data []byte, key string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) != nil {
		return false
	}
	_, ok := m[key]
	return ok
}

// invalidUTF8Key returns the top-level key of the JSON object data whose
// value is not valid UTF-8, or "record" when there is none (the bad bytes
// are elsewhere, or data is not an object).
func invalidUTF8Key(data []byte) string {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "record"
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "record"
		}
		var v json.RawMessage // the value's bytes as written
		if err := dec.Decode(&v); err != nil {
			return "record"
		}
		if k, ok := tok.(string); ok && !utf8.Valid(v) {
			return k
		}
	}
	return "record"
}

// recordKeys are the JSON keys of a Record, exactly as written.
var recordKeys = map[string]bool{
	"id": true, "number": true, "scope": true, "tenant": true, "method": true, "disclosure_sha256": true,
	"evidence_uri": true, "channel": true, "granted_at": true, "expires_at": true,
	"revoked_at": true, "revocation_channel": true,
}

// checkKeys rejects a top-level object with a key given twice or in another
// case ("Scope"): encoding/json matches keys case-insensitively and keeps the
// last of duplicates, which would silently pick one of two scopes. Anything
// that is not an object is left to the decoder to report.
func checkKeys(data []byte) error {
	k, p, bad := strictjson.BadKey(data, recordKeys)
	switch {
	case !bad:
		return nil
	case p == strictjson.Twice:
		return fieldErr(k, "given twice")
	}
	if i, _ := textsafe.Find(k, textsafe.Line); i >= 0 || !utf8.ValidString(k) {
		// Named quoted: the key would not display as it reads (an escape
		// sequence rewriting the terminal the CLI prints the error on).
		k = strconv.Quote(clip(k))
	} else {
		k = clip(k)
	}
	return fieldErr(k, "unknown key (keys are lower case: id, number, scope, tenant, method, disclosure_sha256, evidence_uri, channel, granted_at, expires_at)")
}

func jsonErr(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te) && te.Field == "":
		// The input is not an object: no key to name.
		return fieldErr("record", "wrong type: %s (want a JSON object)", te.Value)
	case errors.As(err, &te):
		return fieldErr(te.Field, "wrong type: %s", te.Value)
	case errors.As(err, &se):
		return fieldErr("record", "invalid JSON at byte %d: %s", se.Offset, se.Error())
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fieldErr(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "unknown key")
	case errors.Is(err, io.EOF):
		return fieldErr("record", "empty input")
	}
	// Errors from UnmarshalText of a field (number, time) do not name the
	// field; say what failed.
	return fieldErr("record", "%s", fmt.Sprint(err))
}
