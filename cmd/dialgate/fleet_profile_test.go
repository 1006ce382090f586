package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// With --config the CLI works under the config's profile: a recording
// registered in a cn-insurance fleet (5-year retention) is kept 5 years, not
// cn's 30 days (after which a sweep could delete it); a --profile that
// differs from the config's is refused.
func TestFleetConfigProfile(t *testing.T) {
	dir, cfg, _ := pgFleet(t, "profile: cn-insurance\n")
	started := time.Now().Add(-time.Hour).UTC()
	data := filepath.Join(dir, "a")
	if code, out, errs := runCLI(t, "", "--data", data, "recordings", "--config", cfg, "register", "--id", "r-ins", "--number", "+8613900139040", "--started-at", started.Format(time.RFC3339)); code != 0 {
		t.Fatalf("register: %d %s %s", code, out, errs)
	}
	code, out, errs := runCLI(t, "", "--data", data, "recordings", "--config", cfg, "show", "r-ins", "--json")
	if code != 0 {
		t.Fatalf("show: %d %s %s", code, out, errs)
	}
	want := started.AddDate(5, 0, 0).Format("2006")
	if !strings.Contains(out, `"retain_until": "`+want) {
		t.Errorf("a recording registered with --config naming profile cn-insurance is not kept 5 years (until %s…):\n%s", want, out)
	}
	code, _, errs = runCLI(t, "", "--data", data, "recordings", "--config", cfg, "--profile", "cn", "show", "r-ins")
	if code != 2 || !strings.Contains(errs, "--profile") {
		t.Errorf("--profile cn with a cn-insurance config: exit %d, %s", code, errs)
	}
}
