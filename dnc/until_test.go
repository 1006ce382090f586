package dnc

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

var _ dialgate.Expirer = (*Check)(nil)

// TestAttestUntilRegistryAge: an allow ends when the oldest registry copy
// the profile bounds in age becomes too old (as_of + max age); a registry
// without a maximum age, and the stored lists, give no end.
func TestAttestUntilRegistryAge(t *testing.T) {
	us, _ := NewRegistry("us-national")
	other, _ := NewRegistry("us-state")
	free, _ := NewRegistry("free")
	maxAge := 31 * 24 * time.Hour
	c, _ := newTestCheck(t, Config{Registries: []RegistryConfig{
		{Name: "us-national", MaxAge: dialgate.Duration(maxAge), Cite: cite},
		{Name: "us-state", MaxAge: dialgate.Duration(maxAge), Cite: cite},
	}}, us, other, free)
	ctx := context.Background()
	us.Swap(snapOf(t, "us-national", "", t0.AddDate(0, 0, -31).Add(time.Minute), 12125550100))
	other.Swap(snapOf(t, "us-state", "", t0.AddDate(0, 0, -2), 12125550100))
	free.Swap(snapOf(t, "free", "", t0.AddDate(-1, 0, 0), 12125550100))
	d := dialgate.Dial{To: num("+12125550101"), Purpose: dialgate.PurposeMarketing, At: t0}
	rs, ev, until, err := c.AttestUntil(ctx, d)
	want := t0.Add(time.Minute + time.Nanosecond) // as-of + max age is the last fresh instant
	if err != nil || len(rs) != 0 || len(ev) == 0 || !until.Equal(want) {
		t.Fatalf("%v %v %v %v, want until %v", rs, ev, until, err, want)
	}
	// Decided at the copy's last fresh instant: allowed, for 1 ns.
	d.At = t0.Add(time.Minute)
	if rs, _, until, _ := c.AttestUntil(ctx, d); len(rs) != 0 || !until.Equal(want) {
		t.Fatalf("at the last fresh instant: %v until %v, want allowed until %v", rs, until, want)
	}
	d.At = until
	if rs, _, until, _ := c.AttestUntil(ctx, d); len(rs) == 0 || !until.IsZero() {
		t.Fatalf("after until: %v until %v, want registry_stale and no until", rs, until)
	}
	// Listed: a deny, no until.
	d.At, d.To = t0, num("+12125550100")
	if rs, _, until, _ := c.AttestUntil(ctx, d); len(rs) == 0 || !until.IsZero() {
		t.Fatalf("listed: %v until %v", rs, until)
	}
	// Without a maximum age: no end.
	c, _ = newTestCheck(t, Config{}, free)
	if rs, _, until, err := c.AttestUntil(ctx, dialgate.Dial{To: num("+12125550101"), Purpose: dialgate.PurposeMarketing, At: t0}); err != nil || len(rs) != 0 || !until.IsZero() {
		t.Fatalf("no max age: %v %v %v", rs, until, err)
	}
}
