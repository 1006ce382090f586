package sidecar

import (
	"io"
	"strings"
	"testing"
	"time"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// withVarint marshals m and appends field num as a varint v: a field the
// server knows by another type (a client built from another .proto, one
// that sends a Unix time as an integer), or one it does not know at all.
// path names the enclosing fields of m's message to put it in (none: m).
func withVarint(t testing.TB, m proto.Message, num protowire.Number, v uint64) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return protowire.AppendVarint(protowire.AppendTag(b, num, protowire.VarintType), v)
}

// inField wraps the message bytes inner as field num of an enclosing message
// whose other fields are outer.
func inField(t testing.TB, outer proto.Message, num protowire.Number, inner []byte) []byte {
	t.Helper()
	b, err := proto.Marshal(outer)
	if err != nil {
		t.Fatal(err)
	}
	return protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), inner)
}

// TestWrongWireTypeIsInvalidArgument: a field the server knows, sent with
// another wire type than its own (expires_at as an integer of Unix
// seconds, callee_zone as a number), is InvalidArgument naming the field,
// on every service and on a CheckStream (whose stream goes on). Protobuf
// keeps such a field as an unknown one, and the server acted on the request
// without it: a consent granted with expires_at so sent never lapsed, a
// dial's callee_zone so sent was not applied (the number's zones alone).
// A field number the server does not know at all is still ignored (a newer
// client's field).
func TestWrongWireTypeIsInvalidArgument(t *testing.T) {
	e := startFull(t, Config{StreamWorkers: 2}, t.TempDir())
	ctx := ctxT(t)
	past := timestamppb.New(time.Now().Add(-time.Hour))
	lapse := uint64(time.Now().Add(24 * time.Hour).Unix())
	grant := &pb.GrantConsentRequest{Id: "c-wt", Number: "+8613900139071", Scope: "industry:finance",
		Method: pb.ConsentMethod_CONSENT_METHOD_WRITTEN, GrantedAt: past, EvidenceUri: "s3://c/wt.pdf"}
	dialBytes := func(num protowire.Number) []byte {
		return withVarint(t, okDial("+8613900139072"), num, 1)
	}
	cases := []struct {
		method, field string
		req           []byte
	}{
		{"/dialgate.v1.AdminService/GrantConsent", "expires_at", withVarint(t, grant, 6, lapse)},
		{"/dialgate.v1.GateService/Check", "dial.callee_zone", inField(t, &pb.CheckRequest{}, 1, dialBytes(13))},
		{"/dialgate.v1.GateService/Check", "dial.trigger_at", inField(t, &pb.CheckRequest{}, 1, dialBytes(11))},
		{"/dialgate.v1.GateService/Check", "dial", withVarint(t, &pb.CheckRequest{}, 1, 1)},
		{"/dialgate.v1.GateService/ReportOutcome", "ring_duration", withVarint(t, &pb.ReportOutcomeRequest{DecisionId: "d-wt"}, 6, 30)},
		{"/dialgate.v1.AdminService/AddDncEntry", "scope", withVarint(t, &pb.AddDncEntryRequest{Number: "+8613900139073"}, 2, 1)},
		{"/dialgate.v1.AdminService/RegisterRecording", "ended_at", withVarint(t, &pb.RegisterRecordingRequest{Id: "r-wt", Number: "+8613900139074", StartedAt: past}, 7, lapse)},
	}
	for _, c := range cases {
		t.Run(c.method+"/"+c.field, func(t *testing.T) {
			err := e.conn.Invoke(ctx, c.method, c.req, &emptypb.Empty{}, grpc.ForceCodec(rawCodec{}))
			st := status.Convert(err)
			if st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), c.field+": ") || !strings.Contains(st.Message(), "wire type") {
				t.Fatalf("got %v %q, want InvalidArgument naming %s and its wire type", st.Code(), st.Message(), c.field)
			}
		})
	}
	// Nothing was stored: the consent does not exist.
	if _, err := e.admin.RevokeConsent(ctx, &pb.RevokeConsentRequest{Id: "c-wt"}); status.Code(err) != codes.NotFound {
		t.Errorf("revoking the consent refused above: %v, want NotFound (it must not have been granted)", err)
	}
	// A field number the server does not know is a newer client's field:
	// ignored, as protobuf does.
	err := e.conn.Invoke(ctx, "/dialgate.v1.GateService/Check", inField(t, &pb.CheckRequest{}, 1, dialBytes(99)), &pb.CheckResponse{}, grpc.ForceCodec(rawCodec{}))
	if err != nil {
		t.Fatalf("a dial with an unknown field number: %v, want it decided", err)
	}

	// On a CheckStream the request gets an error response naming the field
	// and request_id is echoed; the stream goes on.
	desc := &grpc.StreamDesc{StreamName: "CheckStream", ServerStreams: true, ClientStreams: true}
	st, err := e.conn.NewStream(ctx, desc, "/dialgate.v1.GateService/CheckStream", grpc.ForceCodec(rawCodec{}))
	if err != nil {
		t.Fatal(err)
	}
	bad := inField(t, &pb.CheckStreamRequest{RequestId: "r-1"}, 2, dialBytes(13))
	if err := st.SendMsg(bad); err != nil {
		t.Fatal(err)
	}
	var resp pb.CheckStreamResponse
	if err := st.RecvMsg(&resp); err != nil {
		t.Fatal(err)
	}
	if se := resp.GetError(); resp.GetRequestId() != "r-1" || se == nil || codes.Code(se.GetCode()) != codes.InvalidArgument || !strings.HasPrefix(se.GetMessage(), "dial.callee_zone: ") {
		t.Fatalf("stream response %v, want request r-1 answered InvalidArgument naming dial.callee_zone", &resp)
	}
	if err := st.SendMsg(&pb.CheckStreamRequest{RequestId: "r-2", Dial: okDial("+8613900139075")}); err != nil {
		t.Fatal(err)
	}
	resp.Reset()
	if err := st.RecvMsg(&resp); err != nil || resp.GetRequestId() != "r-2" || resp.GetDecision() == nil {
		t.Fatalf("after the bad request: %v %v, want r-2 decided", &resp, err)
	}
	st.CloseSend()
	if err := st.RecvMsg(&resp); err != io.EOF {
		t.Errorf("stream end: %v, want EOF", err)
	}
}

// BenchmarkMistyped is the codec's look for mistyped fields on a Check
// request as dialers send it (none): it runs on every request decoded.
func BenchmarkMistyped(b *testing.B) {
	d := okDial("+8613900139072")
	d.TriggerAt = timestamppb.Now()
	m := (&pb.CheckRequest{Dial: d}).ProtoReflect()
	b.ReportAllocs()
	for b.Loop() {
		if mistyped(m, "") != "" {
			b.Fatal("mistyped")
		}
	}
}

// TestOutcomeRingDurationBounded: a ring_duration longer than a day (no call
// rings that long: a unit mistake, milliseconds sent as seconds) is
// InvalidArgument naming ring_duration, as the scenario format refuses
// ring_seconds over a day. One of 10,000 years, which protobuf's Duration
// allows, was taken and recorded as 292 years (time.Duration saturated).
func TestOutcomeRingDurationBounded(t *testing.T) {
	e := startTest(t, Config{}, nil)
	ctx := ctxT(t)
	for _, d := range []*durationpb.Duration{
		{Seconds: 86400, Nanos: 1},
		{Seconds: 8_000_000},
		{Seconds: 315_576_000_000}, // 10,000 years, the most a Duration holds
	} {
		_, err := e.gate.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: "d-ring", RingDuration: d})
		if st := status.Convert(err); st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), "ring_duration: ") {
			t.Errorf("ring_duration %v: %v %q, want InvalidArgument naming ring_duration", d.AsDuration(), st.Code(), st.Message())
		}
	}
	if _, err := e.gate.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: "d-ring2", RingDuration: &durationpb.Duration{Seconds: 86400}}); err != nil {
		t.Errorf("ring_duration of a day: %v, want accepted", err)
	}
}

// TestFileComplaintBlankIDNamed: a complaint_id of white space only is
// InvalidArgument naming complaint_id, the request's field. The complaint
// desk's refusal named "id" ("id: must be 1 to 256 bytes"), a field the
// request does not have, for an id of one byte.
func TestFileComplaintBlankIDNamed(t *testing.T) {
	e := startFull(t, Config{}, t.TempDir())
	ctx := ctxT(t)
	for _, id := range []string{" ", "   "} {
		_, err := e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: "+8613900139081", ComplaintId: id})
		if st := status.Convert(err); st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), "complaint_id: ") {
			t.Errorf("complaint_id %q: %v %q, want InvalidArgument naming complaint_id", id, st.Code(), st.Message())
		}
	}
}

// FuzzMistyped: mistyped never panics on a message decoded from any bytes
// (a request, and google.protobuf.Struct for lists and maps of messages),
// and names a field exactly when some message of the tree keeps an unknown
// field whose number its type has.
func FuzzMistyped(f *testing.F) {
	good, _ := proto.Marshal(&pb.CheckStreamRequest{RequestId: "r-1", Dial: okDial("+8613900139045")})
	f.Add(good)
	f.Add(inField(f, &pb.CheckStreamRequest{RequestId: "r-1"}, 2, withVarint(f, okDial("+8613900139045"), 13, 1)))
	st, _ := structpb.NewStruct(map[string]any{"a": []any{1.0, map[string]any{"b": "c"}}})
	sb, _ := proto.Marshal(st)
	f.Add(sb)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, m := range []proto.Message{&pb.CheckStreamRequest{}, &structpb.Struct{}} {
			if proto.Unmarshal(b, m) != nil {
				continue
			}
			msg := mistyped(m.ProtoReflect(), "")
			if want := hasKnownUnknown(m.ProtoReflect()); (msg != "") != want {
				t.Fatalf("%T: mistyped %q, want a field named: %v", m, msg, want)
			}
		}
	})
}

// hasKnownUnknown reports whether m or a message below it keeps an unknown
// field whose number its type has (the fuzz test's oracle, by Range).
func hasKnownUnknown(m protoreflect.Message) bool {
	for u := m.GetUnknown(); len(u) > 0; {
		num, typ, n := protowire.ConsumeTag(u)
		if n < 0 {
			break
		}
		if m.Descriptor().Fields().ByNumber(num) != nil {
			return true
		}
		u = u[n:]
		if n = protowire.ConsumeFieldValue(num, typ, u); n < 0 {
			break
		}
		u = u[n:]
	}
	found := false
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			for i := 0; i < v.List().Len() && !found; i++ {
				found = hasKnownUnknown(v.List().Get(i).Message())
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				found = hasKnownUnknown(mv.Message())
				return !found
			})
		case !fd.IsList() && !fd.IsMap() && fd.Message() != nil:
			found = hasKnownUnknown(v.Message())
		}
		return !found
	})
	return found
}
