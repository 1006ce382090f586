package scenario

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExpandSymlinkedDirs: a directory reached through a symbolic link is
// run as any other. Expand skipped one inside a directory without a word
// (the run said "1 file: 1 passed" for a tree of two), and found no file at
// all in a directory given as a link ("no scenario files", exit 2). Each
// directory is walked once, however many links reach it: a link back up
// the tree (top/loop) does not loop, nor run a file twice.
func TestExpandSymlinkedDirs(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{
		"shared/a.yaml": head,
		"top/b.yaml":    head,
	} {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range []struct{ target, link string }{
		{"../shared", "top/linked"},
		{"..", "top/loop"},     // back to top's parent: shared and top again
		{"shared", "rootlink"}, // a link given as the argument
	} {
		if err := os.Symlink(l.target, filepath.Join(dir, l.link)); err != nil {
			t.Skipf("symlink: %v", err)
		}
	}
	rel := func(got []string) string {
		var rs []string
		for _, g := range got {
			r, _ := filepath.Rel(dir, g)
			rs = append(rs, filepath.ToSlash(r))
		}
		return strings.Join(rs, " ")
	}
	got, err := Expand(filepath.Join(dir, "top"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "top/b.yaml top/linked/a.yaml"; rel(got) != want {
		t.Errorf("Expand(top) = %q, want %q", rel(got), want)
	}
	got, err = Expand(filepath.Join(dir, "rootlink"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "rootlink/a.yaml"; rel(got) != want {
		t.Errorf("Expand(rootlink) = %q, want %q", rel(got), want)
	}
}

// TestExpandSkipsProfileWithBOM: a profile file kept beside the scenarios
// is skipped also when an editor saved it with a byte order mark before
// its schema: line; it was taken for a scenario and made the run invalid
// (exit 2).
func TestExpandSkipsProfileWithBOM(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.yaml"), []byte(head), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "prof.yaml"), []byte("\ufeffschema: dialgate.profile.v1\nname: p\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Expand(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || filepath.Base(got[0]) != "a.yaml" {
		t.Errorf("Expand = %q, want only a.yaml", got)
	}
}
