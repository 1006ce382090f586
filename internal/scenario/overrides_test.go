package scenario

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// A file that overrides its profile (policy: {consent: null}) ran under a
// policy version that differs from the built-in's, and the report said only
// "(policy us@…)": an auditor could take its steps as proof of the built-in
// profile. The report names the sections the file overrides.
func TestReportNamesOverrides(t *testing.T) {
	src := `schema: dialgate.scenario.v1
name: overrides
profile: cn
policy: {consent: null, frequency: null}
tenant: acme
ledger:
  - {number: "+861058001234", holder: Acme Ltd, purposes: [service]}
steps:
  - at: 2026-12-05T10:00:00+08:00
    dial: {to: "+8613900139001", from: "+861058001234", purpose: service, lead_id: crm-1}
    want: {allowed: true}
`
	for _, tc := range []struct {
		src  string
		want []string
		text string
	}{
		{src, []string{"consent", "frequency"}, "(policy cn@"},
		{strings.Replace(src, "policy: {consent: null, frequency: null}\n", "", 1), nil, ""},
	} {
		f, err := Parse("o.yaml", []byte(tc.src))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Run(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rep.Overrides, tc.want) {
			t.Errorf("overrides %v, want %v", rep.Overrides, tc.want)
		}
		var b strings.Builder
		if err := rep.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		head, _, _ := strings.Cut(b.String(), "\n")
		if hasOverrides := strings.Contains(head, "overrides: consent, frequency)"); hasOverrides != (tc.want != nil) {
			t.Errorf("header %q: names the overrides %v, want %v", head, hasOverrides, tc.want != nil)
		}
	}
}
