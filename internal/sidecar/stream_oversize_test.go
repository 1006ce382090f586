package sidecar

import (
	"strings"
	"testing"
	"time"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestCheckStreamOversizedEndsAtOnce: a request larger than
// max_message_bytes ends the stream at once, RESOURCE_EXHAUSTED (gRPC ends
// it as it refuses the message), unlike a malformed request: a request in
// flight is not answered (gate.proto: do not dial it; the Gate denies what
// it decides after the stream's end).
func TestCheckStreamOversizedEndsAtOnce(t *testing.T) {
	h := newHoldCheck()
	e := startHold(t, Config{StreamWorkers: 4, MaxMessageBytes: 4 << 10}, h, nil)
	st, err := e.gate.CheckStream(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Send(&pb.CheckStreamRequest{RequestId: "first", Dial: okDial("+8613900139070")}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-h.started:
	case <-time.After(5 * time.Second):
		t.Fatal("the first dial did not reach the gate")
	}
	big := okDial("+8613900139071")
	big.Campaign = strings.Repeat("c", 8<<10)
	if err := st.Send(&pb.CheckStreamRequest{RequestId: "big", Dial: big}); err != nil {
		t.Fatal(err)
	}
	if r, err := st.Recv(); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("after the oversized request: %v %v, want the stream ended ResourceExhausted before the request in flight is answered", r, err)
	}
}
