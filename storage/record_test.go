package storage_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
)

type rec struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
}

var errBad = errors.New("rec: invalid")

func (r *rec) valid() error {
	if r.At.IsZero() {
		return errors.Join(errBad, errors.New("at: missing"))
	}
	return nil
}

func TestDecodeRecord(t *testing.T) {
	tests := []struct {
		name, raw string
		want      string // in the error; "" = no error
	}{
		{"sound", `{"id":"a","at":"2026-01-01T00:00:00Z"}`, ""},
		{"invalid", `{"id":"a"}`, "at: missing"},
		{"self-decoding field of the wrong type", `{"id":"a","at":12}`, "at: does not decode"},
		{"not JSON", `{"id":`, "does not decode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := storage.DecodeRecord("rec", "key-1", []byte(tt.raw), (*rec).valid)
			if tt.want == "" {
				if err != nil || v.ID != "a" {
					t.Fatalf("got %+v, %v", v, err)
				}
				return
			}
			var re *storage.RecordError
			if !errors.Is(err, storage.ErrCorrupt) || !errors.As(err, &re) || re.Kind != "rec" || re.Key != "key-1" {
				t.Fatalf("%v: want a *RecordError for rec key-1 wrapping ErrCorrupt", err)
			}
			if errors.Is(err, errBad) {
				t.Errorf("%v wraps the domain's invalid sentinel: it would be reported as bad input", err)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "key-1") {
				t.Errorf("%q does not name key-1 and %q", err, tt.want)
			}
			if v != (rec{}) {
				t.Errorf("returned %+v with the error, want the zero record", v)
			}
		})
	}
	if storage.CheckRecord("rec", "k", nil) != nil {
		t.Error("CheckRecord(nil) is not nil")
	}
}
