package sidecar

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/placedguard"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// recountDownCounters fails the Reserve of a recount (a reservation id
// ending in "#placed") while down is set.
type recountDownCounters struct {
	storage.Counters
	down atomic.Bool
}

func (c *recountDownCounters) Reserve(ctx context.Context, id string, t time.Time, limits []storage.Limit) (bool, []storage.Usage, error) {
	if c.down.Load() && strings.HasSuffix(id, "#placed") {
		return false, nil, fmt.Errorf("reserve: %w", storage.ErrUnavailable)
	}
	return c.Counters.Reserve(ctx, id, t, limits)
}

// TestLateOutcomeRecountFailureIsUnavailable: the outcome of a call placed
// after its decision was released, whose recount fails (the store down at
// that moment), answers Unavailable on the wire — not OK — so the dialer
// retries; the retry counts the call and answers OK, and the callee is
// then capped. Before, it answered OK and the call was never counted.
func TestLateOutcomeRecountFailureIsUnavailable(t *testing.T) {
	ctx := context.Background()
	s := &recountDownCounters{Counters: memstore.New()}
	caps, err := schedule.NewCapCheck(schedule.CapsConfig{Caps: []schedule.Cap{{Count: 1, Window: dialgate.Duration(24 * time.Hour),
		Cite: dialgate.Citation{Source: dialgate.SourceConvention, Ref: "test: one a day"}}}}, s)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := placedguard.New(s, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	g, err := dialgate.New([]dialgate.Checker{caps}, dialgate.WithoutAuditLog(), dialgate.WithPlacedGuard(pg))
	if err != nil {
		t.Fatal(err)
	}
	srv := &gateServer{gate: g, owners: newDecisionOwners(), storeGuard: true}
	dec, err := g.Check(ctx, guardDial())
	if err != nil || !dec.Allowed {
		t.Fatalf("check: %v %v %v", dec.Allowed, dec.Reasons, err)
	}
	if _, err := srv.Release(ctx, &pb.ReleaseRequest{DecisionId: dec.ID}); err != nil {
		t.Fatal(err)
	}
	req := &pb.ReportOutcomeRequest{DecisionId: dec.ID, Answered: true,
		Dial: &pb.Dial{To: guardDial().To.String(), Purpose: pb.Purpose_PURPOSE_SERVICE, LeadId: "crm-1", Tenant: "acme"}}
	s.down.Store(true)
	if _, err := srv.ReportOutcome(ctx, req); status.Code(err) != codes.Unavailable {
		t.Fatalf("late outcome whose recount failed: %v, want Unavailable (retry)", err)
	}
	s.down.Store(false)
	if _, err := srv.ReportOutcome(ctx, req); err != nil {
		t.Fatalf("retried late outcome: %v", err)
	}
	if d, err := g.Check(ctx, guardDial()); err != nil || d.Allowed || !d.Has(dialgate.CodeFrequencyCapped) {
		t.Fatalf("next dial after the counted late outcome: %v %v %v, want frequency.capped", d.Allowed, d.Reasons, err)
	}
}
