//go:build unix

package regfile_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/dialgate/dialgate/internal/regfile"
)

func TestOpenRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	// Each of these would block (the FIFO) or never end (/dev/zero) if
	// opened and read as a file.
	for _, name := range []string{fifo, dir, "/dev/zero"} {
		if _, err := regfile.ReadFile(name, 0); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("ReadFile(%s): %v, want not a regular file", name, err)
		}
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(fifo, link); err != nil {
		t.Fatal(err)
	}
	if _, err := regfile.Open(link); err == nil {
		t.Errorf("Open of a link to a FIFO succeeded")
	}
}

func TestReadFileLimit(t *testing.T) {
	name := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(name, []byte("12345"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := regfile.ReadFile(name, 5); err != nil || string(b) != "12345" {
		t.Errorf("ReadFile at its limit: %q, %v", b, err)
	}
	if _, err := regfile.ReadFile(name, 4); err == nil || !strings.Contains(err.Error(), "longer than 4 bytes") {
		t.Errorf("ReadFile over its limit: %v", err)
	}
	if b, err := regfile.ReadFile(name, 0); err != nil || string(b) != "12345" {
		t.Errorf("ReadFile without a limit: %q, %v", b, err)
	}
	if _, err := regfile.ReadFile(filepath.Join(t.TempDir(), "missing"), 0); !os.IsNotExist(err) {
		t.Errorf("ReadFile of a missing file: %v, want not exist", err)
	}
}
