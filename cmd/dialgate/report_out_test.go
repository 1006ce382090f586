package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteReportFile: a report that fails half-way leaves no partial file
// and an earlier report untouched; one that succeeds replaces it whole.
func TestWriteReportFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "q4.json")
	if err := os.WriteFile(path, []byte("earlier report"), 0o640); err != nil {
		t.Fatal(err)
	}
	err := writeReportFile(path, func(w io.Writer) error {
		_, _ = io.WriteString(w, `{"half":`)
		return errors.New("disk full")
	})
	if err == nil {
		t.Fatal("a failed write was reported as written")
	}
	if b, _ := os.ReadFile(path); string(b) != "earlier report" {
		t.Fatalf("the earlier report became %q", b)
	}
	if err := writeReportFile(path, func(w io.Writer) error {
		_, err := io.WriteString(w, "new report")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new report" {
		t.Fatalf("report %q", b)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v, %v", fi.Mode(), err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) != 1 {
		t.Fatalf("files left: %v %v", ents, err)
	}
	if err := writeReportFile(filepath.Join(dir, "missing", "q4.json"), func(io.Writer) error { return nil }); err == nil {
		t.Fatal("a report into a missing directory was accepted")
	}
}
