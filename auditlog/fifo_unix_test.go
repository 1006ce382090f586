//go:build unix

package auditlog

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A FIFO in the log directory under a log file's name (or given to
// Verify as a file) made `dialgate audit verify` and Open block for ever
// in open(2), waiting for a writer: an auditor's run hung instead of
// saying the log is not what it should be. Each now answers at once that
// the file is not a regular file.
func TestFIFOInLogDirectory(t *testing.T) {
	k := newTestKeys(t, "test-log")
	dir := t.TempDir()
	opts := testOptions(k)
	files := writeLog(t, dir, opts, 10)
	fifo := filepath.Join(dir, fileName(len(files)+1))
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	within := func(what string, f func() error) {
		t.Helper()
		done := make(chan error, 1)
		go func() { done <- f() }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("%s with a FIFO: %v, want an error saying it is not a regular file", what, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s with a FIFO blocked", what)
		}
	}
	within("Verify", func() error {
		all, err := LogFiles(dir)
		if err != nil {
			return err
		}
		_, err = Verify(ctx, all, VerifyOptions{Verifiers: k.verifiers})
		return err
	})
	within("Open", func() error {
		l, err := Open(ctx, dir, opts)
		if err == nil {
			l.Close()
		}
		return err
	})
}
