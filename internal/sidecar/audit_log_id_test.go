package sidecar

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// audit_log_id names the log in its signed checkpoints; a log keeps one
// identity, so a data directory whose log carries another is refused.
func TestAuditLogID(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := func(id string) (*Backend, error) {
		return Open(ctx, Config{Data: dir, Profile: "cn", MetricsListen: "off", AuditLogID: id}, nil)
	}
	be, err := open("sidecar-a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := be.Gate.Check(ctx, dialgate.Dial{To: dialgate.MustParseNumber("+8613900139001"), Purpose: dialgate.PurposeService, LeadID: "crm-1"}); err != nil {
		t.Fatal(err)
	}
	if err := be.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := open("sidecar-b"); err == nil || !strings.Contains(err.Error(), "sidecar-a") {
		t.Fatalf("a log of sidecar-a opened as sidecar-b: %v", err)
	}
	be, err = open("") // keeps the log's own identity
	if err != nil {
		t.Fatal(err)
	}
	if err := be.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// A tool writing to a sidecar's log before the sidecar gave it an identity
// (`dialgate check --data`, through OpenAuditLog) must not give it a random
// one: the sidecar, started then with audit_log_id, refused the log.
func TestOpenAuditLogLeavesTheLogIDToServe(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	alog, _, err := OpenAuditLog(ctx, dir, "", "cn")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	d := dialgate.Decision{ID: "dg-tool-1", At: at, Allowed: true, PolicyVersion: "cn@test",
		Dial: dialgate.Dial{To: dialgate.MustParseNumber("+8613900139001"), Purpose: dialgate.PurposeService, At: at}}
	if err := alog.RecordDecision(ctx, d); err != nil {
		t.Fatal(err)
	}
	if err := alog.Close(); err != nil {
		t.Fatal(err)
	}
	be, err := Open(ctx, Config{Data: dir, Profile: "cn", MetricsListen: "off", AuditLogID: "sidecar-a"}, nil)
	if err != nil {
		t.Fatalf("serve with audit_log_id after a tool wrote to the log: %v", err)
	}
	if err := be.Close(ctx); err != nil {
		t.Fatal(err)
	}
}
