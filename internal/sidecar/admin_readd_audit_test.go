package sidecar

import (
	"testing"
	"time"

	"github.com/dialgate/dialgate/auditlog"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// TestReAddRecordsEachRefusal: an opt-out added again for a (number, scope)
// already listed keeps the first entry's list and source, dated by the
// later refusal (dnc.Merge); the later refusal's own evidence — who
// refused, through what, and when — is its own dnc.add change record, so
// an auditor can show both refusals. A denial's evidence names the entry's
// (first) source and its (latest) added_at.
func TestReAddRecordsEachRefusal(t *testing.T) {
	dir := t.TempDir()
	e := startFull(t, Config{TokensFile: opsToken(t)}, dir)
	ctx := bearer(t, "ops-desk-token-0123456789")
	const num = "+8613900139081"
	now := time.Now().UTC().Truncate(time.Second)
	first, second := now.AddDate(-2, 0, 0), now.Add(-time.Hour)
	for _, r := range []struct {
		source string
		at     time.Time
	}{{"crm-export", first}, {"agent-desk", second}, {"agent-desk", second}} { // the last: a retry
		if _, err := e.admin.AddDncEntry(ctx, &pb.AddDncEntryRequest{Number: num, Scope: "global", Source: r.source, AddedAt: timestamppb.New(r.at)}); err != nil {
			t.Fatalf("AddDncEntry %s: %v", r.source, err)
		}
	}
	res, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: okDial(num)})
	if err != nil {
		t.Fatal(err)
	}
	ev := map[string]string{}
	for _, r := range res.GetDecision().GetReasons() {
		for _, x := range r.GetEvidence() {
			ev[x.GetKey()] = x.GetValue()
		}
	}
	if res.GetDecision().GetAllowed() || ev["dnc.source"] != "crm-export" || ev["dnc.added_at"] != second.Format(time.RFC3339) {
		t.Fatalf("decision after a re-add: allowed %v, evidence %v; want denied, source crm-export (the first entry's), added_at %s (the later refusal's)",
			res.GetDecision().GetAllowed(), ev, second.Format(time.RFC3339))
	}
	changes, _, _ := auditChanges(t, e, dir)
	var adds []auditlog.ChangeRecord
	for _, c := range changes {
		if c.Op == auditlog.OpDNCAdd {
			adds = append(adds, c)
		}
	}
	if len(adds) != 3 || adds[0].Source != "crm-export" || !adds[0].EffectiveAt.Equal(first) ||
		adds[1].Source != "agent-desk" || !adds[1].EffectiveAt.Equal(second) || adds[1].Actor == "" ||
		adds[1].Callee == nil || adds[0].Callee == nil || adds[1].Callee.HMAC != adds[0].Callee.HMAC {
		t.Fatalf("dnc.add records: %+v; want one per request, the later refusal's with its own source, effective_at, actor and the callee's hash", adds)
	}
}
