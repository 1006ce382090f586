package dnc

import (
	"context"
	"slices"
	"testing"

	"github.com/dialgate/dialgate"
)

// TestMexicanPrefixOneEntriesStillDeny: since a +52 callee must have 10
// digits (the mobile prefix 1, withdrawn in 2019, is dial.invalid), a
// dialer told to write "+52 1 55 1234 5678" as "+52 55 1234 5678" dials the
// 10-digit spelling. An opt-out an earlier build stored, or a registry copy
// built before, under the prefix-1 spelling must still deny that line: it
// was looked up only as spelt, so the withdrawn consumer was called.
func TestMexicanPrefixOneEntriesStillDeny(t *testing.T) {
	ctx := context.Background()
	reg, _ := NewRegistry("mx-repep")
	reg.Swap(snapOf(t, "mx-repep", "", t0, 5213312345678)) // listed as +52 1 33 …
	c, _ := newTestCheck(t, Config{}, reg)
	// Stored by an earlier build, which took the 11-digit spelling.
	if err := c.Add(ctx, Entry{Number: num("+5215512345678"), Scope: GlobalScope, List: "opt_out", AddedAt: t0}); err != nil {
		t.Fatal(err)
	}
	for to, want := range map[string][]dialgate.Code{
		"+525512345678": {dialgate.CodeDNCListed}, // the stored opt-out, written without the 1
		"+523312345678": {dialgate.CodeDNCListed}, // the registry's entry, written without the 1
		"+525512345679": nil,
		"+12125550100":  nil,
	} {
		rs, err := c.Check(ctx, dialgate.Dial{To: num(to), Purpose: dialgate.PurposeMarketing, At: t0})
		if err != nil || !slices.Equal(codes(rs), want) {
			t.Errorf("%s: %v %v, want %v", to, codes(rs), err, want)
		}
	}
}
