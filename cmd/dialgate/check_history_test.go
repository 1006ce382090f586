package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/internal/sidecar"
)

// check on a sidecar's data directory carries the counter of a changed
// frequency window as the sidecar does: a callee called under the 30-day
// profile is still capped by a check under the 60-day one. The profile file
// serve runs is edited in place (serve applies it once restarted): a check
// under another file than the one serve recorded would be refused.
func TestCheckCarriesCounterHistory(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	profile := func(window string) string {
		path := filepath.Join(dir, "profile.yaml")
		text := `schema: dialgate.profile.v1
name: window-caps
frequency:
  caps:
    - {count: 1, window: ` + window + `, cite: {source: U, ref: "test: one call"}}
`
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	p30 := profile("30d")
	be, err := sidecar.Open(context.Background(), sidecar.Config{Data: data, Profile: p30}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := be.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	dial := []string{"--data", data, "check", "--tenant", "acme", "--to", "+14055550126", "--purpose", "service", "--lead-id", "x"}
	if code, out, errs := runCLI(t, "", append(dial, "--profile", p30)...); code != 0 {
		t.Fatalf("first check: exit %d\n%s%s", code, out, errs)
	}
	p60 := profile("60d")
	code, out, errs := runCLI(t, "", append(dial, "--profile", p60)...)
	if code != 1 || !strings.Contains(out, "frequency.capped") {
		t.Fatalf("check under the 60-day profile: exit %d\n%s%s\nwant exit 1, frequency.capped", code, out, errs)
	}
}
