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

// The overseas ranges the French plan opened after 0590/0690…: fixed 0598 7
// (Guadeloupe), 0598 8 (Guyane), 0598 9 (Martinique), 0268 8 (La Réunion),
// 0268 9 (Mayotte), and mobile 0709 0 (Guadeloupe), 0709 1 (Martinique),
// 0709 2 (La Réunion), 0709 30–34 (Guyane), 0709 35–39 (Mayotte), as the
// libphonenumber data has them under the territories' codes. Written with
// +33 they are the same lines, in the territory's zone; the ranges beside
// them stay metropolitan.
func TestOverseasAliasNewerRanges(t *testing.T) {
	for in, want := range map[string]string{
		"+33598700190":  "+590598700190",
		"+33598800191":  "+594598800191",
		"+33598900192":  "+596598900192",
		"+33268800193":  "+262268800193",
		"+33268900194":  "+262268900194",
		"+33709000195":  "+590709000195",
		"+33709100196":  "+596709100196",
		"+33709200197":  "+262709200197",
		"+33709300198":  "+594709300198",
		"+33709350199":  "+262709350199",
		"+590709000195": "+33709000195",
		"+594709300198": "+33709300198",
		"+262709350199": "+33709350199",
		"+262268900194": "+33268900194",
		"+596598900192": "+33598900192",
		"+594709350199": "", // a Mayotte range under +594
		"+590598900192": "", // a Martinique range under +590
		"+33598600190":  "", // not an overseas range
		"+33709500190":  "",
		"+33268700190":  "",
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

// TestOverseasLine: the one spelling a French overseas line is keyed under
// (the territory's country code) whichever spelling is given; any other
// number as it is.
func TestOverseasLine(t *testing.T) {
	for in, want := range map[string]string{
		"+33596000180":   "+596596000180",
		"+596596000180":  "+596596000180",
		"+33269000187":   "+262269000187",
		"+262639000188":  "+262639000188",
		"+33598700190":   "+590598700190",
		"+33140000189":   "+33140000189",  // Paris
		"+590596000180":  "+590596000180", // a Martinique range under +590: no alias
		"+8613800138000": "+8613800138000",
	} {
		if got := OverseasLine(dialgate.MustParseNumber(in)).String(); got != want {
			t.Errorf("OverseasLine(%s) = %s, want %s", in, got, want)
		}
	}
}
