package sidecar

import (
	"strings"
	"testing"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// TestUndecodableOutcomeMarksPlaced: an outcome the server cannot take as
// sent — a disposition that is not UTF-8 (a dialer's Latin-1 text), a
// field sent with another wire type — is InvalidArgument naming the field
// and, like every other malformed outcome with a well-formed decision_id,
// still marks its decision placed: a Release of it afterwards is
// FailedPrecondition and the call keeps counting. The codec's refusal came
// before the handler, which marks, so the Release gave back the capacity of
// a placed call and the callee's next dial was allowed over its cap.
func TestUndecodableOutcomeMarksPlaced(t *testing.T) {
	ctx := ctxT(t)
	e := startOneCap(t)
	for i, c := range []struct {
		field string
		req   func(id string) []byte
	}{
		{"disposition", func(id string) []byte {
			return withBadUTF8(t, &pb.ReportOutcomeRequest{DecisionId: id, Answered: true, Disposition: "@@@@"})
		}},
		{"ring_duration", func(id string) []byte {
			return withVarint(t, &pb.ReportOutcomeRequest{DecisionId: id, Answered: true}, 6, 30)
		}},
	} {
		t.Run(c.field, func(t *testing.T) {
			d := &pb.Dial{To: []string{"+14055550161", "+14055550162"}[i], Purpose: pb.Purpose_PURPOSE_SERVICE, Tenant: "acme", LeadId: "crm-1"}
			resp, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: d})
			if err != nil || !resp.GetDecision().GetAllowed() {
				t.Fatalf("check: %v %v", resp, err)
			}
			id := resp.GetDecision().GetId()
			err = e.conn.Invoke(ctx, "/dialgate.v1.GateService/ReportOutcome", c.req(id), &emptypb.Empty{}, grpc.ForceCodec(rawCodec{}))
			if st := status.Convert(err); st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), c.field+": ") {
				t.Fatalf("outcome: %v %q, want InvalidArgument naming %s", st.Code(), st.Message(), c.field)
			}
			if _, err := e.gate.Release(ctx, &pb.ReleaseRequest{DecisionId: id}); status.Code(err) != codes.FailedPrecondition {
				t.Fatalf("release after the outcome: %v, want FailedPrecondition (the call was placed)", err)
			}
			if resp, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: d}); err != nil || resp.GetDecision().GetAllowed() {
				t.Fatalf("next dial of the callee: %v %v, want capped", resp, err)
			}
		})
	}
}
