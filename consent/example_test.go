package consent_test

import (
	"context"
	"fmt"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/storage/memstore"
)

// A consent is granted into the store, relied on by a marketing dial, and
// withdrawn: the withdrawal is in force for every check that starts after
// RevokeConsent returns. A RevokeConsent that returns an error may not
// have been recorded: retry it, and dial nobody on the consent meanwhile.
func ExampleCheck() {
	ctx := context.Background()
	store := memstore.New() // or boltstore.Open(…) for a durable store
	granted := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	if err := store.AddConsent(ctx, consent.Record{
		ID: "c-1", Number: dialgate.MustParseNumber("+8613900139000"), Scope: "industry:finance",
		Method: consent.MethodWebForm, DisclosureSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		GrantedAt: granted,
	}); err != nil {
		panic(err) // the error names the field: scope, method, granted_at, …
	}
	check, err := consent.NewCheck(consent.Config{Require: []consent.Requirement{{
		Purposes: []dialgate.Purpose{dialgate.PurposeMarketing},
		Cite:     dialgate.Citation{Source: dialgate.SourceLaw, Ref: "工信厅信管函〔2018〕337号 (CN-S3)"},
	}}}, store)
	if err != nil {
		panic(err)
	}
	dial := dialgate.Dial{To: dialgate.MustParseNumber("+8613900139000"), Purpose: dialgate.PurposeMarketing,
		Industry: "finance", At: granted.Add(24 * time.Hour)}

	reasons, evidence, err := check.Attest(ctx, dial)
	if err != nil {
		panic(err) // no decision: a Gate denies consent.unavailable
	}
	fmt.Println("reasons:", len(reasons), "relied on:", evidence[0].Value)

	if _, err := store.RevokeConsent(ctx, "c-1", granted.Add(25*time.Hour), "sms"); err != nil {
		panic(err)
	}
	reasons, _, err = check.Attest(ctx, dial)
	if err != nil {
		panic(err)
	}
	fmt.Println(reasons[0].Code)
	// Output:
	// reasons: 0 relied on: c-1
	// consent.revoked
}
