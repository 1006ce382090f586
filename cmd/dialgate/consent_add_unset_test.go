package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `consent add` refuses a granted_at before 2000 (a zero Unix time a
// template filled in, a clock reset), from flags and from JSON, as the
// sidecar's GrantConsent and `dnc add --at` do: it is not when the person
// agreed, and the record stored with it allowed dials as any other.
func TestConsentAddGrantedBefore2000Refused(t *testing.T) {
	data := t.TempDir()
	js := filepath.Join(t.TempDir(), "c.json")
	if err := os.WriteFile(js, []byte(`{"id":"c-2","number":"+8613900139000","scope":"industry:finance","method":"web_form",`+
		`"disclosure_sha256":"`+cliHash+`","granted_at":"1970-01-01T00:00:00Z"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"consent", "add", "--id", "c-1", "--number", "+8613900139000", "--scope", "industry:finance",
			"--method", "web_form", "--disclosure-sha256", cliHash, "--granted-at", "1970-01-01T00:00:00Z"},
		{"consent", "add", "--from-json", js},
	} {
		code, out, errs := runCLI(t, "", append([]string{"--data", data}, args...)...)
		if code != 2 || !strings.Contains(errs, "granted") || !strings.Contains(errs, "before 2000") {
			t.Errorf("%v: exit %d %q %q; want exit 2 naming granted_at, before 2000", args, code, out, errs)
		}
	}
	if code, out, _ := runCLI(t, "", "--data", data, "consent", "show", "+8613900139000"); code == 0 || strings.Contains(out, "c-1") || strings.Contains(out, "c-2") {
		t.Errorf("consent show after the refusals: exit %d %q; want no record (no store, or none in it)", code, out)
	}
}
