package storetest

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/dialgate/dialgate/storage"
)

// CheckDecode checks one input of a store's decoder of stored JSON records,
// for the stores' fuzz tests: a damaged value is an error wrapping
// storage.ErrCorrupt, and what it accepts is written back (as the stores
// write it, encoding/json) to a value it decodes to the same record. what
// names the decoder in failures.
func CheckDecode[T any](t *testing.T, what string, b []byte, decode func([]byte) (T, error)) {
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
