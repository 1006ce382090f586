package policy

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage/memstore"
)

// TestExplainDNCListsDeny: the dnc check denies a callee listed in the dial's
// scope (dnc.listed) whatever else the section says; explain must say so. A
// profile whose only section is `dnc: {}` builds a Gate that denies a listed
// callee, and explain claimed it had no rules ("allows every valid dial");
// cn's explain never said that a listed callee is not called.
func TestExplainDNCListsDeny(t *testing.T) {
	p, err := Parse("x.yaml", []byte("schema: dialgate.profile.v1\nname: x\ndnc: {}\n"))
	if err != nil {
		t.Fatal(err)
	}
	// What the built check does: a listed callee is denied.
	ms := memstore.New()
	at := time.Date(2026, 6, 10, 10, 0, 0, 0, time.UTC)
	a, err := Assemble(p, Deps{DNC: ms, CalleeHasher: testHasher{}}, dialgate.WithoutAuditLog(),
		dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return at })))
	if err != nil {
		t.Fatal(err)
	}
	c, ok := CheckOf[*dnc.Check](a.Checks)
	if !ok {
		t.Fatal("no dnc check")
	}
	n := dialgate.MustParseNumber("+8613800138000")
	if err := c.Add(context.Background(), dnc.Entry{Number: n, Scope: dnc.GlobalScope, List: "opt_out", Source: "call", AddedAt: at}); err != nil {
		t.Fatal(err)
	}
	dec, err := a.Gate.Check(context.Background(), dialgate.Dial{To: n, Purpose: dialgate.PurposeService})
	if err != nil {
		t.Fatal(err)
	}
	if !dec.Has(dialgate.CodeDNCListed) {
		t.Fatalf("listed callee: %v, want %s", dec.Codes(), dialgate.CodeDNCListed)
	}
	// What explain says.
	var b bytes.Buffer
	if err := WriteExplain(&b, p); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "no rules") || !strings.Contains(b.String(), string(dialgate.CodeDNCListed)) {
		t.Errorf("explain of a profile whose dnc check denies listed callees:\n%s", b.String())
	}
	for _, name := range []string{"cn", "us", "uk", "ca"} {
		found := false
		for _, r := range Explain(builtin(t, name)) {
			if r.Path == "dnc" && strings.Contains(r.Text, string(dialgate.CodeDNCListed)) {
				found = true
				if err := r.Cite.Validate(r.Path); err != nil {
					t.Errorf("%s: %v", name, err)
				}
			}
		}
		if !found {
			t.Errorf("%s: explain has no dnc rule saying a listed callee is denied (%s)", name, dialgate.CodeDNCListed)
		}
	}
	// A section limited to some purposes says so in that rule.
	q, err := Parse("x.yaml", []byte("schema: dialgate.profile.v1\nname: x\ndnc: {purposes: [marketing], purposes_cite: {source: L, ref: r}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Explain(q) {
		if r.Path == "dnc" && !strings.Contains(r.Text, "marketing") {
			t.Errorf("dnc limited to marketing: %q", r.Text)
		}
	}
}
