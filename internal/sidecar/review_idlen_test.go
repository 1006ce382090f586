package sidecar

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dialgate/dialgate"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Every decision id a sidecar sends can be given back over the wire: a
// Gate whose id source (WithDecisionIDs) gives ids longer than the
// decision_id fields take (dialgate.MaxDecisionIDLen, 128 bytes) decided
// dials the dialer could then neither release nor report (session 19:
// Release INVALID_ARGUMENT, the capacity held). Now such a Check is not an
// allow, and an id of 128 bytes is released and reported.
func TestDecisionIDLengthWire(t *testing.T) {
	for _, n := range []int{29, dialgate.MaxDecisionIDLen, dialgate.MaxDecisionIDLen + 1, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var seq atomic.Int64
			ids := func() string {
				id := fmt.Sprintf("d%d-", seq.Add(1))
				return id + strings.Repeat("x", n-len(id))
			}
			e := startTest(t, Config{}, func(be *Backend) {
				g, err := dialgate.New([]dialgate.Checker{newFakeDNC()}, dialgate.WithoutAuditLog(), dialgate.WithDecisionIDs(ids), dialgate.WithPolicyVersion("test"))
				if err != nil {
					t.Fatal(err)
				}
				be.Gate = g
			})
			ctx := ctxT(t)
			for i, to := range []string{"+8613900139060", "+8613900139061"} {
				r, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: okDial(to)})
				if n > dialgate.MaxDecisionIDLen {
					if err == nil && r.GetDecision().GetAllowed() {
						t.Fatalf("a %d-byte id: Check allowed (id %d bytes), which the dialer cannot release", n, len(r.GetDecision().GetId()))
					}
					if status.Code(err) != codes.Internal {
						t.Fatalf("a %d-byte id: Check %v %v, want Internal (do not dial)", n, r, err)
					}
					continue
				}
				if err != nil || !r.GetDecision().GetAllowed() {
					t.Fatalf("a %d-byte id: Check %v %v", n, r, err)
				}
				id := r.GetDecision().GetId()
				if i == 0 {
					if _, err := e.gate.Release(ctx, &pb.ReleaseRequest{DecisionId: id}); err != nil {
						t.Fatalf("Release of the %d-byte id the sidecar sent: %v", len(id), err)
					}
				} else if _, err := e.gate.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: id, Dial: okDial(to), Answered: true}); err != nil {
					t.Fatalf("ReportOutcome of the %d-byte id the sidecar sent: %v", len(id), err)
				}
			}
			long := strings.Repeat("y", dialgate.MaxDecisionIDLen+1)
			_, err := e.gate.Release(ctx, &pb.ReleaseRequest{DecisionId: long})
			if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "decision_id") {
				t.Fatalf("Release of a %d-byte id: %v, want InvalidArgument naming decision_id", len(long), err)
			}
			_, err = e.gate.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: long, Dial: okDial("+8613900139062"), Answered: true})
			if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "decision_id") {
				t.Fatalf("ReportOutcome of a %d-byte id: %v, want InvalidArgument naming decision_id", len(long), err)
			}
		})
	}
}
