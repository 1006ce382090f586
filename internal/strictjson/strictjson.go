// Package strictjson finds the keys encoding/json would let through
// silently: it matches object keys case-insensitively and keeps the last of
// duplicates, so {"scope":"a","Scope":"b"} decodes as "b" without a word.
// The record parsers of dialgate (consent records, caller-ID ledger lines)
// check their input with BadKey before decoding it.
package strictjson

import (
	"bytes"
	"encoding/json"
)

// Problem says what is wrong with a key.
type Problem int

const (
	// Unknown is a key not in the allowed set (another case of an allowed
	// key included).
	Unknown Problem = iota + 1
	// Twice is a key given more than once.
	Twice
)

// BadKey returns the first key of the top-level JSON object data that is
// not in allowed, exactly as written, or that is given twice, with what is
// wrong with it; ok is false when every key is fine. Input that is not an
// object, or is malformed, reports nothing: the decoder reports it.
func BadKey(data []byte, allowed map[string]bool) (key string, p Problem, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "", 0, false
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", 0, false
		}
		k, _ := tok.(string)
		switch {
		case !allowed[k]:
			return k, Unknown, true
		case seen[k]:
			return k, Twice, true
		}
		seen[k] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return "", 0, false
		}
	}
	return "", 0, false
}
