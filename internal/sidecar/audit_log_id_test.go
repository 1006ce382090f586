package sidecar

import (
	"context"
	"strings"
	"testing"

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
