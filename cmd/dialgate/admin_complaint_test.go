package main

import (
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/internal/sidecar"
	"github.com/dialgate/dialgate/report"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestAdminComplaintSteps: a complaint filed through a running sidecar is
// forwarded, resolved and answered with dialgate admin complaint
// forward|resolve|answer, at the sidecar's clock; refusals exit 1 (an
// unknown id, a step out of order, a token without the admin scope) or 2
// (bad input); once the sidecar is stopped, audit verify accepts its log
// with the steps' change records, complaint list shows the complaint
// answered and the quarterly report counts it and the steps.
func TestAdminComplaintSteps(t *testing.T) {
	s := startAdminSidecar(t, sidecar.Config{})
	const num, id = "+8613900139621", "cp-cli-1"
	if code, out, errs := s.admin(t, "complaint", "add", "--number", num, "--id", id, "--tenant", "acme"); code != 0 {
		t.Fatalf("complaint add: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	before := time.Now()
	for _, c := range []struct {
		args []string
		want adminResult
	}{
		{[]string{"complaint", "forward", id}, adminResult{RPC: "ForwardComplaint", ID: id, Step: "forward"}},
		{[]string{"complaint", "resolve", id, "--resolution", "agent retrained"}, adminResult{RPC: "ResolveComplaint", ID: id, Step: "resolve", Resolution: "agent retrained"}},
	} {
		code, out, errs := s.admin(t, append(c.args, "--json")...)
		var got adminResult
		if code != 0 || json.Unmarshal([]byte(out), &got) != nil {
			t.Fatalf("admin %v: exit %d, stdout %q, stderr %q", c.args, code, out, errs)
		}
		if got.At.Before(before.Add(-time.Second)) || got.At.After(time.Now()) {
			t.Errorf("admin %v: at %s, want the sidecar's clock", c.args, got.At)
		}
		got.At = time.Time{}
		if got != c.want {
			t.Errorf("admin %v: %+v, want %+v", c.args, got, c.want)
		}
	}
	code, out, errs := s.admin(t, "complaint", "answer", id)
	if code != 0 || !strings.Contains(out, "complaint "+id+": answer at ") || !strings.Contains(out, "on the sidecar at "+s.addr) {
		t.Fatalf("complaint answer: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	// Refusals.
	if code, out, errs := s.admin(t, "complaint", "add", "--number", num, "--id", "cp-cli-2"); code != 0 {
		t.Fatalf("complaint add: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"complaint", "answer", "cp-cli-2"}, 1, "FailedPrecondition"},
		{[]string{"complaint", "forward", id}, 1, "FailedPrecondition"},
		{[]string{"complaint", "resolve", id, "--resolution", "something else"}, 1, "FailedPrecondition"},
		{[]string{"complaint", "forward", "cp-unknown"}, 1, "NotFound"},
		{[]string{"complaint", "resolve", "cp-cli-2"}, 2, "dialgate: --resolution: missing"},
		{[]string{"complaint", "resolve", "cp-cli-2", "--resolution", strings.Repeat("x", 4097)}, 2, "dialgate: --resolution: "},
		{[]string{"complaint", "forward", "cp\x01"}, 2, "dialgate: ID: "},
		{[]string{"complaint", "forward"}, 2, ""},
		{[]string{"complaint", "forward", "cp-cli-2", "--at", "2026-01-01T00:00:00Z"}, 2, "unknown flag: --at"},
	} {
		code, out, errs := s.admin(t, c.args...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("admin %v: exit %d, stdout %q, stderr %q; want exit %d and %q", c.args, code, out, errs, c.code, c.want)
		}
	}
	code, out, errs = runCLI(t, "", "admin", "--addr", s.addr, "--token-file", s.gateFile, "complaint", "forward", "cp-cli-2")
	if code != 1 || !strings.Contains(errs, `lacks the "admin" scope`) {
		t.Errorf("a gate token: exit %d, stdout %q, stderr %q; want exit 1, permission denied", code, out, errs)
	}

	s.stop()
	data := []string{"--data", s.data}
	code, out, errs = runCLI(t, "", "audit", "verify", filepath.Join(s.data, sidecar.AuditDir),
		"--key", filepath.Join(s.data, sidecar.KeysDir, sidecar.SignerPubFile), "--json")
	var vr verifyResult
	// Two filings and three steps.
	if code != 0 || json.Unmarshal([]byte(out), &vr) != nil || !vr.OK || vr.Changes != 5 {
		t.Fatalf("audit verify: exit %d, stdout %q, stderr %q; want OK with 5 changes", code, out, errs)
	}
	code, out, errs = runCLI(t, "", append(data, "complaint", "list", "--status", "answered")...)
	if code != 0 || !strings.Contains(out, id) || strings.Contains(out, "cp-cli-2") {
		t.Errorf("complaint list --status answered: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	// The report is made as of now to the second: wait for the second
	// after the steps.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	now := time.Now().In(time.UTC)
	q := fmt.Sprintf("%dQ%d", now.Year(), (int(now.Month())-1)/3+1)
	code, out, errs = runCLI(t, "", append(data, "report", "quarterly", "--quarter", q, "--zone", "UTC")...)
	var r report.Report
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil {
		t.Fatalf("report quarterly: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	status := map[string]int{}
	for _, c := range r.Complaints.ByStatus {
		status[c.Key] = c.Count
	}
	ops := map[string]int{}
	for _, c := range r.Changes.ByOp {
		ops[c.Key] = c.Count
	}
	if r.Complaints.Received != 2 || status["answered"] != 1 || status["open"] != 1 ||
		ops["complaint.forward"] != 1 || ops["complaint.resolve"] != 1 || ops["complaint.answer"] != 1 {
		t.Errorf("report: complaints %+v, admin changes by op %+v", r.Complaints, r.Changes.ByOp)
	}
}

// TestAdminComplaintList: dialgate admin complaint list reads the running
// sidecar's complaints with their missed deadlines (--status, --tenant,
// --overdue; --json with the keys of complaint list --json), without the
// number, its hash or the free texts; a gate token exits 1.
func TestAdminComplaintList(t *testing.T) {
	s := startAdminSidecar(t, sidecar.Config{})
	for _, c := range [][]string{
		{"complaint", "add", "--number", "+8613900139622", "--id", "cp-list-1", "--tenant", "acme", "--details", "rang at night"},
		{"complaint", "add", "--number", "+8613900139623", "--id", "cp-list-2", "--tenant", "globex"},
		{"complaint", "resolve", "cp-list-2", "--resolution", "apologised"},
	} {
		if code, out, errs := s.admin(t, c...); code != 0 {
			t.Fatalf("admin %v: exit %d, stdout %q, stderr %q", c, code, out, errs)
		}
	}
	code, out, errs := s.admin(t, "complaint", "list")
	if code != 0 || !strings.Contains(out, "ID") || !strings.Contains(out, "OVERDUE") ||
		!strings.Contains(out, "cp-list-1") || !strings.Contains(out, "cp-list-2") || !strings.Contains(out, "handled") {
		t.Fatalf("complaint list: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, errs = s.admin(t, "complaint", "list", "--json")
	var got []adminComplaint
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || len(got) != 2 || got[0].ID != "cp-list-1" || got[0].Status != "open" ||
		got[0].Tenant != "acme" || got[0].ForwardBy.IsZero() || got[1].Status != "handled" || got[1].HandledAt.IsZero() {
		t.Fatalf("complaint list --json: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	for _, bad := range []string{"13900139622", "rang at night", "apologised", "callee"} {
		if strings.Contains(out, bad) {
			t.Errorf("complaint list --json prints %q: %s", bad, out)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--status", "handled"}, "cp-list-2"},
		{[]string{"--tenant", "acme"}, "cp-list-1"},
		{[]string{"--overdue"}, ""}, // filed now: nothing overdue yet
	} {
		code, out, errs := s.admin(t, append([]string{"complaint", "list", "--json"}, c.args...)...)
		var got []adminComplaint
		if code != 0 || json.Unmarshal([]byte(out), &got) != nil {
			t.Fatalf("complaint list %v: exit %d, stdout %q, stderr %q", c.args, code, out, errs)
		}
		var ids []string
		for _, g := range got {
			ids = append(ids, g.ID)
		}
		if strings.Join(ids, " ") != c.want {
			t.Errorf("complaint list %v: %v, want %q", c.args, ids, c.want)
		}
	}
	if code, _, errs := s.admin(t, "complaint", "list", "--status", "closed"); code != 2 || !strings.Contains(errs, "dialgate: --status: ") {
		t.Errorf("--status closed: exit %d, stderr %q; want exit 2 naming --status", code, errs)
	}
	code, _, errs = runCLI(t, "", "admin", "--addr", s.addr, "--token-file", s.gateFile, "complaint", "list")
	if code != 1 || !strings.Contains(errs, `lacks the "admin" scope`) {
		t.Errorf("a gate token: exit %d, stderr %q; want exit 1, permission denied", code, errs)
	}
}

// TestAdminReadErrors: admin complaint list is a read: its failures say
// nothing was read and never speak of a change "applied" or "not applied"
// (there is none), and a tenant-bound token's refusal says to give
// --tenant rather than that the token "writes" only for its tenants.
func TestAdminReadErrors(t *testing.T) {
	c := &adminConn{where: "the sidecar at 127.0.0.1:7443", timeout: 5 * time.Second}
	for _, err := range []error{
		status.Error(codes.Unavailable, "ListComplaints: not read; retry (the cause is in the server's log)"),
		status.Error(codes.Unavailable, "connection error: desc = \"transport: error while dialing: dial tcp 127.0.0.1:7443: connect: connection refused\""),
		status.Error(codes.Unavailable, "connection error: desc = \"error reading server preface: EOF\""),
		status.Error(codes.DeadlineExceeded, "context deadline exceeded"),
		status.Error(codes.Canceled, "context canceled"),
		status.Error(codes.FailedPrecondition, "something the store refused"),
		status.Error(codes.PermissionDenied, "tenant: token \"acme-ops\" is bound to tenants and may list only their complaints: name one of them in tenant (\"\" is not)"),
	} {
		msg := c.readErr(err, nil).Error()
		for _, bad := range []string{"applied", "change", "idempotent", "writes only"} {
			if strings.Contains(msg, bad) {
				t.Errorf("read error for %v: %q speaks of %q", err, msg, bad)
			}
		}
	}
	if msg := c.readErr(status.Error(codes.PermissionDenied, "tenant: token \"acme-ops\" is bound to tenants and may list only their complaints: name one of them in tenant (\"\" is not)"), nil).Error(); !strings.Contains(msg, "--tenant") {
		t.Errorf("a bound token's refusal of a list: %q; want the fix (--tenant)", msg)
	}
	// End to end: nothing listens at the address.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := startAdminSidecar(t, sidecar.Config{})
	code, _, errs := runCLI(t, "", "admin", "--addr", addr, "--token-file", s.adminFile, "--timeout", "2s", "complaint", "list")
	if code != 1 || strings.Contains(errs, "applied") || !strings.Contains(errs, "nothing was read") {
		t.Errorf("list from an address where nothing listens: exit %d, stderr %q; want exit 1, nothing was read", code, errs)
	}
}
