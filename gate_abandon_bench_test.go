package dialgate_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/storage/memstore"
)

// BenchmarkGateUSAbandon is one marketing decision of the built-in us
// profile (calling window, caller ID, ring evidence, recording; the do-not-
// call and consent sections left out, as they need seeded copies) on an
// in-memory store and audit sink, without and with its abandoned-call rate
// cap: the difference is the abandon check's cost per decision (one
// counter read of two keys, and its evidence). The campaign has 1,000
// answered calls, 20 of them abandoned, in the window.
func BenchmarkGateUSAbandon(b *testing.B) {
	b.Run("rule=off", func(b *testing.B) { benchGateUSAbandon(b, false) })
	b.Run("rule=on", func(b *testing.B) { benchGateUSAbandon(b, true) })
}

func benchGateUSAbandon(b *testing.B, rule bool) {
	ctx := context.Background()
	p, err := policy.Builtin("us")
	if err != nil {
		b.Fatal(err)
	}
	p.DNC, p.Consent = nil, nil
	if !rule {
		p.Abandonment = nil
	}
	store := memstore.New()
	defer store.Close()
	deps, err := policy.StoreDeps(store, []byte("bench key, 32 bytes, not secret!"))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 6, 10, 10, 0, 0, 0, time.FixedZone("EDT", -4*3600))
	g, err := policy.Build(p, deps, dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return now })), dialgate.WithAuditLog(&sinkLog{}))
	if err != nil {
		b.Fatal(err)
	}
	d := dialgate.Dial{To: dialgate.MustParseNumber("+12125550142"), From: dialgate.MustParseNumber("+12125550199"),
		Purpose: dialgate.PurposeMarketing, Tenant: "acme", Campaign: "spring", LeadID: "crm-1"}
	for i := range 1000 {
		o := dialgate.Outcome{DecisionID: "seed-" + strconv.Itoa(i), Dial: d, Answered: true, Abandoned: i%50 == 0}
		if err := g.ReportOutcome(ctx, o); err != nil {
			b.Fatal(err)
		}
	}
	now = now.Add(time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		if dec, err := g.Check(ctx, d); err != nil || !dec.Allowed {
			b.Fatal(dec.Codes(), err)
		}
	}
}
