package callerid

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// TestValidateZoneOffsetReason: an instant whose zone offset is 24 hours
// or more does not encode as JSON either; it was refused as "year outside
// 0000–9999", which sent the operator looking for a wrong year. It is
// refused naming the zone offset, like one with seconds; a ledger entry's
// instants cost no allocation to check.
func TestValidateZoneOffsetReason(t *testing.T) {
	at := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	e := Entry{Tenant: "acme", Number: dialgate.MustParseNumber("+861058001234"), Type: TypeFixed, Holder: "Acme Ltd",
		Purposes: []dialgate.Purpose{dialgate.PurposeService}, ValidFrom: at, ValidUntil: at.AddDate(1, 0, 0)}
	if err := e.Validate(); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _ = keepableTime("valid_from", e.ValidFrom) }); n != 0 {
		t.Errorf("keepableTime of a sound instant: %v allocations, want 0", n)
	}
	for _, off := range []int{24 * 3600, -25 * 3600, 8*3600 + 43} {
		o := e
		o.ValidUntil = at.AddDate(1, 0, 0).In(time.FixedZone("", off))
		err := o.Validate()
		if !errors.Is(err, ErrInvalidEntry) || !strings.Contains(err.Error(), "valid_until") || !strings.Contains(err.Error(), "zone offset") {
			t.Errorf("valid_until with a zone offset of %ds: %v, want ErrInvalidEntry naming valid_until and its zone offset", off, err)
		}
	}
}
