package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
)

// A 15-digit number (the E.164 maximum) reaches the other process's lists
// through the change feed: Lua's number formatting once published it in
// exponent form, which the feed dropped (a listed callee stayed "not listed").
func TestFifteenDigitOptOutAcrossProcesses(t *testing.T) {
	url := redisURL(t)
	p := newPrefix(t, url)
	a, b := open(t, url, p), open(t, url, p)
	ctx := context.Background()
	la, err := dnc.NewLists(ctx, a, dnc.ListsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer la.Close()
	lb, err := dnc.NewLists(ctx, b, dnc.ListsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	n := dialgate.MustParseNumber("+491511234567890") // 15 digits
	if es, err := lb.Lookup(ctx, n); err != nil || es != nil {
		t.Fatalf("Lookup before = %v, %v", es, err)
	}
	e := dnc.Entry{Number: n, Scope: dnc.MustParseScope("global"), List: "opt_out", Source: "call",
		AddedAt: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)}
	if err := la.Add(ctx, e); err != nil {
		t.Fatal(err)
	}
	if !waitFor(func() bool { es, err := lb.Lookup(ctx, n); return err == nil && len(es) == 1 }) {
		es, err := lb.Lookup(ctx, n)
		direct, _ := b.DNCEntries(ctx, n)
		t.Fatalf("15-digit opt-out never reached the other process: Lookup=%v,%v; store has %d entries", es, err, len(direct))
	}
}
