package dnc

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// TestScopeEquivalentMeansSameDials: two scopes Equivalent calls the same
// must match exactly the same dials (Matches). Hangul jamo split by a
// zero-width space (U+1100 U+200B U+1161) fold to the syllable 가 (textfold.Name), but
// Matches compares names without case letters as written: a dial of
// industry 가 is in scope 가 and not in scope U+1100 U+200B U+1161. Equivalent called them
// the same, so a required registry's copy built in U+1100 U+200B U+1161 stood for one
// required in 가, and its lookup passed a listed callee of a 가 dial.
func TestScopeEquivalentMeansSameDials(t *testing.T) {
	pairs := [][2]string{
		{"industry:finance", "industry:Finance"},
		{"industry:\uac00", "industry:\u1100\u200b\u1161"},
		{"industry:stra\u00dfe", "industry:STRASSE"},
		{"industry:\u212aelvin", "industry:kelvin"},
		{"industry:\u0131", "industry:i"},
		{"industry:\u0130", "industry:i"},
	}
	for _, p := range pairs {
		a, b := MustParseScope(p[0]), MustParseScope(p[1])
		if !a.Equivalent(b) {
			continue
		}
		for _, v := range []string{a.Value, b.Value} {
			d := dialgate.Dial{Industry: v}
			if a.Matches(d) != b.Matches(d) {
				t.Errorf("%+q Equivalent %+q, but a dial of industry %+q: matched %v and %v", p[0], p[1], v, a.Matches(d), b.Matches(d))
			}
		}
	}

	ctx := context.Background()
	reg, _ := NewRegistry("cn-platform-x")
	cfg := Config{Registries: []RegistryConfig{{Name: "cn-platform-x", Scope: "industry:\uac00",
		MaxAge: dialgate.Duration(7 * 24 * time.Hour), Cite: cite}}}
	c, _ := newTestCheck(t, cfg, reg)
	if _, err := reg.Swap(snapOf(t, "cn-platform-x", "industry:\u1100\u200b\u1161", t0, 8613800138000)); err != nil {
		t.Fatal(err)
	}
	rs, err := c.Check(ctx, dialgate.Dial{To: num("+8613800138000"), Purpose: dialgate.PurposeMarketing, Industry: "\uac00", At: t0})
	if err != nil || len(rs) == 0 {
		t.Fatalf("listed callee, required scope industry:\uac00, copy scoped industry:\u1100\u200b\u1161: %v %v; want a denial", rs, err)
	}
}
