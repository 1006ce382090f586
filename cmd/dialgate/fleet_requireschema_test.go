package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// postgres_require_schema reaches the store through check --config and the
// other commands of a fleet: on a database without the fleet's schema they
// fail naming the key, and create nothing, instead of deciding (allowing)
// from a new, empty store.
func TestFleetCLIRequireSchema(t *testing.T) {
	dir, cfg, _ := pgFleet(t, "postgres_require_schema: true\n")
	host := filepath.Join(dir, "a")
	code, out, errs := runCLI(t, "", "--data", host, "check", "--config", cfg, "--to", "+8613900139107", "--purpose", "service")
	if code == 0 || !strings.Contains(errs, "no dialgate store in schema") || !strings.Contains(errs, "dgfleetcli_") {
		t.Fatalf("check --config on a database without the schema: exit %d\n%s%s; want a failure naming postgres_require_schema and the schema", code, out, errs)
	}
	if code, out, errs := runCLI(t, "", "--data", host, "dnc", "lookup", "--config", cfg, "+8613900139107"); code == 0 || !strings.Contains(errs, "no dialgate store in schema") {
		t.Fatalf("dnc lookup --config on a database without the schema: exit %d\n%s%s", code, out, errs)
	}
}
