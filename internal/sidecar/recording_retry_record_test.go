package sidecar

import (
	"testing"
	"time"

	"github.com/dialgate/dialgate/auditlog"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// TestRegisterRecordingRetryRecordsStoredTenant: a RegisterRecording that
// repeats a registration without its tenant or decision (an admin token
// bound to no tenant may leave them out) is a retry of the recording on
// record (recording.Manager.IsRetry), and its recording.register record
// is the one an auditor reads when the first attempt's record was lost.
// It was recorded with the request's empty tenant and decision, not the
// recording's: a search of the change records by tenant or decision missed
// the registration. It carries the recording's, as the CLI's retry does.
func TestRegisterRecordingRetryRecordsStoredTenant(t *testing.T) {
	dir := t.TempDir()
	e := startFull(t, Config{TokensFile: opsToken(t)}, dir)
	ctx := bearer(t, "ops-desk-token-0123456789")
	started := timestamppb.New(time.Now().Add(-time.Hour))
	first := &pb.RegisterRecordingRequest{Id: "r-retry-rec-1", Number: "+8613900139085", StartedAt: started,
		Tenant: "acme", DecisionId: "dg-retry-rec-1"}
	if _, err := e.admin.RegisterRecording(ctx, first); err != nil {
		t.Fatal(err)
	}
	retry := &pb.RegisterRecordingRequest{Id: first.Id, Number: first.Number, StartedAt: started}
	if _, err := e.admin.RegisterRecording(ctx, retry); err != nil {
		t.Fatalf("the retry without tenant and decision: %v", err)
	}
	changes, _, _ := auditChanges(t, e, dir)
	var regs []auditlog.ChangeRecord
	for _, c := range changes {
		if c.Op == auditlog.OpRecordingRegister && c.Result == auditlog.ResultApplied {
			regs = append(regs, c)
		}
	}
	if len(regs) != 2 {
		t.Fatalf("recording.register applied records: %+v, want 2", regs)
	}
	if r := regs[1]; r.Tenant != "acme" || r.DecisionID != "dg-retry-rec-1" {
		t.Errorf("the retry recorded tenant %q, decision %q; want the recording's, acme and dg-retry-rec-1", r.Tenant, r.DecisionID)
	}
}
