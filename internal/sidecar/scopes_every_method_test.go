package sidecar

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// TestEveryMethodNeedsItsScope: every method the server serves — each of
// GateService and AdminService, CheckStream, reflection, whatever is
// registered later — is refused Unauthenticated without a token and
// PermissionDenied with a token lacking its scope (gate for GateService,
// admin for everything else), and taken with one that has it; the health
// service alone needs no token. The list of methods is the server's own,
// so a service added without a thought for its scope is caught here.
func TestEveryMethodNeedsItsScope(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/tokens.yaml"
	writeFile(t, path, `tokens:
  - name: dialer
    sha256: "`+sha256hex("gate-token-0123456789")+`"
    scopes: [gate]
  - name: ops
    sha256: "`+sha256hex("admin-token-0123456789")+`"
    scopes: [admin]
`)
	e := startTest(t, Config{TokensFile: path, Reflection: true}, nil)
	bearer := func(ctx context.Context, tok string) context.Context {
		if tok == "" {
			return ctx
		}
		return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
	}
	call := func(ctx context.Context, full string, stream bool) error {
		if !stream {
			return e.conn.Invoke(ctx, full, &emptypb.Empty{}, &emptypb.Empty{})
		}
		st, err := e.conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, full)
		if err != nil {
			return err
		}
		if err := st.SendMsg(&emptypb.Empty{}); err != nil {
			return st.RecvMsg(&emptypb.Empty{})
		}
		st.CloseSend()
		return st.RecvMsg(&emptypb.Empty{})
	}
	n := 0
	for svc, info := range e.srv.grpc.GetServiceInfo() {
		for _, m := range info.Methods {
			full := "/" + svc + "/" + m.Name
			stream := m.IsClientStream || m.IsServerStream
			n++
			t.Run(full, func(t *testing.T) {
				ctx, cancel := context.WithCancel(ctxT(t))
				defer cancel()
				if svc == "grpc.health.v1.Health" {
					if c := status.Code(call(ctx, full, stream)); c == codes.Unauthenticated || c == codes.PermissionDenied {
						t.Fatalf("without a token: %v, want health served", c)
					}
					return
				}
				own, other := "admin-token-0123456789", "gate-token-0123456789"
				if strings.HasPrefix(svc, "dialgate.v1.GateService") {
					own, other = other, own
				}
				if c := status.Code(call(ctx, full, stream)); c != codes.Unauthenticated {
					t.Errorf("without a token: %v, want Unauthenticated", c)
				}
				if c := status.Code(call(bearer(ctx, other), full, stream)); c != codes.PermissionDenied {
					t.Errorf("with a token of the other scope: %v, want PermissionDenied", c)
				}
				sctx, scancel := context.WithCancel(bearer(ctx, own))
				defer scancel()
				if c := status.Code(call(sctx, full, stream)); c == codes.Unauthenticated || c == codes.PermissionDenied {
					t.Errorf("with a token of its scope: %v, want it taken", c)
				}
			})
		}
	}
	if n < 20 {
		t.Fatalf("%d methods served, want GateService's, AdminService's, health and reflection", n)
	}
}
