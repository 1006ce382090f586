//go:build unix

package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dialgate/dialgate/auditlog"
)

// `dialgate audit verify` given a FIFO as its key or checkpoint file (or
// finding one as the log directory's checkpoint) blocked for ever in
// open(2): an auditor's run hung instead of being told the file is not one.
func TestAuditVerifyFIFOArguments(t *testing.T) {
	dir, prefix := writeAuditLog(t, 3, auditlog.Options{})
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	for _, args := range [][]string{
		{"audit", "verify", dir, "--key", fifo},
		{"audit", "verify", dir, "--key", prefix + ".pub", "--checkpoint", fifo},
	} {
		done := make(chan string, 1)
		go func() {
			code, out, errs := runCLI(t, "", args...)
			if code == 0 || !strings.Contains(errs, "not a regular file") {
				done <- fmt.Sprintf("%s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
				return
			}
			done <- ""
		}()
		select {
		case msg := <-done:
			if msg != "" {
				t.Errorf("%s, want an error saying the FIFO is not a regular file", msg)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%v blocked on a FIFO", args)
		}
	}
}
