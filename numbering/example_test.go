package numbering_test

import (
	"fmt"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/numbering"
)

func ExampleClassify() {
	for _, s := range []string{"+8613800138000", "+8617000170001", "+861058001234", "+864001234567", "+12125550100"} {
		info := numbering.Classify(dialgate.MustParseNumber(s))
		fmt.Printf("%-9s segment=%q suffix=%04d area=%q\n", info.Class, info.Segment, info.Suffix, info.AreaCode)
	}
	// Output:
	// mobile    segment="1380013" suffix=8000 area=""
	// mvno      segment="1700017" suffix=0001 area=""
	// fixed     segment="010-5800" suffix=1234 area="010"
	// 400       segment="" suffix=0000 area=""
	// international segment="+1 212555" suffix=0100 area=""
}

func ExampleZones() {
	fmt.Println(numbering.Zones(dialgate.MustParseNumber("+8613800138000")))
	// South Dakota spans Mountain and Central time; the data does not list
	// exchange 555, which may be in either.
	fmt.Println(numbering.Zones(dialgate.MustParseNumber("+16055550100")))
	// Output:
	// [Asia/Shanghai]
	// [America/Chicago America/Denver America/North_Dakota/Center]
}
