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
