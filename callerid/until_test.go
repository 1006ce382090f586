package callerid

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

var _ dialgate.Expirer = (*Check)(nil)

// TestAttestUntil: an allow ends when the caller ID's ledger entry stops
// being valid (Entry.ValidUntil); an entry without one gives no end.
func TestAttestUntil(t *testing.T) {
	c, err := New(cnConfig, newFakeStore(ledger()...))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	end := t0.AddDate(1, 0, 0)
	d := dial(fixedLine, dialgate.PurposeMarketing)
	d.At = end.Add(-30 * time.Second)
	rs, ev, until, err := c.AttestUntil(ctx, d)
	if err != nil || len(rs) != 0 || len(ev) == 0 || !until.Equal(end) {
		t.Fatalf("%v %v %v %v, want until %v", rs, ev, until, err, end)
	}
	d.At = end
	if rs, _, until, _ := c.AttestUntil(ctx, d); len(rs) == 0 || !until.IsZero() {
		t.Fatalf("at the entry's end: %v until %v, want a deny without until", rs, until)
	}
	if rs, _, until, err := c.AttestUntil(ctx, dial(mobileBiz, dialgate.PurposeService)); err != nil || len(rs) != 0 || !until.IsZero() {
		t.Fatalf("no ValidUntil: %v %v %v", rs, until, err)
	}
}

// TestAttestUntilEntryNoRuleRelied: without the ledger rule (only the
// subscriber-number rule, which looks at mobiles), a fixed line passes
// whatever its ledger entry says. An entry that has expired (or is not yet
// valid) was not relied on and gives no end: its past ValidUntil as the end
// of the pass made the Gate deny callerid.unavailable a dial that passes.
func TestAttestUntilEntryNoRuleRelied(t *testing.T) {
	cfg := cnConfig
	cfg.Ledger = nil
	c, err := New(cfg, newFakeStore(ledger()...))
	if err != nil {
		t.Fatal(err)
	}
	d := dial("+861058001236", dialgate.PurposeService) // its entry expired at t0
	d.At = t0.Add(time.Minute)
	rs, _, until, err := c.AttestUntil(context.Background(), d)
	if err != nil || len(rs) != 0 {
		t.Fatalf("%v %v, want a pass", rs, err)
	}
	if !until.IsZero() && !until.After(d.At) {
		t.Fatalf("until %v is not after the dial's instant %v: the Gate denies callerid.unavailable", until, d.At)
	}
	g, err := dialgate.New([]dialgate.Checker{c}, dialgate.WithoutAuditLog(), dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return d.At })))
	if err != nil {
		t.Fatal(err)
	}
	dec, err := g.Check(context.Background(), d)
	if err != nil || !dec.Allowed || !dec.ValidUntil.After(d.At) {
		t.Fatalf("Gate: %+v %v, want an allow", dec, err)
	}
}
