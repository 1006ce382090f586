package dnc_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage/memstore"
)

// An opt-out taken during a call goes through the check's Add: it is
// listed for every dial that starts after Add returns, and held for at
// least the profile's minimum (cn: 12 months), so that Remove refuses it
// until then. A Gate built by policy gives its own check (policy.Assemble
// and policy.CheckOf[*dnc.Check]); this one is built by hand.
func ExampleCheck_Add() {
	ctx := context.Background()
	store := memstore.New()
	lists, err := dnc.NewLists(ctx, store, dnc.ListsOptions{})
	if err != nil {
		panic(err)
	}
	defer lists.Close()
	check, err := dnc.New(dnc.Config{Hold: dnc.Hold{Months: 12,
		Cite: dialgate.Citation{Source: dialgate.SourceLaw, Ref: "example: a refusal is kept 12 months"}}}, lists)
	if err != nil {
		panic(err)
	}

	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	callee := dialgate.MustParseNumber("+8613900139000")
	if err := check.Add(ctx, dnc.Entry{
		Number: callee, Scope: dnc.GlobalScope, List: dnc.RefusalList, Source: "call", AddedAt: now,
	}); err != nil {
		panic(err) // not listed: retry, and do not dial the callee meanwhile
	}

	reasons, err := check.Check(ctx, dialgate.Dial{To: callee, Purpose: dialgate.PurposeService, At: now.Add(time.Minute)})
	if err != nil {
		panic(err)
	}
	for _, r := range reasons {
		fmt.Println(r.Code)
	}
	err = check.Remove(ctx, callee, dnc.GlobalScope, now.AddDate(0, 6, 0))
	fmt.Println("removed after 6 months:", err == nil, errors.Is(err, dnc.ErrHeld))
	err = check.Remove(ctx, callee, dnc.GlobalScope, now.AddDate(1, 0, 0))
	fmt.Println("removed after 12 months:", err == nil)
	// Output:
	// dnc.listed
	// removed after 6 months: false true
	// removed after 12 months: true
}
