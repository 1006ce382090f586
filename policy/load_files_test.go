package policy

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// LoadWithFiles returns the profile Load returns and the files it read: the
// profile file, then each file of its extends chain (a relative extends
// joined to the directory of the file naming it); none for a built-in.
func TestLoadWithFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(path, s string) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	base := filepath.Join(dir, "base.yaml")
	mid := filepath.Join(dir, "sub", "mid.yaml")
	prof := filepath.Join(dir, "prof.yaml")
	write(base, "schema: dialgate.profile.v1\nname: mybase\nextends: cn\n")
	write(mid, "schema: dialgate.profile.v1\nname: mymid\nextends: ../base.yaml\n")
	write(prof, "schema: dialgate.profile.v1\nname: mycn\nextends: sub/mid.yaml\n")
	p, files, err := LoadWithFiles(prof)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{prof, mid, base}; !slices.Equal(files, want) {
		t.Fatalf("files = %q, want %q", files, want)
	}
	if p.Name != "mycn" {
		t.Fatalf("profile %q", p.Name)
	}
	if _, files, err := LoadWithFiles("cn"); err != nil || files != nil {
		t.Fatalf("built-in: files %q, %v", files, err)
	}
	if _, _, err := LoadWithFiles(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Fatal("missing file: no error")
	}
}
