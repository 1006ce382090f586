package sidecar

import (
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// TestAddDNCFutureAddedAt: an opt-out dated after the server's clock (a
// wrong clock or zone offset, or a typo up to the year 9999) is recorded,
// as of the server's clock, and denies at once. It used to be refused as
// Unavailable ("retry", which could never succeed) when its hold ran past
// the year 9999, and otherwise kept a hold counted from an instant that has
// not come.
func TestAddDNCFutureAddedAt(t *testing.T) {
	e := startFull(t, Config{}, t.TempDir())
	ctx := ctxT(t)
	for i, at := range []time.Time{time.Date(9999, 6, 1, 0, 0, 0, 0, time.UTC), time.Now().Add(8 * time.Hour)} {
		num := []string{"+8613900139061", "+8613900139062"}[i]
		before := time.Now()
		if _, err := e.admin.AddDncEntry(ctx, &pb.AddDncEntryRequest{Number: num, Scope: "global", Source: "opt_out",
			AddedAt: timestamppb.New(at)}); err != nil {
			t.Fatalf("added_at %s: %v", at.Format(time.RFC3339), err)
		}
		r, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: okDial(num)})
		if err != nil || r.GetDecision().GetAllowed() {
			t.Errorf("added_at %s: the opt-out does not deny: %v %v", at.Format(time.RFC3339), r, err)
		}
		es, err := e.srv.be.DNC.(dncAdmin).c.Lists().Lookup(ctx, dialgate.MustParseNumber(num))
		if err != nil || len(es) != 1 {
			t.Fatalf("entries: %v %v", es, err)
		}
		if es[0].AddedAt.After(time.Now()) || es[0].AddedAt.Before(before.Add(-time.Second)) {
			t.Errorf("added_at %s stored as %s, want the server's clock", at.Format(time.RFC3339), es[0].AddedAt.Format(time.RFC3339))
		}
	}
}
