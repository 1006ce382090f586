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
