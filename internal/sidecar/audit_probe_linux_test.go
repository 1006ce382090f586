//go:build linux

package sidecar

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/dialgate/dialgate"
)

// breakAuditFile points the process's open descriptor of the audit log file
// under dir at /dev/full: every later write of the log fails with ENOSPC, as
// on a full disk.
func breakAuditFile(t *testing.T, dir string) {
	t.Helper()
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	defer full.Close()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	for _, e := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err != nil || !strings.HasPrefix(target, dir+"/") || !strings.HasSuffix(target, ".jsonl") {
			continue
		}
		var fd int
		for _, c := range e.Name() {
			fd = fd*10 + int(c-'0')
		}
		if err := syscall.Dup3(int(full.Fd()), fd, 0); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("no open audit log file under %s", dir)
}

// TestAuditProbeReportsAFailedLog: once the audit log cannot write (a full
// disk, an I/O error) every dial is denied with audit.unavailable until the
// sidecar is restarted. The "audit" component must then report NOT_SERVING,
// so load balancers move dialers to a healthy sidecar and operators are
// alerted; it used to look only at whether the log's directory exists.
func TestAuditProbeReportsAFailedLog(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	be, err := Open(ctx, Config{Data: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close(ctx)
	probe := func() error {
		for _, p := range be.Probes {
			if p.Name == "audit" {
				return p.Check(ctx)
			}
		}
		t.Fatal("no audit probe")
		return nil
	}
	if err := probe(); err != nil {
		t.Fatalf("healthy log: %v", err)
	}
	breakAuditFile(t, filepath.Join(dir, AuditDir))
	d := dialgate.Dial{To: dialgate.MustParseNumber("+8613900139000"), Purpose: dialgate.PurposeService, LeadID: "crm-1"}
	dec, err := be.Gate.Check(ctx, d)
	if err == nil || dec.Allowed {
		t.Fatalf("a decision was recorded on a full disk: %+v %v", dec, err)
	}
	if err := probe(); err == nil {
		t.Fatal("audit probe reports a healthy component while every decision fails with audit.unavailable")
	}
}
