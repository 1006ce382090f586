package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/internal/sidecar"
)

// reportFrom runs report quarterly for 2026Q4 with args and returns the exit
// code, the report's from (its first instant) as printed, and stderr.
func reportFrom(t *testing.T, args ...string) (code int, from, stderr string) {
	t.Helper()
	code, out, errs := runCLI(t, "", append(args, "report", "quarterly", "--quarter", "2026Q4")...)
	if code != 0 {
		return code, out, errs
	}
	var r struct {
		From string `json:"from"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	return code, r.From, errs
}

// emptyAuditLog gives data an audit log without records, as a sidecar that
// decided nothing leaves.
func emptyAuditLog(t *testing.T, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(data, sidecar.AuditDir), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(data, sidecar.AuditDir), "audit-000001.jsonl", "")
}

// TestReportQuarterlyZoneFollowsProfile: report quarterly bounded the
// quarter in Asia/Shanghai (Beijing time, the zone of the cn profile's
// CN-S16 report) on any data directory: the quarters of a us sidecar's
// data were silently cut at Beijing midnight. Without --zone it now keeps
// that default only when the data directory's profile (the one dialgate
// serve recorded, cn when none is) is a cn profile, and refuses (exit 2,
// naming --zone and the profile) otherwise or when the profile is unknown.
func TestReportQuarterlyZoneFollowsProfile(t *testing.T) {
	dir := t.TempDir()
	cnFile, err := filepath.Abs("testdata/cn-no-callerid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, profile string // "" = no dialgate serve ran on the data
		from          string // "" = refused without --zone
	}{
		{"no profile recorded", "", "2026-10-01T00:00:00+08:00"},
		{"cn", "cn", "2026-10-01T00:00:00+08:00"},
		{"cn-insurance", "cn-insurance", "2026-10-01T00:00:00+08:00"},
		{"a profile file extending cn", cnFile, "2026-10-01T00:00:00+08:00"},
		{"us", "us", ""},
		{"uk", "uk", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-"))
			if err := os.MkdirAll(data, 0o700); err != nil {
				t.Fatal(err)
			}
			if c.profile != "" {
				serveOnce(t, data, c.profile)
			} else if code, _, errs := runCLI(t, "", "--data", data, "ledger", "add", "--tenant", "acme", "--number", "+861058001234", "--holder", "Acme Ltd", "--purposes", "service"); code != 0 {
				t.Fatalf("ledger add: %d %s", code, errs)
			}
			code, from, errs := reportFrom(t, "--data", data)
			if c.from != "" {
				if code != 0 || from != c.from {
					t.Fatalf("report on a %s data directory: exit %d, from %q\n%s; want exit 0 from %s", c.name, code, from, errs, c.from)
				}
				return
			}
			if code != 2 || from != "" || !strings.Contains(errs, "--zone: required") || !strings.Contains(errs, c.profile) ||
				!strings.Contains(errs, "Asia/Shanghai") || !strings.Contains(errs, sidecar.DataProfileFile) {
				t.Fatalf("report on a %s data directory without --zone: exit %d, stdout %q\n%s; want exit 2 naming --zone, the profile, its file and Asia/Shanghai", c.name, code, from, errs)
			}
			// An explicit zone is the user's to give, on any profile.
			for zone, want := range map[string]string{"America/New_York": "2026-10-01T00:00:00-04:00", "Asia/Shanghai": "2026-10-01T00:00:00+08:00"} {
				code, out, errs := runCLI(t, "", "--data", data, "report", "quarterly", "--quarter", "2026Q4", "--zone", zone)
				if code != 0 || !strings.Contains(out, fmt.Sprintf("%q", want)) {
					t.Errorf("report --zone %s on a %s data directory: exit %d\n%s%s\nwant from %s", zone, c.name, code, out, errs, want)
				}
			}
		})
	}

	// A record that cannot be read says nothing of the profile: refused.
	data := filepath.Join(dir, "unreadable")
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	emptyAuditLog(t, data)
	if err := os.WriteFile(filepath.Join(data, sidecar.DataProfileFile), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := reportFrom(t, "--data", data); code != 2 || !strings.Contains(errs, "--zone: required") || !strings.Contains(errs, sidecar.DataProfileFile) {
		t.Errorf("report on a data directory whose profile record is unreadable: exit %d %q\n%s; want exit 2 naming --zone and the file", code, out, errs)
	}
}

// TestReportQuarterlyZoneFollowsFleetProfile: with --config the profile is
// the fleet's, and a non-cn fleet's report needs --zone.
func TestReportQuarterlyZoneFollowsFleetProfile(t *testing.T) {
	dir, cfg, _ := pgFleet(t, "profile: us\n")
	data := filepath.Join(dir, "host")
	emptyAuditLog(t, data)
	code, out, errs := runCLI(t, "", "--data", data, "report", "--config", cfg, "quarterly", "--quarter", "2026Q4")
	if code != 2 || !strings.Contains(errs, "--zone: required") || !strings.Contains(errs, "--config") || !strings.Contains(errs, "us") {
		t.Fatalf("report --config (profile us) without --zone: exit %d %q\n%s; want exit 2 naming --zone, --config and us", code, out, errs)
	}
	code, out, errs = runCLI(t, "", "--data", data, "report", "--config", cfg, "quarterly", "--quarter", "2026Q4", "--zone", "America/Chicago")
	if code != 0 || !strings.Contains(out, `"2026-10-01T00:00:00-05:00"`) {
		t.Fatalf("report --config (profile us) --zone America/Chicago: exit %d\n%s%s", code, out, errs)
	}
}
