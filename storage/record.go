package storage

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// RecordError reports a stored record that a store read but cannot hand
// out: it does not decode, or it decodes but fails its domain's validation
// (a missing scope, a zero time, an unknown status or state: a record
// damaged, or written by a foreign tool or a newer build). It wraps
// ErrCorrupt, so a check that reads the record fails closed
// ("<check>.unavailable"), and it names the record's key and, through Err,
// the bad field.
//
// It deliberately does not wrap the domain's "invalid argument" sentinel
// that Err may wrap (consent.ErrInvalid, recording.ErrInvalid…): the caller
// gave nothing wrong, the stored data is bad, and the CLI and the sidecar
// must not report it as bad input. Reading a record never alters or deletes
// it; a listing fails rather than skip the record.
type RecordError struct {
	Kind string // what the record is: "consent", "dnc entry", "ledger entry", "complaint", "recording"
	Key  string // the key it is stored under, as text ("c-1", "+8613800138000 industry:finance")
	Err  error  // what is wrong with it: the decode error or the validation error naming the field
}

// Error returns "storage: corrupt or foreign data: <kind> <key> as stored:
// <problem>".
func (e *RecordError) Error() string {
	return fmt.Sprintf("%v: %s %s as stored: %v", ErrCorrupt, e.Kind, e.Key, e.Err)
}

// Unwrap returns ErrCorrupt (and only it: see the type's doc).
func (e *RecordError) Unwrap() error { return ErrCorrupt }

// CheckRecord returns nil when err is nil, else a *RecordError for the
// record of kind stored under key. Stores call it with the result of the
// domain's validation of a record they read (see DecodeRecord).
func CheckRecord(kind, key string, err error) error {
	if err == nil {
		return nil
	}
	return &RecordError{Kind: kind, Key: key, Err: err}
}

// DecodeRecord decodes one stored JSON record of kind, kept under key, and
// checks it with valid (the domain's validation of a stored record, which
// also checks that the record belongs under key). Any failure is a
// *RecordError wrapping ErrCorrupt; the stored bytes are not touched.
func DecodeRecord[T any](kind, key string, raw []byte, valid func(*T) error) (T, error) {
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		var zero T
		return zero, &RecordError{Kind: kind, Key: key, Err: fmt.Errorf("%sdoes not decode: %w", badKey[T](raw), err)}
	}
	if err := CheckRecord(kind, key, valid(&v)); err != nil {
		var zero T
		return zero, err
	}
	return v, nil
}

// badKey returns "<key>: " for the first key (in sorted order) of the JSON
// object raw whose value alone does not decode into a T, or "" when raw is
// not an object or no single key fails: the decode errors of types that
// decode themselves (time.Time, scopes) do not name the field.
func badKey[T any](raw []byte) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		one, err := json.Marshal(map[string]json.RawMessage{k: m[k]})
		if err != nil {
			continue
		}
		var v T
		if json.Unmarshal(one, &v) != nil {
			return k + ": "
		}
	}
	return ""
}
