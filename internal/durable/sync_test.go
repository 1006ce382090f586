package durable

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSyncData(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("record\n"); err != nil {
		t.Fatal(err)
	}
	if err := SyncData(f); err != nil {
		t.Fatalf("sync of an open file: %v", err)
	}
	f.Close()
	// A closed file fails with an error naming the operation's failure, not
	// a silent success.
	if err := SyncData(f); err == nil || !errors.Is(err, os.ErrClosed) && !errors.As(err, new(*os.PathError)) {
		t.Fatalf("sync of a closed file: %v", err)
	}
}
