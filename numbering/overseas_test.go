package numbering

import (
	"testing"

	"github.com/dialgate/dialgate"
)

func TestOverseasAlias(t *testing.T) {
	for in, want := range map[string]string{
		"+33596000180":   "+596596000180",
		"+596596000180":  "+33596000180",
		"+33696000181":   "+596696000181",
		"+33690000183":   "+590690000183",
		"+590590000182":  "+33590000182",
		"+33269000187":   "+262269000187",
		"+262639000188":  "+33639000188",
		"+33694000184":   "+594694000184",
		"+33140000189":   "", // Paris
		"+596140000189":  "", // not an overseas range of +596
		"+590596000180":  "", // a Martinique range under +590: no alias
		"+8613800138000": "",
	} {
		alt, ok := OverseasAlias(dialgate.MustParseNumber(in))
		got := ""
		if ok {
			got = alt.String()
		}
		if got != want {
			t.Errorf("OverseasAlias(%s) = %q, want %q", in, got, want)
		}
	}
}
