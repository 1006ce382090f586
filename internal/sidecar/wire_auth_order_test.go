package sidecar

import (
	"path/filepath"
	"testing"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// TestRevokedStreamUndecodableIsUnauthenticated: a CheckStream opened with
// a token removed since (a tokens reload) ends Unauthenticated at its next
// message, whatever that message holds. A message the codec refused (a
// field of another wire type, not protobuf at all) was answered
// InvalidArgument, naming the field, and the stream went on: the codec's
// check ran before the token's, so a client without a valid token was
// answered about its requests, for as long as it sent only malformed ones.
func TestRevokedStreamUndecodableIsUnauthenticated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.yaml")
	writeFile(t, path, string(tokensYAML(reloadTokenA)))
	e := startTest(t, Config{TokensFile: path}, nil)
	for _, c := range []struct {
		name string
		msg  func() []byte
	}{
		{"wrong wire type", func() []byte {
			return withVarint(t, &pb.CheckStreamRequest{RequestId: "r2", Dial: okDial("+8613900139041")}, 2, 7)
		}},
		{"not protobuf", func() []byte { return []byte{0x0a, 0xff, 0xff} }},
	} {
		t.Run(c.name, func(t *testing.T) {
			writeFile(t, path, string(tokensYAML(reloadTokenA)))
			if err := e.srv.Reload(false); err != nil {
				t.Fatal(err)
			}
			ctx := metadata.AppendToOutgoingContext(ctxT(t), "authorization", "Bearer "+reloadTokenA)
			desc := &grpc.StreamDesc{StreamName: "CheckStream", ServerStreams: true, ClientStreams: true}
			st, err := e.conn.NewStream(ctx, desc, "/dialgate.v1.GateService/CheckStream", grpc.ForceCodec(rawCodec{}))
			if err != nil {
				t.Fatal(err)
			}
			if err := st.SendMsg(&pb.CheckStreamRequest{RequestId: "r1", Dial: okDial("+8613900139041")}); err != nil {
				t.Fatal(err)
			}
			if r := new(pb.CheckStreamResponse); st.RecvMsg(r) != nil || r.GetDecision() == nil {
				t.Fatalf("before the reload: %v", r)
			}
			writeFile(t, path, string(tokensYAML(reloadTokenB)))
			if err := e.srv.Reload(false); err != nil {
				t.Fatal(err)
			}
			if err := st.SendMsg(c.msg()); err != nil {
				t.Fatal(err)
			}
			r := new(pb.CheckStreamResponse)
			err = st.RecvMsg(r)
			if status.Code(err) != codes.Unauthenticated {
				t.Fatalf("malformed message on a stream of a removed token: response %v, err %v; want the stream ended Unauthenticated", r, err)
			}
		})
	}
}
