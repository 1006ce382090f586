package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckBlackouts: --blackouts decides under a declarations file, and the
// --config's blackouts_file is used when no --blackouts is given; a bad file
// is bad input.
func TestCheckBlackouts(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "blackouts.yaml")
	if err := os.WriteFile(file, []byte(`schema: dialgate.blackouts.v1
blackouts:
  - from: 2026-12-05T00:00:00+08:00
    until: 2026-12-06T00:00:00+08:00
    prefixes: ["+86138"]
    reason: Typhoon Test
    cite: {source: U, ref: test}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "sidecar.yaml")
	if err := os.WriteFile(cfg, []byte("blackouts_file: "+file+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dial := []string{"--data", filepath.Join(dir, "data"), "check", "--to", "+8613800138000", "--from", "+861058001234",
		"--purpose", "service", "--lead-id", "l", "--at", "2026-12-05T10:00:00+08:00", "--what-if"}
	for _, tc := range []struct {
		name  string
		extra []string
		code  int
		typh  bool
		errs  string
	}{
		{"no file", nil, -1, false, ""},
		{"--blackouts", []string{"--blackouts", file}, 1, true, ""},
		{"from --config", []string{"--config", cfg}, 1, true, ""},
		{"missing file", []string{"--blackouts", filepath.Join(dir, "none.yaml")}, 2, false, "--blackouts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCLI(t, "", append(dial, tc.extra...)...)
			if (tc.code >= 0 && code != tc.code) || strings.Contains(out, "Typhoon Test") != tc.typh || !strings.Contains(errs, tc.errs) {
				t.Fatalf("exit %d\n%s\n%s", code, out, errs)
			}
		})
	}
}
