//go:build unix

package auditlog

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A FIFO at the name Repair saves a torn tail under (<file>.torn-<offset>,
// which it reads first so as never to overwrite an earlier repair's bytes)
// made Repair — and so `dialgate serve` at start, which repairs a log a
// crash left torn — block for ever in open(2). It is refused as not a
// regular file, as the log's own files are.
func TestRepairFIFOAtSavedName(t *testing.T) {
	k := newTestKeys(t, "test-log")
	dir := t.TempDir()
	opts := testOptions(k)
	files := writeLog(t, dir, opts, 5)
	appendToFile(t, files[0], []byte(`{"schema":"dialgate.audit.v1","seq":6,"prev":"crash`))
	_, err := Open(context.Background(), dir, opts)
	var torn *TornError
	if !errors.As(err, &torn) {
		t.Fatalf("Open: %v, want *TornError", err)
	}
	saved := filepath.Join(dir, filepath.Base(files[0])+".torn-"+strconv.FormatInt(torn.Offset, 10))
	if err := syscall.Mkfifo(saved, 0o600); err != nil {
		t.Skip(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := Repair(context.Background(), dir, opts)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("Repair with a FIFO at the saved name: %v, want an error saying it is not a regular file", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Repair blocked on a FIFO at the saved name")
	}
}
