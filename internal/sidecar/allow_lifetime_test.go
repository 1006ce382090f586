package sidecar

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// TestAllowLifetime: the config's allow_lifetime is the lifetime of the
// sidecar's allows (an instant callback, which no window cuts short, is good
// for exactly that long); without it the Gate's default holds.
func TestAllowLifetime(t *testing.T) {
	for _, tc := range []struct {
		cfg  Duration
		want time.Duration
	}{{0, dialgate.DefaultAllowLifetime}, {Duration(7 * time.Second), 7 * time.Second}} {
		ctx := context.Background()
		be, err := Open(ctx, Config{Data: t.TempDir(), Profile: "cn", MetricsListen: "off", AllowLifetime: tc.cfg}, nil)
		if err != nil {
			t.Fatal(err)
		}
		from := dialgate.MustParseNumber("+861058001234")
		if err := be.Ledger.AddLedgerEntry(ctx, LedgerEntry{Tenant: "acme", Number: from, Type: "fixed", Holder: "Acme Ltd",
			Purposes: []dialgate.Purpose{dialgate.PurposeCallback}}); err != nil {
			t.Fatal(err)
		}
		dec, err := be.Gate.Check(ctx, dialgate.Dial{To: dialgate.MustParseNumber("+8613800138000"), From: from,
			Purpose: dialgate.PurposeCallback, LeadID: "crm-1", Tenant: "acme", TriggerAt: time.Now().Add(-time.Minute)})
		if err != nil || !dec.Allowed {
			t.Fatalf("allow_lifetime %v: %v %v", tc.cfg, dec.Codes(), err)
		}
		if got := dec.ValidUntil.Sub(dec.At); got != tc.want {
			t.Errorf("allow_lifetime %v: an allow good for %v, want %v", time.Duration(tc.cfg), got, tc.want)
		}
		if err := be.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAllowLifetimeReachesCaps: an allow_lifetime longer than the default
// reaches the frequency check through policy (Deps.AllowLifetime), which
// counts every cap over its window plus it; without it dialgate.New
// refuses the Gate, whose allows could be dialled later than the caps
// count.
func TestAllowLifetimeReachesCaps(t *testing.T) {
	ctx := context.Background()
	be, err := Open(ctx, Config{Data: t.TempDir(), Profile: "cn", MetricsListen: "off", AllowLifetime: Duration(dialgate.MaxAllowLifetime)}, nil)
	if err != nil {
		t.Fatalf("Open with allow_lifetime %v: %v", dialgate.MaxAllowLifetime, err)
	}
	if err := be.Close(ctx); err != nil {
		t.Fatal(err)
	}
}
