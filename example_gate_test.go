package dialgate_test

import (
	"context"
	"fmt"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/audittest"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/storage/memstore"
)

// cnGate is a Gate of the built-in cn profile on an in-memory store, with
// the caller ID +861058001234 in tenant acme's ledger, deciding at now. A
// dialer uses storage/boltstore and a signed auditlog.Log (see
// policy.Assemble's example).
func cnGate(ctx context.Context, now *time.Time) (*dialgate.Gate, error) {
	store := memstore.New()
	deps, err := policy.StoreDeps(store, []byte("example key, keep yours secret"))
	if err != nil {
		return nil, err
	}
	profile, err := policy.Builtin("cn")
	if err != nil {
		return nil, err
	}
	if err := store.PutLedger(ctx, callerid.Entry{
		Tenant: "acme", Number: dialgate.MustParseNumber("+861058001234"), Holder: "Acme Ltd",
		Purposes: []dialgate.Purpose{dialgate.PurposeService},
	}); err != nil {
		return nil, err
	}
	clock := dialgate.ClockFunc(func() time.Time { return *now })
	return policy.Build(profile, deps, dialgate.WithAuditLog(&audittest.Log{}), dialgate.WithClock(clock))
}

// A dial that was allowed but not placed (no agent free, the line busy) is
// released: the capacity it reserved — here a slot of cn's cap of one call
// per callee in 5 minutes — is given back at once.
func ExampleGate_Release() {
	ctx := context.Background()
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	gate, err := cnGate(ctx, &now)
	if err != nil {
		panic(err)
	}
	d := dialgate.Dial{
		Tenant: "acme", To: dialgate.MustParseNumber("+8613800138000"), From: dialgate.MustParseNumber("+861058001234"),
		Purpose: dialgate.PurposeService, LeadID: "crm-42",
	}
	first, _ := gate.Check(ctx, d)
	fmt.Println("first:", first.Allowed)
	again, _ := gate.Check(ctx, d)
	fmt.Println("again:", again.Allowed, again.Codes())

	if err := gate.Release(ctx, first); err != nil { // the call was not placed
		panic(err)
	}
	afterRelease, _ := gate.Check(ctx, d)
	fmt.Println("after release:", afterRelease.Allowed)
	// Output:
	// first: true
	// again: false [frequency.capped]
	// after release: true
}

// What happened to a placed call is reported with its decision and dial:
// under cn a callee who refused the offer is put on the do-not-call list at
// once (dnc.list_refusals), so the next dial to them is denied.
func ExampleGate_ReportOutcome() {
	ctx := context.Background()
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	gate, err := cnGate(ctx, &now)
	if err != nil {
		panic(err)
	}
	d := dialgate.Dial{
		Tenant: "acme", To: dialgate.MustParseNumber("+8613800138000"), From: dialgate.MustParseNumber("+861058001234"),
		Purpose: dialgate.PurposeService, LeadID: "crm-42",
	}
	dec, err := gate.Check(ctx, d)
	if err != nil || !dec.Allowed {
		fmt.Println("not dialing:", dec.Codes(), err)
		return
	}
	// ... the call is placed; the callee answers and refuses.
	if err := gate.ReportOutcome(ctx, dialgate.Outcome{
		DecisionID: dec.ID, Dial: dec.Dial, Answered: true, Refused: true, RingDuration: 6 * time.Second,
	}); err != nil {
		panic(err)
	}
	now = now.Add(24 * time.Hour)
	next, _ := gate.Check(ctx, d)
	fmt.Println("next day:", next.Allowed, next.Codes())
	// Output:
	// next day: false [dnc.listed]
}

// Right before placing the call, the dialer asks whether the allow still
// holds at its own clock reading: an allow is good until its ValidUntil
// (60 s after the decision, or the end of the calling window if sooner).
// After it, Check again. A now that was never set (the zero time.Time)
// never makes an allow dialable.
func ExampleDecision_DialableAt() {
	ctx := context.Background()
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	gate, err := cnGate(ctx, &now)
	if err != nil {
		panic(err)
	}
	dec, err := gate.Check(ctx, dialgate.Dial{
		Tenant: "acme", To: dialgate.MustParseNumber("+8613800138000"), From: dialgate.MustParseNumber("+861058001234"),
		Purpose: dialgate.PurposeService, LeadID: "crm-42",
	})
	if err != nil || !dec.Allowed { // any error, or a deny: do not dial
		fmt.Println("not dialing:", dec.Codes(), err)
		return
	}
	fmt.Println("valid until:", dec.ValidUntil.Format("15:04:05"))
	fmt.Println("dialable 10 s later:", dec.DialableAt(now.Add(10*time.Second)))
	fmt.Println("dialable 2 min later:", dec.DialableAt(now.Add(2*time.Minute)))
	var unset time.Time
	fmt.Println("dialable at a zero time:", dec.DialableAt(unset))
	// Output:
	// valid until: 10:01:00
	// dialable 10 s later: true
	// dialable 2 min later: false
	// dialable at a zero time: false
}
