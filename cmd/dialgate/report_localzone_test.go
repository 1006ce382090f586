package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestReportQuarterlyRefusesHostZone: --zone Local is the zone of the host
// the report runs on, not a place: the quarter's bounds (and every count)
// would change with the machine. Refused (exit 2) naming --zone, as a
// profile's zones refuse it.
func TestReportQuarterlyRefusesHostZone(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	emptyAuditLog(t, data)
	code, out, errs := runCLI(t, "", "--data", data, "report", "quarterly", "--quarter", "2026Q4", "--zone", "Local")
	if code != 2 || !strings.Contains(errs, "--zone") || !strings.Contains(errs, "Local") {
		t.Fatalf("report quarterly --zone Local: exit %d %q\n%s; want exit 2 naming --zone", code, out, errs)
	}
}

// TestReportQuarterlyRefusesHostZoneUnderOtherNames: --zone localtime (the
// zoneinfo directory's link to the host's zone), posixrules, Factory, the
// posix/ and right/ copies and ./localtime loaded where Local was refused.
func TestReportQuarterlyRefusesHostZoneUnderOtherNames(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	emptyAuditLog(t, data)
	for _, zone := range []string{"localtime", "posixrules", "Factory", "posix/Asia/Shanghai", "./localtime", "./Asia/Shanghai"} {
		code, out, errs := runCLI(t, "", "--data", data, "report", "quarterly", "--quarter", "2026Q4", "--zone", zone)
		if code != 2 || !strings.Contains(errs, "--zone") {
			t.Errorf("report quarterly --zone %s: exit %d %q\n%s; want exit 2 naming --zone", zone, code, out, errs)
		}
	}
}
