package sidecar

import (
	"fmt"
	"strings"
	"testing"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

// TestCheckStreamEmptyIDErrorNamesPosition: a CheckStream request whose
// request_id cannot be echoed (missing, longer than 128 bytes, not UTF-8,
// or a message that is not protobuf at all) is answered with an empty
// request_id, which names no request — and nothing else told the dialer
// which of its outstanding requests that was: it could only wait for an
// answer that never comes. The error now ends with the request's position
// on the stream (responses may come in any order, but the stream takes its
// requests in the order sent), so the dialer can fail that request (do not
// dial) and free it.
func TestCheckStreamEmptyIDErrorNamesPosition(t *testing.T) {
	e := startTest(t, Config{StreamWorkers: 4}, nil)
	desc := &grpc.StreamDesc{StreamName: "CheckStream", ServerStreams: true, ClientStreams: true}
	st, err := e.conn.NewStream(ctxT(t), desc, "/dialgate.v1.GateService/CheckStream", grpc.ForceCodec(rawCodec{}))
	if err != nil {
		t.Fatal(err)
	}
	marshal := func(m *pb.CheckStreamRequest) []byte {
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	sent := [][]byte{
		marshal(&pb.CheckStreamRequest{RequestId: "ok-1", Dial: okDial("+8613900139081")}),
		marshal(&pb.CheckStreamRequest{RequestId: strings.Repeat("x", maxIDLen+1), Dial: okDial("+8613900139082")}),
		marshal(&pb.CheckStreamRequest{Dial: okDial("+8613900139083")}),
		{0xff, 0xff, 0xff}, // not protobuf
		withBadUTF8(t, &pb.CheckStreamRequest{RequestId: "r-@@@@", Dial: okDial("+8613900139084")}),
		marshal(&pb.CheckStreamRequest{RequestId: "ok-6", Dial: okDial("+8613900139085")}),
	}
	for _, b := range sent {
		if err := st.SendMsg(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.CloseSend(); err != nil {
		t.Fatal(err)
	}
	want := map[int]string{2: "request_id: longer than", 3: "request_id: missing", 4: "request: not a valid protobuf", 5: "request_id: not valid UTF-8"}
	for range sent {
		r := new(pb.CheckStreamResponse)
		if err := st.RecvMsg(r); err != nil {
			t.Fatal(err)
		}
		if r.GetRequestId() != "" {
			if !r.GetDecision().GetAllowed() {
				t.Errorf("request %q: %v, want allowed", r.GetRequestId(), r)
			}
			continue
		}
		msg := r.GetError().GetMessage()
		if codes.Code(r.GetError().GetCode()) != codes.InvalidArgument {
			t.Fatalf("empty-id answer %v, want InvalidArgument", r)
		}
		found := false
		for pos, prefix := range want {
			if strings.HasPrefix(msg, prefix) {
				found = true
				if suffix := fmt.Sprintf("(request %d of this stream, counting from 1)", pos); !strings.HasSuffix(msg, suffix) {
					t.Errorf("error %q: names no position; want it to end %q", msg, suffix)
				}
				delete(want, pos)
			}
		}
		if !found {
			t.Errorf("unexpected error %q", msg)
		}
	}
	if len(want) > 0 {
		t.Errorf("no answer for %v", want)
	}
}
