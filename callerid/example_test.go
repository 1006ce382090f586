package callerid_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/storage/memstore"
)

func Example() {
	ctx := context.Background()
	store := memstore.New()
	ledger := "number,holder,purposes,valid_until\n+861058001234,Acme Ltd,marketing;service,2027-12-31T00:00:00+08:00\n"
	entries, err := callerid.ParseLedger(strings.NewReader(ledger), "acme")
	if err != nil {
		panic(err)
	}
	if err := store.PutLedger(ctx, entries...); err != nil {
		panic(err)
	}
	law := dialgate.Citation{Source: dialgate.SourceLaw, Ref: "工信厅信管函〔2018〕337号"}
	check, err := callerid.New(callerid.Config{
		Cite:             law,
		Ledger:           &callerid.Rule{Cite: law},
		SubscriberNumber: &callerid.Rule{Cite: law},
	}, store)
	if err != nil {
		panic(err)
	}
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	for _, from := range []string{"+861058001234", "+8613800138000"} {
		d := dialgate.Dial{To: dialgate.MustParseNumber("+8613900139000"), From: dialgate.MustParseNumber(from),
			Purpose: dialgate.PurposeService, Tenant: "acme", At: at}
		rs, _ := check.Check(ctx, d)
		fmt.Println(from, len(rs) == 0)
		for _, r := range rs {
			fmt.Println(" ", r.Code)
		}
	}
	// Output:
	// +861058001234 true
	// +8613800138000 false
	//   callerid.subscriber_number
	//   callerid.not_in_ledger
}
