package consent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ParseRecordJSON decodes one Record from JSON (the form `dialgate consent add
// --json-file` reads and AddConsent stores) and checks it with ValidateNew.
// Unknown keys, trailing data and malformed values are errors wrapping
// ErrInvalid that name the key.
func ParseRecordJSON(data []byte) (Record, error) {
	var r Record
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Record{}, jsonErr(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Record{}, fieldErr("record", "trailing data after the JSON object")
	}
	if err := r.ValidateNew(); err != nil {
		return Record{}, err
	}
	return r, nil
}

func jsonErr(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
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
