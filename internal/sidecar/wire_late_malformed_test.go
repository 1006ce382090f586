package sidecar

import (
	"strings"
	"testing"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/emptypb"
)

// TestMalformedLateOutcomeCountsItsCall: an outcome refused as malformed
// (a ring of two days; a disposition that is not UTF-8) of a decision
// released before it still reports a placed call, and when it carries a
// well-formed dial that call is counted again, as the Gate's ReportOutcome
// counts a malformed outcome's call: the callee's next dial over its cap
// is denied. The sidecar marked the decision placed without the dial, so
// the recount failed (the dial was needed), and the call went uncounted —
// the callee's next dial allowed over a cap of one a day — until the
// dialer sent the outcome again corrected, which one whose dialer cannot
// correct it never does. A dial that did not come through intact (a
// string repaired, a 32-bit field sent a wider varint) is not used: the
// call is then counted by the corrected retry, once.
func TestMalformedLateOutcomeCountsItsCall(t *testing.T) {
	ctx := ctxT(t)
	e := startOneCap(t)
	for i, c := range []struct {
		name    string
		field   string
		req     func(id string, d *pb.Dial) []byte
		counted bool // by the malformed outcome itself
	}{
		{"ring of two days", "ring_duration", func(id string, d *pb.Dial) []byte {
			b, _ := rawCodec{}.Marshal(&pb.ReportOutcomeRequest{DecisionId: id, Answered: true, RingDuration: durationpb.New(48 * 3600e9), Dial: d})
			return b
		}, true},
		{"disposition not UTF-8", "disposition", func(id string, d *pb.Dial) []byte {
			return withBadUTF8(t, &pb.ReportOutcomeRequest{DecisionId: id, Answered: true, Disposition: "@@@@", Dial: d})
		}, true},
		{"dial.lead_id not UTF-8", "dial.lead_id", func(id string, d *pb.Dial) []byte {
			d.LeadId = "@@@@"
			return withBadUTF8(t, &pb.ReportOutcomeRequest{DecisionId: id, Answered: true, Dial: d})
		}, false},
		// Protobuf would read the purpose as its low 32 bits (2, service):
		// not the purpose the dialer sent, so not a dial to count with.
		{"dial.purpose does not fit", "dial.purpose", func(id string, d *pb.Dial) []byte {
			d.Purpose = pb.Purpose_PURPOSE_UNSPECIFIED
			return inField(t, &pb.ReportOutcomeRequest{DecisionId: id, Answered: true}, 2, withVarint(t, d, 3, 1<<32+2))
		}, false},
		// The same, with a disposition that is not UTF-8 too: the purpose
		// is named, whatever else is wrong.
		{"dial.purpose does not fit, disposition not UTF-8", "dial.purpose", func(id string, d *pb.Dial) []byte {
			d.Purpose = pb.Purpose_PURPOSE_UNSPECIFIED
			b := withBadUTF8(t, &pb.ReportOutcomeRequest{DecisionId: id, Answered: true, Disposition: "@@@@"})
			return protowire.AppendBytes(protowire.AppendTag(b, 2, protowire.BytesType), withVarint(t, d, 3, 1<<32+2))
		}, false},
		// And with a field of the report of another wire type.
		{"dial.purpose does not fit, ring_duration mistyped", "dial.purpose", func(id string, d *pb.Dial) []byte {
			d.Purpose = pb.Purpose_PURPOSE_UNSPECIFIED
			b := withVarint(t, &pb.ReportOutcomeRequest{DecisionId: id, Answered: true}, 6, 30)
			return protowire.AppendBytes(protowire.AppendTag(b, 2, protowire.BytesType), withVarint(t, d, 3, 1<<32+2))
		}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dial := func() *pb.Dial {
				return &pb.Dial{To: []string{"+14055550171", "+14055550172", "+14055550173", "+14055550174", "+14055550175", "+14055550176"}[i], Purpose: pb.Purpose_PURPOSE_SERVICE, Tenant: "acme", LeadId: "crm-1"}
			}
			allowed := func() bool {
				t.Helper()
				resp, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: dial()})
				if err != nil {
					t.Fatal(err)
				}
				if resp.GetDecision().GetAllowed() {
					// Not placed: given back, so that the next look sees the count as it was.
					if _, err := e.gate.Release(ctx, &pb.ReleaseRequest{DecisionId: resp.GetDecision().GetId()}); err != nil {
						t.Fatal(err)
					}
				}
				return resp.GetDecision().GetAllowed()
			}
			resp, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: dial()})
			if err != nil || !resp.GetDecision().GetAllowed() {
				t.Fatalf("check: %v %v", resp, err)
			}
			id := resp.GetDecision().GetId()
			if _, err := e.gate.Release(ctx, &pb.ReleaseRequest{DecisionId: id}); err != nil {
				t.Fatalf("release: %v", err)
			}
			// The dialer placed the call after all, and reports it malformed.
			err = e.conn.Invoke(ctx, "/dialgate.v1.GateService/ReportOutcome", c.req(id, dial()), &emptypb.Empty{}, grpc.ForceCodec(rawCodec{}))
			if st := status.Convert(err); st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), c.field+": ") {
				t.Fatalf("outcome: %v %q, want InvalidArgument naming %s", st.Code(), st.Message(), c.field)
			}
			if got := allowed(); got == c.counted {
				t.Fatalf("next dial of the callee after the malformed outcome: allowed %v, want %v (its call counted: %v)", got, !c.counted, c.counted)
			}
			// The corrected outcome counts the call, once.
			if _, err := e.gate.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: id, Answered: true, Dial: dial()}); err != nil {
				t.Fatalf("corrected outcome: %v", err)
			}
			if allowed() {
				t.Fatal("next dial of the callee after the corrected outcome: allowed over its cap")
			}
		})
	}
}
