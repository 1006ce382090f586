package dnc

import (
	"context"
	"slices"
	"testing"

	"github.com/dialgate/dialgate"
)

// A French overseas line has two spellings (+596 596 … and +33 596 …, the
// national number written with +33). An opt-out stored, or a registry entry
// listed, under one denies a dial under the other; an unrelated number is
// unaffected.
func TestOverseasSpellingsBothDeny(t *testing.T) {
	ctx := context.Background()
	reg, _ := NewRegistry("fr-bloctel")
	reg.Swap(snapOf(t, "fr-bloctel", "", t0, 33696000181)) // listed as +33 696 …
	c, _ := newTestCheck(t, Config{}, reg)
	if err := c.Add(ctx, Entry{Number: num("+596596000180"), Scope: GlobalScope, List: "opt_out", AddedAt: t0}); err != nil {
		t.Fatal(err)
	}
	for to, want := range map[string][]dialgate.Code{
		"+596596000180": {dialgate.CodeDNCListed}, // as stored
		"+33596000180":  {dialgate.CodeDNCListed}, // the other spelling
		"+596696000181": {dialgate.CodeDNCListed}, // the registry's entry, other spelling
		"+33696000181":  {dialgate.CodeDNCListed},
		"+33596000199":  nil,
		"+33140000180":  nil,
	} {
		rs, err := c.Check(ctx, dialgate.Dial{To: num(to), Purpose: dialgate.PurposeMarketing, At: t0})
		if err != nil || !slices.Equal(codes(rs), want) {
			t.Errorf("%s: %v %v, want %v", to, codes(rs), err, want)
		}
	}
}
