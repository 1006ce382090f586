package sidecar

import (
	"context"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"weak"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// trackingCodec is the request codec, noting (weakly) every health request
// it decoded, so a test can see whether the codec keeps any of them alive.
type trackingCodec struct {
	*requestCodec
	mu      sync.Mutex
	decoded []weak.Pointer[healthpb.HealthCheckRequest]
	got     chan struct{}
}

func (c *trackingCodec) Unmarshal(data mem.BufferSlice, v any) error {
	err := c.requestCodec.Unmarshal(data, v)
	if m, ok := v.(*healthpb.HealthCheckRequest); ok {
		c.mu.Lock()
		c.decoded = append(c.decoded, weak.Make(m))
		c.mu.Unlock()
		select {
		case c.got <- struct{}{}:
		default:
		}
	}
	return err
}

// alive counts the decoded requests still reachable after collections.
func (c *trackingCodec) alive() int {
	n := 0
	for i := 0; i < 3; i++ {
		runtime.GC()
		c.mu.Lock()
		n = 0
		for _, p := range c.decoded {
			if p.Value() != nil {
				n++
			}
		}
		c.mu.Unlock()
		if n == 0 {
			return 0
		}
		time.Sleep(50 * time.Millisecond)
	}
	return n
}

// TestRequestCodecForgetsUntakenRequests: a request the codec repaired on a
// call that fails inside gRPC after the decode (a second message on a unary
// or server-streaming method: gRPC decodes it too, into the same request,
// and answers Internal; a call reset after its message) never reaches an
// interceptor. The codec must not keep it: the health service needs no
// token, so any client could grow the sidecar's memory one request a call.
func TestRequestCodecForgetsUntakenRequests(t *testing.T) {
	good, err := proto.Marshal(&healthpb.HealthCheckRequest{Service: "ok"})
	if err != nil {
		t.Fatal(err)
	}
	bad := withBadUTF8(t, &healthpb.HealthCheckRequest{Service: "@@@@"})
	cases := []struct {
		name   string
		method string
		msgs   [][]byte
		reset  bool
	}{
		{"unary two messages, first bad", "/grpc.health.v1.Health/Check", [][]byte{bad, good}, false},
		{"unary two messages, second bad", "/grpc.health.v1.Health/Check", [][]byte{good, bad}, false},
		{"unary bad then reset", "/grpc.health.v1.Health/Check", [][]byte{bad}, true},
		{"server stream two messages", "/grpc.health.v1.Health/Watch", [][]byte{bad, bad}, false},
		{"server stream bad then reset", "/grpc.health.v1.Health/Watch", [][]byte{bad}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &trackingCodec{requestCodec: newRequestCodec(), got: make(chan struct{}, 8)}
			srv := grpc.NewServer(grpc.ForceServerCodecV2(c),
				grpc.ChainUnaryInterceptor(c.unaryInterceptor), grpc.ChainStreamInterceptor(c.streamInterceptor))
			healthpb.RegisterHealthServer(srv, health.NewServer())
			lis := bufconn.Listen(1 << 20)
			go srv.Serve(lis)
			defer srv.Stop()
			conn, err := grpc.NewClient("passthrough:///bufnet",
				grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
				grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			sctx, scancel := context.WithCancel(ctx)
			defer scancel()
			desc := &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}
			st, err := conn.NewStream(sctx, desc, tc.method, grpc.ForceCodec(rawCodec{}))
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range tc.msgs {
				if err := st.SendMsg(m); err != nil {
					t.Fatal(err)
				}
			}
			if tc.reset {
				select {
				case <-c.got:
				case <-ctx.Done():
					t.Fatal("the server decoded nothing")
				}
				scancel()
			} else {
				st.CloseSend()
			}
			for {
				var r healthpb.HealthCheckResponse
				if err := st.RecvMsg(&r); err != nil {
					break
				}
			}
			srv.GracefulStop()
			if n := c.alive(); n != 0 {
				t.Errorf("%d decoded request(s) still held by the codec after the call ended", n)
			}
		})
	}
}

// TestRequestCodecIgnoresForgedMark: a request that carries, as sent, an
// unknown field of the mark's number is decoded as sent and served (a
// client does not know the codec's secret); a repaired one is refused.
func TestRequestCodecIgnoresForgedMark(t *testing.T) {
	c := newRequestCodec()
	good, err := proto.Marshal(&healthpb.HealthCheckRequest{Service: "ok"})
	if err != nil {
		t.Fatal(err)
	}
	forged := protowire.AppendTag(good, markNumber, protowire.BytesType)
	forged = protowire.AppendBytes(forged, []byte("service: not valid UTF-8"))
	var m healthpb.HealthCheckRequest
	if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer(forged)}, &m); err != nil {
		t.Fatal(err)
	}
	if err := c.take(&m); err != nil || m.GetService() != "ok" {
		t.Fatalf("a request with a forged mark: %v %q, want served", err, m.GetService())
	}
	bad := withBadUTF8(t, &healthpb.HealthCheckRequest{Service: "@@@@"})
	var b healthpb.HealthCheckRequest
	if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer(bad)}, &b); err != nil {
		t.Fatal(err)
	}
	if err := c.take(&b); status.Code(err) != codes.InvalidArgument || !strings.HasPrefix(status.Convert(err).Message(), "service: ") {
		t.Fatalf("a repaired request: %v, want InvalidArgument naming service", err)
	}
}
