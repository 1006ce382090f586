package sweep_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/dialgate/dialgate"
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
