package consent_test

import (
	"context"
	"fmt"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/storage/memstore"
)

func ExampleCheck() {
	ctx := context.Background()
	store := memstore.New() // or boltstore.Open(…) for a durable store
	granted := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	_ = store.AddConsent(ctx, consent.Record{
		ID: "c-1", Number: dialgate.MustParseNumber("+8613900139000"), Scope: "industry:finance",
		Method: consent.MethodWebForm, DisclosureSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		GrantedAt: granted,
	})
	check, err := consent.NewCheck(consent.Config{Require: []consent.Requirement{{
		Purposes: []dialgate.Purpose{dialgate.PurposeMarketing},
		Cite:     dialgate.Citation{Source: dialgate.SourceLaw, Ref: "工信厅信管函〔2018〕337号 (CN-S3)"},
	}}}, store)
	if err != nil {
		panic(err)
	}
	dial := dialgate.Dial{To: dialgate.MustParseNumber("+8613900139000"), Purpose: dialgate.PurposeMarketing,
		Industry: "finance", At: granted.Add(24 * time.Hour)}

	reasons, evidence, _ := check.Attest(ctx, dial)
	fmt.Println("reasons:", len(reasons), "relied on:", evidence[0].Value)

	_, _ = store.RevokeConsent(ctx, "c-1", granted.Add(25*time.Hour), "sms")
	reasons, _, _ = check.Attest(ctx, dial)
	fmt.Println(reasons[0].Code)
	// Output:
	// reasons: 0 relied on: c-1
	// consent.revoked
}
