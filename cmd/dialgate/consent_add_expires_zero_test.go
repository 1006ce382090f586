package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// `consent add --expires-at 0001-01-01T00:00:00Z` (the zero instant, what a
// Go template prints for an unset time) was read as no expiry, as the JSON
// "expires_at" of the zero instant was before it was refused: the consent
// stored never lapsed, and allowed dials past the expiry the person agreed
// to. It is refused naming --expires-at (exit 2), by consent add and admin
// consent add alike; leaving the flag out says the consent does not lapse.
func TestConsentAddExpiresAtZeroInstantRefused(t *testing.T) {
	data := t.TempDir()
	tok := filepath.Join(t.TempDir(), "admin.token")
	if err := os.WriteFile(tok, []byte(testAdminToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	granted := time.Now().UTC().Add(-time.Hour).Truncate(time.Second).Format(time.RFC3339)
	for _, pre := range [][]string{{"--data", data}, {"admin", "--addr", "127.0.0.1:1", "--token-file", tok}} {
		args := append(append([]string{}, pre...), "consent", "add", "--id", "c-1", "--number", "+8613900139000", "--scope", "industry:finance",
			"--method", "web_form", "--disclosure-sha256", cliHash, "--granted-at", granted, "--expires-at", "0001-01-01T00:00:00Z")
		code, out, errs := runCLI(t, "", args...)
		if code != 2 || !strings.Contains(errs, "--expires-at") {
			t.Errorf("%v: exit %d %q %q; want exit 2 naming --expires-at", args, code, out, errs)
		}
	}
	if code, out, _ := runCLI(t, "", "--data", data, "consent", "show", "+8613900139000"); code == 0 || strings.Contains(out, "c-1") {
		t.Errorf("consent show after the refusal: exit %d %q; want no record", code, out)
	}
}
