package sidecar

import (
	"bytes"
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
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// rawCodec sends []byte as they are (a client whose proto library does not
// check UTF-8, or a hand-built message) and decodes replies as protos.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) ([]byte, error) {
	if b, ok := v.([]byte); ok {
		return b, nil
	}
	return proto.Marshal(v.(proto.Message))
}

func (rawCodec) Unmarshal(b []byte, v any) error { return proto.Unmarshal(b, v.(proto.Message)) }

// withBadUTF8 marshals m, whose string fields hold the marker "@@@@" once,
// and replaces the marker by bytes that are not UTF-8.
func withBadUTF8(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(b, []byte("@@@@")) != 1 {
		t.Fatalf("marker not found once in %x", b)
	}
	return bytes.Replace(b, []byte("@@@@"), []byte("a\xff\xfeb"), 1)
}

// TestInvalidUTF8IsInvalidArgument: a request whose string field is not
// UTF-8 (a CRM's Latin-1 campaign name sent by a client that does not check)
// is InvalidArgument naming the field, on every service, and the server
// keeps serving. grpc-go answered Internal "grpc: failed to unmarshal the
// received message: ... contains invalid UTF-8", naming the proto's full
// field name and no request field.
func TestInvalidUTF8IsInvalidArgument(t *testing.T) {
	e := startTest(t, Config{}, nil)
	ctx := ctxT(t)
	dialWith := func(f func(*pb.Dial)) *pb.Dial {
		d := okDial("+8613900139041")
		f(d)
		return d
	}
	cases := []struct {
		method, field string
		req           proto.Message
	}{
		{"/dialgate.v1.GateService/Check", "dial.campaign", &pb.CheckRequest{Dial: dialWith(func(d *pb.Dial) { d.Campaign = "@@@@" })}},
		{"/dialgate.v1.GateService/Check", "dial.to", &pb.CheckRequest{Dial: dialWith(func(d *pb.Dial) { d.To = "@@@@" })}},
		{"/dialgate.v1.GateService/Release", "decision_id", &pb.ReleaseRequest{DecisionId: "@@@@"}},
		{"/dialgate.v1.GateService/ReportOutcome", "disposition", &pb.ReportOutcomeRequest{DecisionId: "d-1", Disposition: "@@@@"}},
		{"/dialgate.v1.GateService/ReportOutcome", "dial.tenant", &pb.ReportOutcomeRequest{DecisionId: "d-1", Dial: dialWith(func(d *pb.Dial) { d.Tenant = "@@@@" })}},
		{"/dialgate.v1.AdminService/AddDncEntry", "source", &pb.AddDncEntryRequest{Number: "+8613900139041", Scope: "global", Source: "@@@@"}},
		{"/dialgate.v1.AdminService/AddLedgerEntry", "holder", &pb.AddLedgerEntryRequest{Holder: "@@@@"}},
		{"/dialgate.v1.AdminService/GrantConsent", "evidence_uri", &pb.GrantConsentRequest{Id: "c-1", EvidenceUri: "@@@@"}},
	}
	for _, c := range cases {
		t.Run(c.method+"/"+c.field, func(t *testing.T) {
			err := e.conn.Invoke(ctx, c.method, withBadUTF8(t, c.req), &emptypb.Empty{}, grpc.ForceCodec(rawCodec{}))
			st := status.Convert(err)
			field := c.field
			if st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), field+": ") || !strings.Contains(st.Message(), "UTF-8") {
				t.Fatalf("got %v %q, want InvalidArgument naming %s and UTF-8", st.Code(), st.Message(), field)
			}
			if strings.Contains(st.Message(), "dialgate.v1.") || strings.Contains(st.Message(), "grpc:") {
				t.Errorf("the message names the proto's internals: %q", st.Message())
			}
		})
	}
	// Bytes that are not protobuf at all: InvalidArgument too.
	err := e.conn.Invoke(ctx, "/dialgate.v1.GateService/Check", []byte{0x0a, 0xff, 0xff}, &emptypb.Empty{}, grpc.ForceCodec(rawCodec{}))
	if st := status.Convert(err); st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), "request: ") {
		t.Errorf("a message that is not protobuf: %v %q, want InvalidArgument naming request", st.Code(), st.Message())
	}
	if r, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: okDial("+8613900139041")}); err != nil || !r.GetDecision().GetAllowed() {
		t.Fatalf("the server stopped serving: %v %v", r, err)
	}
}

// TestCheckStreamInvalidUTF8KeepsStream: a CheckStream request whose string
// field is not UTF-8 gets an error response naming the field and the stream
// goes on (the contract for a malformed request). The server ended the whole
// stream Internal at the first such request.
func TestCheckStreamInvalidUTF8KeepsStream(t *testing.T) {
	e := startTest(t, Config{StreamWorkers: 2}, nil)
	ctx := ctxT(t)
	desc := &grpc.StreamDesc{StreamName: "CheckStream", ServerStreams: true, ClientStreams: true}
	st, err := e.conn.NewStream(ctx, desc, "/dialgate.v1.GateService/CheckStream", grpc.ForceCodec(rawCodec{}))
	if err != nil {
		t.Fatal(err)
	}
	bad := okDial("+8613900139042")
	bad.Campaign = "@@@@"
	msgs := [][]byte{
		withBadUTF8(t, &pb.CheckStreamRequest{RequestId: "bad-campaign", Dial: bad}),
		withBadUTF8(t, &pb.CheckStreamRequest{RequestId: "id-@@@@", Dial: okDial("+8613900139043")}),
	}
	good, _ := proto.Marshal(&pb.CheckStreamRequest{RequestId: "good", Dial: okDial("+8613900139044")})
	msgs = append(msgs, good)
	for _, m := range msgs {
		if err := st.SendMsg(m); err != nil {
			t.Fatal(err)
		}
	}
	st.CloseSend()
	got := map[string]*pb.CheckStreamResponse{}
	for {
		r := new(pb.CheckStreamResponse)
		err := st.RecvMsg(r)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the stream failed after %d responses: %v", len(got), err)
		}
		got[r.GetRequestId()] = r
	}
	if len(got) != 3 {
		t.Fatalf("%d responses, want 3: %v", len(got), got)
	}
	if r := got["bad-campaign"]; codes.Code(r.GetError().GetCode()) != codes.InvalidArgument || !strings.HasPrefix(r.GetError().GetMessage(), "dial.campaign: ") {
		t.Errorf("bad campaign: %v", r)
	}
	// Its id cannot be echoed as sent: answered with an empty one
	// (TestCheckStreamErrorNamesNoOtherRequest).
	badID := got[""]
	if codes.Code(badID.GetError().GetCode()) != codes.InvalidArgument || !strings.HasPrefix(badID.GetError().GetMessage(), "request_id: ") {
		t.Errorf("bad request id: %v", badID)
	}
	if !got["good"].GetDecision().GetAllowed() {
		t.Errorf("the good request after the bad ones: %v", got["good"])
	}
}

// FuzzRepairUTF8: repairUTF8 never panics, and what it returns decodes as
// the message, naming a field exactly when the input had a string that is
// not UTF-8.
func FuzzRepairUTF8(f *testing.F) {
	good, _ := proto.Marshal(&pb.CheckStreamRequest{RequestId: "r-1", Dial: okDial("+8613900139045")})
	f.Add(good)
	bad := okDial("+8613900139045")
	bad.Campaign = "@@@@"
	b, _ := proto.Marshal(&pb.CheckStreamRequest{RequestId: "r-2", Dial: bad})
	f.Add(bytes.Replace(b, []byte("@@@@"), []byte("\xff\xfe\x00b"), 1))
	f.Add([]byte{0x0a, 0xff, 0xff})
	md := (&pb.CheckStreamRequest{}).ProtoReflect().Descriptor()
	f.Fuzz(func(t *testing.T, b []byte) {
		out, field, err := repairUTF8(b, md, "", 0)
		if err != nil {
			return
		}
		var m pb.CheckStreamRequest
		if err := proto.Unmarshal(out, &m); err != nil {
			t.Fatalf("repaired message does not decode: %v (field %q)", err, field)
		}
		if field == "" && proto.Unmarshal(b, new(pb.CheckStreamRequest)) != nil {
			t.Fatalf("no field named, but the input does not decode")
		}
	})
}

// TestRepairUTF8Depth: repairUTF8 refuses a message nested deeper than
// protobuf decodes (a type that contains itself, such as
// google.protobuf.Value, nested within the size limit), rather than copying
// every level.
func TestRepairUTF8Depth(t *testing.T) {
	nest := func(levels int) []byte {
		// Value{list_value: ListValue{values: [Value{...}]}}, a bad string
		// at the bottom.
		b := protowire.AppendBytes(protowire.AppendTag(nil, 3, protowire.BytesType), []byte("\xff")) // Value.string_value
		for i := 0; i < levels; i++ {
			b = protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), b) // ListValue.values
			b = protowire.AppendBytes(protowire.AppendTag(nil, 6, protowire.BytesType), b) // Value.list_value
		}
		return b
	}
	md := (&structpb.Value{}).ProtoReflect().Descriptor()
	if _, field, err := repairUTF8(nest(10), md, "", 0); err != nil || !strings.HasSuffix(field, "string_value") {
		t.Fatalf("10 levels: field %q, %v", field, err)
	}
	if _, _, err := repairUTF8(nest(maxRepairDepth), md, "", 0); err == nil {
		t.Fatalf("%d levels (twice as many messages) repaired", maxRepairDepth)
	}
}

// TestCheckStreamInvalidUTF8OutstandingID: a request that is not UTF-8,
// sent with the request_id of a request still being decided, is answered
// with its error and leaves that id outstanding: a third request with the id
// is still refused as a duplicate, and the first is answered with its
// decision.
func TestCheckStreamInvalidUTF8OutstandingID(t *testing.T) {
	h := newHoldCheck()
	e := startHold(t, Config{StreamWorkers: 4}, h, nil)
	desc := &grpc.StreamDesc{StreamName: "CheckStream", ServerStreams: true, ClientStreams: true}
	st, err := e.conn.NewStream(ctxT(t), desc, "/dialgate.v1.GateService/CheckStream", grpc.ForceCodec(rawCodec{}))
	if err != nil {
		t.Fatal(err)
	}
	send := func(b []byte) {
		t.Helper()
		if err := st.SendMsg(b); err != nil {
			t.Fatal(err)
		}
	}
	recv := func() *pb.CheckStreamResponse {
		t.Helper()
		r := new(pb.CheckStreamResponse)
		if err := st.RecvMsg(r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	good, _ := proto.Marshal(&pb.CheckStreamRequest{RequestId: "x", Dial: okDial("+8613900139046")})
	send(good)
	select {
	case <-h.started:
	case <-time.After(5 * time.Second):
		t.Fatal("the first dial did not reach the gate")
	}
	bad := okDial("+8613900139047")
	bad.Campaign = "@@@@"
	send(withBadUTF8(t, &pb.CheckStreamRequest{RequestId: "x", Dial: bad}))
	if r := recv(); r.GetRequestId() != "x" || !strings.HasPrefix(r.GetError().GetMessage(), "dial.campaign: ") {
		t.Fatalf("the bad request: %v", r)
	}
	send(good)
	if r := recv(); r.GetRequestId() != "x" || !strings.Contains(r.GetError().GetMessage(), "request_id") {
		t.Fatalf("a third request with the outstanding id: want the duplicate refusal, got %v", r)
	}
	h.let()
	if r := recv(); r.GetRequestId() != "x" || !r.GetDecision().GetAllowed() {
		t.Fatalf("the first dial: want its allow, got %v", r)
	}
}
