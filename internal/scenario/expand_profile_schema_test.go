package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExpandScenarioWithProfileSchema: a directory's profile files are not
// scenarios and are left out, but a file was taken for one on its schema
// line alone. A scenario whose schema line was copied from a profile
// (schema: dialgate.profile.v1, then steps:) was left out without a word:
// "2 files: 2 passed" for a tree of three, its steps never run, while the
// same file named alone is invalid (exit 2). A file with top-level steps:
// is no profile (a profile has no such key): it is listed, and invalid.
func TestExpandScenarioWithProfileSchema(t *testing.T) {
	dir := t.TempDir()
	botched := strings.Replace(head, "schema: "+Schema, "schema: dialgate.profile.v1", 1) + `steps:
  - at: 2026-12-05T10:00:00+08:00
    dial: {to: "+8613900139000", purpose: service, lead_id: crm-1}
    want: {allowed: true}
`
	if !strings.Contains(botched, "dialgate.profile.v1") {
		t.Fatalf("head has no schema line to replace:\n%s", head)
	}
	for name, src := range map[string]string{
		"a.yaml":       head,
		"botched.yaml": botched,
		"prof.yaml":    "schema: dialgate.profile.v1\nname: p\nextends: cn\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	names := expandedNames(t, dir)
	if want := "a.yaml botched.yaml"; names != want {
		t.Fatalf("Expand = %q, want %q", names, want)
	}
	if _, err := ParseFile(filepath.Join(dir, "botched.yaml")); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "schema") {
		t.Errorf("ParseFile(botched) = %v, want ErrInvalid naming schema", err)
	}
}

// TestExpandExtensionCase: a directory's scenario files are its *.yaml and
// *.yml files, however the extension is cased. One saved as Consent.YAML
// (as some editors and systems name them) was left out of a directory run
// without a word, the run saying every file passed.
func TestExpandExtensionCase(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.yaml", "B.YAML", "c.Yml", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(head), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	names := expandedNames(t, dir)
	if want := "B.YAML a.yaml c.Yml"; names != want {
		t.Errorf("Expand = %q, want %q", names, want)
	}
}

// expandedNames returns the base names of the files Expand(dir) lists, in
// its order, joined by spaces.
func expandedNames(t *testing.T, dir string) string {
	t.Helper()
	got, err := Expand(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range got {
		names = append(names, filepath.Base(g))
	}
	return strings.Join(names, " ")
}
