package sidecar

import (
	"context"
	"strings"
	"testing"

	"github.com/dialgate/dialgate"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
)

// TestDecisionNotUTF8IsAnswered: a check whose reason or evidence holds
// bytes that are not UTF-8 (a custom check quoting a CRM's Latin-1 text)
// gets its decision answered, each bad byte as U+FFFD (as the audit log's
// JSON writes it), on Check and on a CheckStream, which goes on. A proto
// string must be UTF-8: gRPC failed to marshal the answer, Check was
// Internal and the CheckStream ended Internal, every request in flight on
// it unanswered, at each dial of the callee.
func TestDecisionNotUTF8IsAnswered(t *testing.T) {
	e := startTest(t, Config{StreamWorkers: 2}, func(be *Backend) {
		g, err := dialgate.New([]dialgate.Checker{dialgate.CheckerFunc("crm", func(_ context.Context, d dialgate.Dial) ([]dialgate.Reason, error) {
			if d.To.String() != "+8613900139091" {
				return nil, nil
			}
			return []dialgate.Reason{{Code: "crm.blocked", Message: "blocked by Jos\xe9",
				Evidence: []dialgate.Evidence{{Key: "crm.agent", Value: "Jos\xe9 \xe9\xe9"}}}}, nil
		})}, dialgate.WithoutAuditLog())
		if err != nil {
			t.Fatal(err)
		}
		be.Gate = g
	})
	ctx := ctxT(t)
	check := func(dec *pb.Decision) {
		t.Helper()
		r := dec.GetReasons()
		if dec.GetAllowed() || len(r) != 1 || r[0].GetMessage() != "blocked by Jos\uFFFD" || r[0].GetEvidence()[0].GetValue() != "Jos\uFFFD \uFFFD\uFFFD" {
			t.Fatalf("decision %v, want the deny with each bad byte as U+FFFD", dec)
		}
	}
	resp, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: okDial("+8613900139091")})
	if err != nil {
		t.Fatalf("Check: %v, want the deny answered", err)
	}
	check(resp.GetDecision())
	st, err := e.gate.CheckStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*pb.CheckStreamRequest{{RequestId: "bad", Dial: okDial("+8613900139091")}, {RequestId: "ok", Dial: okDial("+8613900139092")}} {
		if err := st.Send(r); err != nil {
			t.Fatal(err)
		}
		got, err := st.Recv()
		if err != nil {
			t.Fatalf("request %s: the stream ended: %v", r.GetRequestId(), err)
		}
		if r.GetRequestId() == "bad" {
			check(got.GetDecision())
		} else if !got.GetDecision().GetAllowed() || !strings.HasPrefix(got.GetDecision().GetId(), "dg-") {
			t.Fatalf("request ok: %v, want allowed", got)
		}
	}
}
