package dialgate_test

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// TestDialableAtZeroNow: an allow read with a zero now — a time.Time the
// dialer forgot to set, the zero value of a struct field — is not dialable.
// A zero instant is before every ValidUntil, so without this an allow was
// dialable for ever after the decision. So is an instant before 2000, which
// the Gate refuses as a clock reading too.
func TestDialableAtZeroNow(t *testing.T) {
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	g, err := dialgate.New(nil, dialgate.WithoutAuditLog(),
		dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return at })))
	if err != nil {
		t.Fatal(err)
	}
	dec, err := g.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber("+8613800138000"), Purpose: dialgate.PurposeService})
	if err != nil || !dec.Allowed {
		t.Fatalf("want an allow, got %v %v", dec.Codes(), err)
	}
	if !dec.DialableAt(at) || !dec.DialableAt(at.Add(59*time.Second)) {
		t.Fatalf("an allow is dialable from its decision instant until ValidUntil (%v)", dec.ValidUntil)
	}
	for _, now := range []time.Time{{}, time.Unix(0, 0), time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC)} {
		if dec.DialableAt(now) {
			t.Errorf("DialableAt(%v) = true for an allow valid until %v: a zero or pre-2000 now must not make it dialable", now, dec.ValidUntil)
		}
	}
	if dec.DialableAt(dec.ValidUntil) {
		t.Error("DialableAt(ValidUntil) = true; ValidUntil is the first instant it is not")
	}
}
