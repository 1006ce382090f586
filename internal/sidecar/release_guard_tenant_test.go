package sidecar

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/testdb"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestRefusedOutcomeAfterParseMarksPlaced: a report refused after it parsed
// — its dial names another tenant than its decision's (InvalidArgument), or
// it carries a recording_id without its dial under a token bound to tenants
// (PermissionDenied) — by a token that may report outcomes of the decision
// still says the call was placed: a Release of the decision afterwards,
// through this sidecar or another of the fleet, is refused, and the callee
// stays capped. Only a report refused before it parsed marked the decision
// placed; these gave the placed call's capacity back.
func TestRefusedOutcomeAfterParseMarksPlaced(t *testing.T) {
	url := os.Getenv("DIALGATE_TEST_REDIS")
	if url == "" {
		t.Skip("DIALGATE_TEST_REDIS is not set; run with DIALGATE_TEST_REDIS=redis://127.0.0.1:6379/N")
	}
	prefix := fmt.Sprintf("guardtenant%d", time.Now().UnixNano())
	t.Cleanup(func() { testdb.DropRedisPrefix(url, prefix) })
	bes := fleetSidecarsOn(t, 2, Config{Redis: url, RedisPrefix: prefix, RedisRequireAOF: new(false)}, oneCapProfile)
	ctx := context.WithValue(context.Background(), tokenKey{}, &tokenEntry{name: "acme", tenants: map[string]bool{"acme": true, "globex": true}})
	cases := []struct {
		name string
		to   string
		req  func(id string) *pb.ReportOutcomeRequest
		code codes.Code
	}{
		{"dial of another tenant", "+14055550161", func(id string) *pb.ReportOutcomeRequest {
			d := okDial("+14055550161")
			d.Tenant = "globex"
			return &pb.ReportOutcomeRequest{DecisionId: id, Answered: true, Dial: d}
		}, codes.InvalidArgument},
		{"recording without its dial", "+14055550162", func(id string) *pb.ReportOutcomeRequest {
			return &pb.ReportOutcomeRequest{DecisionId: id, Answered: true, RecordingId: "rec-1"}
		}, codes.PermissionDenied},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := &gateServer{gate: bes[0].Gate, owners: newDecisionOwners(), storeGuard: true}
			b := &gateServer{gate: bes[1].Gate, owners: newDecisionOwners(), storeGuard: true}
			d := guardDial()
			d.To = dialgate.MustParseNumber(c.to)
			dec, err := bes[0].Gate.Check(ctx, d)
			if err != nil || !dec.Allowed {
				t.Fatalf("check: %v %v %v", dec.Allowed, dec.Reasons, err)
			}
			a.owners.note(ctx, dec.ID, d.Tenant, true)
			if _, err := a.ReportOutcome(ctx, c.req(dec.ID)); status.Code(err) != c.code {
				t.Fatalf("report: %v, want %v", err, c.code)
			}
			// The other sidecar never made the decision: a token bound to
			// tenants may not release it there; an unbound one may.
			for name, srv := range map[string]*gateServer{"same": a, "other": b} {
				rctx := ctx
				if srv == b {
					rctx = context.Background()
				}
				if _, err := srv.Release(rctx, &pb.ReleaseRequest{DecisionId: dec.ID}); status.Code(err) != codes.FailedPrecondition {
					t.Fatalf("release through the %s sidecar after the refused report: %v, want FailedPrecondition", name, err)
				}
			}
			if got, err := bes[1].Gate.Check(ctx, d); err != nil || got.Allowed {
				t.Fatalf("next dial: %v %v, want capped", got.Allowed, err)
			}
		})
	}
}
