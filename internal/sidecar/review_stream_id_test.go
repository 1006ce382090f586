package sidecar

import (
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc/codes"
)

// TestCheckStreamLongMultibyteRequestID: a request_id over 128 bytes is
// answered with an error. Its id was echoed cut to 128 bytes: cut inside a
// multi-byte character, the echo was not UTF-8, a proto string cannot carry
// it, and the Send failed: the server took the stream for broken, stopped
// deciding and ended it, against the contract that a malformed request gets
// an error response and the stream stays open. (Since session 19 such an
// id is echoed empty: TestCheckStreamErrorNamesNoOtherRequest.)
func TestCheckStreamLongMultibyteRequestID(t *testing.T) {
	e := startTest(t, Config{StreamWorkers: 2}, nil)
	st, err := e.gate.CheckStream(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("a", maxIDLen-1) + "é-and-more" // 'é' spans bytes 128 and 129
	if err := st.Send(&pb.CheckStreamRequest{RequestId: long, Dial: okDial("+8613900139022")}); err != nil {
		t.Fatal(err)
	}
	if err := st.Send(&pb.CheckStreamRequest{RequestId: "next", Dial: okDial("+8613900139023")}); err != nil {
		t.Fatal(err)
	}
	st.CloseSend()
	got := map[string]*pb.CheckStreamResponse{}
	for {
		r, err := st.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the stream failed after %d responses: %v", len(got), err)
		}
		got[r.GetRequestId()] = r
	}
	if len(got) != 2 {
		t.Fatalf("%d responses, want 2: %v", len(got), got)
	}
	for id, r := range got {
		if !utf8.ValidString(id) || len(id) > maxIDLen {
			t.Errorf("echoed request_id %q", id)
		}
		if id != "next" && codes.Code(r.GetError().GetCode()) != codes.InvalidArgument {
			t.Errorf("long id answered %v, want InvalidArgument", r)
		}
	}
	if !got["next"].GetDecision().GetAllowed() {
		t.Errorf("the request after the long id: %v", got["next"])
	}
}
