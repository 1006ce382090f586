package complaint_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/recording"
)

// A complaint's hold on the callee's recordings stays until the complaint is
// answered: an admin cannot release it while the complaint is being handled
// (the recording is its evidence). Other holds are not guarded.
func TestHoldGuardKeepsComplaintHolds(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.recs.GuardHolds(complaint.HoldGuard(e.store))
	if _, err := e.recs.Register(ctx, fri, recording.Registration{ID: "r-1", Callee: callee, StartedAt: fri.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := e.recs.Hold(ctx, "r-1", recording.Hold{ID: "litigation-1", PlacedAt: fri}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.desk.File(ctx, fri, complaint.Filing{ID: "cp-1", Number: callee, Channel: complaint.ChannelPhone}); err != nil {
		t.Fatal(err)
	}
	hold := complaint.HoldPrefix + "cp-1"
	if err := e.recs.ReleaseHold(ctx, "r-1", hold); !errors.Is(err, recording.ErrHoldProtected) {
		t.Fatalf("release of an open complaint's hold: %v, want ErrHoldProtected", err)
	}
	if err := e.desk.Resolve(ctx, "cp-1", fri.Add(time.Hour), "verified, listed"); err != nil {
		t.Fatal(err)
	}
	if err := e.recs.ReleaseHold(ctx, "r-1", hold); !errors.Is(err, recording.ErrHoldProtected) {
		t.Fatalf("release of a handled but unanswered complaint's hold: %v, want ErrHoldProtected", err)
	}
	if err := e.recs.ReleaseHold(ctx, "r-1", "litigation-1"); err != nil {
		t.Fatalf("another hold: %v", err)
	}
	if err := e.desk.Answer(ctx, "cp-1", fri.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := e.recs.ReleaseHold(ctx, "r-1", hold); err != nil {
		t.Fatalf("release after the complaint was answered: %v", err)
	}
	// The hold of a complaint the store does not know is not protected.
	if err := e.recs.Hold(ctx, "r-1", recording.Hold{ID: complaint.HoldPrefix + "gone", PlacedAt: fri}); err != nil {
		t.Fatal(err)
	}
	if err := e.recs.ReleaseHold(ctx, "r-1", complaint.HoldPrefix+"gone"); err != nil {
		t.Fatalf("hold of an unknown complaint: %v", err)
	}
}
