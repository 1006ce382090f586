package consent

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

var _ dialgate.Expirer = (*Check)(nil)

// TestAttestUntil: an allow on a consent ends when the consent expires, and
// an allow before a rule's effective date ends at that date.
func TestAttestUntil(t *testing.T) {
	ctx := context.Background()
	s := newFakeStore()
	r := goodRecord()
	mustAdd(t, s, r)
	noExpiry := goodRecord()
	noExpiry.ID, noExpiry.ExpiresAt, noExpiry.Scope = "c-2", time.Time{}, "industry:insurance"
	mustAdd(t, s, noExpiry)
	c := mustCheck(t, cnConfig(), s)

	almost := r.ExpiresAt.Add(-30 * time.Second)
	for _, named := range []string{"", "c-1"} {
		d := marketing(almost)
		d.ConsentID = named
		rs, ev, until, err := c.AttestUntil(ctx, d)
		if err != nil || len(rs) != 0 || evValue(ev, EvidenceID) != "c-1" || !until.Equal(r.ExpiresAt) {
			t.Fatalf("named %q: %v %v %v %v, want until %v", named, rs, ev, until, err, r.ExpiresAt)
		}
		d.At = until
		if rs, _, until, _ := c.AttestUntil(ctx, d); len(rs) == 0 || !until.IsZero() {
			t.Fatalf("named %q at the expiry: %v until %v, want a deny without until", named, rs, until)
		}
	}
	d := marketing(almost)
	d.Industry = "insurance"
	if rs, _, until, err := c.AttestUntil(ctx, d); err != nil || len(rs) != 0 || !until.IsZero() {
		t.Fatalf("no expiry: %v %v %v", rs, until, err)
	}
	// A purpose that needs no consent: no end.
	d = marketing(almost)
	d.Purpose = dialgate.PurposeService
	if rs, ev, until, err := c.AttestUntil(ctx, d); err != nil || len(rs) != 0 || ev != nil || !until.IsZero() {
		t.Fatalf("service: %v %v %v %v", rs, ev, until, err)
	}

	from := time.Date(2026, 8, 11, 0, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	fr := Config{Require: []Requirement{{
		Purposes: []dialgate.Purpose{dialgate.PurposeMarketing}, EffectiveFrom: from,
		Cite: dialgate.Citation{Source: dialgate.SourceLaw, Ref: "Code de la consommation art. L223-1"},
	}}}
	c = mustCheck(t, fr, newFakeStore())
	if rs, _, until, err := c.AttestUntil(ctx, marketing(from.Add(-time.Second))); err != nil || len(rs) != 0 || !until.Equal(from) {
		t.Fatalf("before the effective date: %v %v %v, want until %v", rs, until, err, from)
	}
}
