package redisstore

import (
	"errors"
	"testing"

	"github.com/dialgate/dialgate/storage"
)

// TestParseRevision: the revision is read as the consent write script's
// INCR reads it — a decimal integer from 0 to 2^63-2 without sign or
// leading zeros — and a sound one costs no allocation (it is read on every
// dial).
func TestParseRevision(t *testing.T) {
	for v, want := range map[string]uint64{"0": 0, "7": 7, "1000": 1000, "9223372036854775806": 9223372036854775806} {
		if got, err := parseRevision("test", "k", v); err != nil || got != want {
			t.Errorf("parseRevision(%q) = %d, %v; want %d", v, got, err, want)
		}
	}
	for _, v := range []string{"", "00", "01", "007", "+5", "-1", "-0", " 5", "5 ", "1e3", "9223372036854775807", "18446744073709551615", "99999999999999999999"} {
		if got, err := parseRevision("test", "k", v); !errors.Is(err, storage.ErrCorrupt) {
			t.Errorf("parseRevision(%q) = %d, %v; want storage.ErrCorrupt", v, got, err)
		}
	}
	if n := testing.AllocsPerRun(100, func() { parseRevision("test", "k", "123456789") }); n != 0 {
		t.Errorf("parseRevision of a sound revision: %v allocations, want 0", n)
	}
}
