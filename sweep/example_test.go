package sweep_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage/memstore"
	"github.com/dialgate/dialgate/sweep"
)

func ExampleScreen() {
	var list strings.Builder
	for i := range 20 { // a dialer's generated list: 13900000000, 13900000001, …
		fmt.Fprintf(&list, "1390000%04d\n", i)
	}
	list.WriteString("13800138000\nnot a number\n")
	var items []sweep.Item
	err := sweep.ReadList(strings.NewReader(list.String()), sweep.ListOptions{Country: 86}, func(it sweep.Item) error {
		items = append(items, it)
		return nil
	})
	if err != nil {
		panic(err)
	}
	u := dialgate.Citation{Source: dialgate.SourceConvention, Ref: "dialgate convention (CN-S4b)"}
	rep, err := sweep.Screen(context.Background(), items, sweep.Config{
		Sequential: &sweep.Sequential{MinRun: 20, MaxGap: 2, Window: dialgate.Duration(24 * 3600e9), Cite: u},
	}, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(rep.Total, "numbers,", rep.Allowed, "allowed,", rep.Sequential, "in runs,", rep.Invalid, "invalid")
	fmt.Println(rep.Segments[0].Segment, rep.Segments[0].LongestRun)
	fmt.Println(rep.Results[21].Err)
	// Output:
	// 22 numbers, 1 allowed, 20 in runs, 1 invalid
	// 1390000 20
	// line 22: invalid number "not a number": character 'n' at position 0 is not a digit
}

// Two gates that share a run store — here a memstore; in a fleet, the Redis
// or PostgreSQL store every sidecar opens — see one sweep whose dials
// alternate between them.
func ExampleWithRuns() {
	shared := memstore.New()
	u := dialgate.Citation{Source: dialgate.SourceConvention, Ref: "dialgate convention (CN-S4b)"}
	cfg := sweep.Config{Sequential: &sweep.Sequential{MinRun: 5, MaxGap: 2, Window: dialgate.Duration(24 * time.Hour), Cite: u}}
	var checks [2]*sweep.Check
	for i := range checks {
		c, err := sweep.New(cfg, nil, sweep.WithRuns(shared))
		if err != nil {
			panic(err)
		}
		checks[i] = c
	}
	ctx := context.Background()
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	for i := range 6 {
		c := checks[i%2]
		d := dialgate.Dial{To: dialgate.MustParseNumber(fmt.Sprintf("+861390000%04d", i)), Purpose: dialgate.PurposeService,
			Tenant: "acme", LeadID: "crm-1", At: at.Add(time.Duration(i) * time.Minute)}
		rs, err := c.Check(ctx, d)
		if err == nil && len(rs) == 0 {
			rs, err = c.Commit(ctx, d, fmt.Sprintf("d%d", i))
		}
		if err != nil {
			panic(err)
		}
		if len(rs) > 0 {
			fmt.Println("dial", i, "gate", i%2, rs[0].Code)
		} else {
			fmt.Println("dial", i, "gate", i%2, "allowed")
		}
	}
	// Output:
	// dial 0 gate 0 allowed
	// dial 1 gate 1 allowed
	// dial 2 gate 0 allowed
	// dial 3 gate 1 allowed
	// dial 4 gate 0 sweep.sequential
	// dial 5 gate 1 sweep.sequential
}
