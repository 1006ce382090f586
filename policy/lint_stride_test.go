package policy

import (
	"strings"
	"testing"
	"time"
)

// TestLintOverlayWeakensStride: us-ok cites its stride rule (one line number
// dialled through successive NPA-NXX codes) to 15 O.S. § 755.1(D), as it
// does its sequential rule; an overlay that removes it or makes it detect
// fewer strides (a longer min_run, a smaller max_gap, a shorter window) is
// warned about like the sequential rule. A stricter one is not.
func TestLintOverlayWeakensStride(t *testing.T) {
	now := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	head := "schema: dialgate.profile.v1\nname: mine\nextends: us-ok\n"
	for _, tt := range []struct {
		name, body, want string
	}{
		{"removed", "sweep: {stride: null}", "sweep.stride: removed"},
		{"longer run", "sweep: {stride: {min_run: 40}}", "sweep.stride: min_run 40"},
		{"no gaps", "sweep: {stride: {max_gap: 0}}", "sweep.stride: min_run 10, max_gap 0"},
		{"shorter window", "sweep: {stride: {window: 1h}}", "window 1h0m0s detect fewer strides"},
		{"stricter", "sweep: {stride: {min_run: 5, max_gap: 3, window: 48h}}", ""},
	} {
		p, err := Parse("mine.yaml", []byte(head+tt.body+"\n"))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var got []string
		for _, w := range Lint(p, now) {
			if strings.HasPrefix(w.Path, "sweep.stride") {
				got = append(got, w.String())
			}
		}
		switch {
		case tt.want == "" && len(got) > 0:
			t.Errorf("%s: warnings %q, want none", tt.name, got)
		case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], tt.want) || !strings.Contains(got[0], "755.1(D)")):
			t.Errorf("%s: warnings %q, want one containing %q citing 15 O.S. § 755.1(D)", tt.name, got, tt.want)
		}
	}
}
