package policy

import (
	"strings"
	"testing"
	"time"
)

// TestLintOverlayWeakensDNCScope: the do-not-call section's purposes and
// its listing of refusals are rules too. An overlay that limits the lists
// to fewer purposes than its base (dnc.purposes: every registry and
// store-backed list then answers for no dial of the other purposes) or
// drops a refusal listing the base cites to a law (cn, CN-S5) relaxes what
// the base requires by law, and Lint says so, as for a registry removed.
func TestLintOverlayWeakensDNCScope(t *testing.T) {
	now := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	head := "schema: dialgate.profile.v1\nname: mine\n"
	for _, tt := range []struct {
		name string
		src  string
		want []string
	}{
		{"us lists narrowed", head + "extends: us\ndnc: {purposes: [survey], purposes_cite: {source: U, ref: ours}}\n",
			[]string{"dnc.purposes: limits the do-not-call lists to survey; base us applies them to every purpose"}},
		{"uk lists narrowed", head + "extends: uk\ndnc: {purposes: [marketing], purposes_cite: {source: U, ref: ours}}\n",
			[]string{"dnc.purposes: limits the do-not-call lists to marketing; base uk applies them to every purpose"}},
		{"cn refusals not listed", head + "extends: cn\ndnc: {list_refusals: null}\n",
			[]string{"dnc.list_refusals: removed; base cn lists the callee of a refused call at once"}},
		{"cn lists narrowed", head + "extends: cn\ndnc: {purposes: [marketing], purposes_cite: {source: U, ref: ours}}\n",
			[]string{"dnc.purposes: limits the do-not-call lists to marketing; base cn applies them to every purpose"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse("mine.yaml", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range Lint(p, now) {
				if !strings.HasPrefix(w.Path, "schedule.holidays.calendars") {
					got = append(got, w.String())
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("Lint = %q, want %d warnings containing %q", got, len(tt.want), tt.want)
			}
			for i := range got {
				if !strings.Contains(got[i], tt.want[i]) {
					t.Errorf("warning %d = %q, want it to contain %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestExplainAbandonmentWording: the abandonment rule reads as a sentence
// whether or not it is limited to purposes (uk covers every purpose: "a
// every dial" was printed).
func TestExplainAbandonmentWording(t *testing.T) {
	for name, want := range map[string]string{
		"uk": "above it, any dial without an agent reserved (agent_reserved) is denied (abandon.rate_exceeded)",
		"us": "above it, a marketing dial without an agent reserved (agent_reserved) is denied (abandon.rate_exceeded)",
	} {
		var text string
		for _, r := range Explain(builtin(t, name)) {
			if r.Section == "abandonment" {
				text = r.Text
			}
		}
		if !strings.Contains(text, want) {
			t.Errorf("%s: abandonment explained as %q, want it to contain %q", name, text, want)
		}
	}
}
