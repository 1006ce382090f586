package sidecar

import (
	"strings"
	"testing"
	"time"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

// TestCheckStreamErrorNamesNoOtherRequest: a CheckStream response names the
// request it answers by echoing its request_id. A request whose id cannot be
// echoed as sent — longer than 128 bytes (it was echoed cut to 128), or not
// UTF-8 (echoed with U+FFFD for the bad bytes) — was answered with an id it
// did not carry, which could be that of another request still being
// decided: the dialer took the error for that request's answer, reused its
// id (answered, so free) for another callee, and took the first request's
// allow, arriving next, for the new callee's. Such a request is answered
// with an empty request_id, which names no request; the other request keeps
// its own answer.
func TestCheckStreamErrorNamesNoOtherRequest(t *testing.T) {
	long := strings.Repeat("a", maxIDLen)
	for _, c := range []struct {
		name        string
		outstanding string
		bad         func(t *testing.T) []byte
		field       string
	}{
		{"longer than 128 bytes", long, func(t *testing.T) []byte {
			b, err := proto.Marshal(&pb.CheckStreamRequest{RequestId: long + "-2", Dial: okDial("+8613900139061")})
			if err != nil {
				t.Fatal(err)
			}
			return b
		}, "request_id: longer than"},
		{"not UTF-8", "r-a\uFFFDb", func(t *testing.T) []byte {
			return withBadUTF8(t, &pb.CheckStreamRequest{RequestId: "r-@@@@", Dial: okDial("+8613900139062")})
		}, "request_id: not valid UTF-8"},
		{"not UTF-8 in the dial and the id", "r-a\uFFFDb", func(t *testing.T) []byte {
			// The dial first on the wire: the refusal names dial.campaign,
			// and the id is repaired all the same.
			d := okDial("+8613900139063")
			d.Campaign = "@@@@"
			dial := withBadUTF8(t, &pb.CheckStreamRequest{Dial: d})
			return append(dial, withBadUTF8(t, &pb.CheckStreamRequest{RequestId: "r-@@@@"})...)
		}, "dial.campaign: not valid UTF-8"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHoldCheck()
			e := startHold(t, Config{StreamWorkers: 4}, h, nil)
			desc := &grpc.StreamDesc{StreamName: "CheckStream", ServerStreams: true, ClientStreams: true}
			st, err := e.conn.NewStream(ctxT(t), desc, "/dialgate.v1.GateService/CheckStream", grpc.ForceCodec(rawCodec{}))
			if err != nil {
				t.Fatal(err)
			}
			first, err := proto.Marshal(&pb.CheckStreamRequest{RequestId: c.outstanding, Dial: okDial("+8613900139060")})
			if err != nil {
				t.Fatal(err)
			}
			if err := st.SendMsg(first); err != nil {
				t.Fatal(err)
			}
			select {
			case <-h.started:
			case <-time.After(5 * time.Second):
				t.Fatal("the first dial did not reach the gate")
			}
			if err := st.SendMsg(c.bad(t)); err != nil {
				t.Fatal(err)
			}
			r := new(pb.CheckStreamResponse)
			if err := st.RecvMsg(r); err != nil {
				t.Fatal(err)
			}
			if codes.Code(r.GetError().GetCode()) != codes.InvalidArgument || !strings.HasPrefix(r.GetError().GetMessage(), c.field) {
				t.Fatalf("the bad request: %v, want InvalidArgument %q", r, c.field)
			}
			if r.GetRequestId() != "" {
				t.Errorf("the bad request's error echoes request_id %q, which it did not carry (the outstanding request's is %q): want it empty", r.GetRequestId(), c.outstanding)
			}
			h.let()
			if err := st.RecvMsg(r); err != nil {
				t.Fatal(err)
			}
			if r.GetRequestId() != c.outstanding || !r.GetDecision().GetAllowed() {
				t.Fatalf("the outstanding request: %v", r)
			}
		})
	}
}
