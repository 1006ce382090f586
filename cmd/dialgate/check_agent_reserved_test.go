package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckAgentReserved: --agent-reserved (and agent_reserved with --json)
// tells the us abandoned-call rate cap that an agent is reserved for the
// call; its evidence says so instead of the campaign's counts.
func TestCheckAgentReserved(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "registry.txt")
	if err := os.WriteFile(list, []byte("+12125550100\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(dir, "us.dnc")
	if code, _, errs := runCLI(t, "", "dnc", "build", "--out", snap, "--name", "us-national-dnc", "--as-of", "2026-06-01T00:00:00Z", list); code != 0 {
		t.Fatalf("dnc build: %s", errs)
	}
	dial := []string{"check", "--profile", "us", "--to", "+12125550199", "--from", "+12025550123", "--purpose", "marketing",
		"--lead-id", "l", "--campaign", "spring", "--at", "2026-06-10T12:00:00-04:00", "--registry", snap, "--what-if"}
	_, out, errs := runCLI(t, "", append(dial, "--agent-reserved")...)
	if !strings.Contains(out, "abandon.agent_reserved: true") || strings.Contains(out, "abandon.seen") {
		t.Errorf("--agent-reserved: %s\n%s", out, errs)
	}
	_, out, errs = runCLI(t, "", dial...)
	if !strings.Contains(out, `abandon.seen: 0 abandoned of 0 answered (0%) in 30d, campaign "spring", cap 3%`) || strings.Contains(out, "abandon.agent_reserved") {
		t.Errorf("without --agent-reserved: %s\n%s", out, errs)
	}
	in := `{"to": "+12125550199", "from": "+12025550123", "purpose": "marketing", "lead_id": "l", "campaign": "spring", "agent_reserved": true, "at": "2026-06-10T12:00:00-04:00"}`
	_, out, errs = runCLI(t, in, "check", "--profile", "us", "--registry", snap, "--what-if", "--json")
	if !strings.Contains(out, `"abandon.agent_reserved"`) {
		t.Errorf("--json agent_reserved: %s\n%s", out, errs)
	}
}
