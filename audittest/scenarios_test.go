package audittest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/audittest"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	msgs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

const passing = `schema: dialgate.scenario.v1
name: window
profile: cn
ledger: [{number: "+861058001234", holder: Acme Ltd, purposes: [service]}]
steps:
  - at: 2026-12-04T10:00:00+08:00
    dial: {to: "+8613800138000", from: "+861058001234", purpose: service, lead_id: crm-1}
    want: {allowed: true}
`

func write(t *testing.T, dir, name, src string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunScenarios(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", passing)
	audittest.RunScenarios(t, dir)
}

func TestRunScenariosFailures(t *testing.T) {
	dir := t.TempDir()
	failing := write(t, dir, "fail.yaml", strings.Replace(passing, "T10:00:00", "T22:30:00", 1))
	invalid := write(t, dir, "invalid.yaml", passing+"    wnat: {}\n")
	tests := []struct {
		name  string
		paths []string
		want  []string
	}{
		{"failing step", []string{failing}, []string{"fail.yaml: 1 of 1 steps failed", "FAIL step 1 (line 6)", "want allowed, got denied [schedule.outside_window]", "reason schedule.outside_window:"}},
		{"invalid", []string{invalid}, []string{"invalid.yaml:9: steps[0].wnat: unknown key"}},
		{"missing", []string{filepath.Join(dir, "nope")}, []string{"nope"}},
		{"empty dir", []string{t.TempDir()}, []string{"no scenario files"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{TB: t}
			audittest.RunScenarios(r, tt.paths...)
			all := strings.Join(r.msgs, "\n")
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("failure messages\n%s\ndo not contain %q", all, w)
				}
			}
		})
	}
}
