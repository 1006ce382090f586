package recording_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage"
)

// getFailsOnce is a store whose next GetRecording fails as an outage
// (a dropped connection, a timeout) while every other call succeeds.
type getFailsOnce struct {
	recording.Store
	fail atomic.Bool
}

func (s *getFailsOnce) GetRecording(ctx context.Context, id string) (recording.Recording, error) {
	if s.fail.CompareAndSwap(true, false) {
		return recording.Recording{}, fmt.Errorf("store: GetRecording %s: %w", id, storage.ErrUnavailable)
	}
	return s.Store.GetRecording(ctx, id)
}

// TestSweepReadErrorKeepsComplaintHold: before deleting a recording a sweep
// gives it the holds of its callee's unanswered complaints (the safety net
// for a complaint whose own hold missed it). When reading the recording for
// that fails, the sweep must leave the recording in place (fail closed),
// not go on to delete it as if its callee had no complaint.
func TestSweepReadErrorKeepsComplaintHold(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, recording.Config{}, nil)
	st := &getFailsOnce{Store: f.store}
	m, err := recording.NewManager(recording.Config{}, st, f.blob, testHasher{})
	if err != nil {
		t.Fatal(err)
	}
	var open bool
	m.HoldNew(func(context.Context, string, time.Time) ([]recording.Hold, error) {
		if !open {
			return nil, nil
		}
		return []recording.Hold{{ID: "complaint:cp-1", Reason: "complaint cp-1", PlacedAt: start}}, nil
	})
	f.register(t, "r-1")
	open = true // a complaint about the callee, whose own hold missed r-1
	st.fail.Store(true)
	rep, err := m.Sweep(ctx, start.Add(recording.MinRetention+time.Hour))
	if !f.mediaExists("r-1") {
		t.Fatalf("Sweep = %+v, %v: r-1's media deleted although its callee has an open complaint", rep, err)
	}
	if _, gerr := f.mgr.Get(ctx, "r-1"); gerr != nil {
		t.Fatalf("r-1's record: %v", gerr)
	}
	if err == nil || len(rep.Failed) != 1 || len(rep.Deleted) != 0 {
		t.Errorf("Sweep = %+v, %v; want r-1 failed (left in place), the error reported", rep, err)
	}
	// The next sweep, the store back, holds it for the complaint.
	rep, err = m.Sweep(ctx, start.Add(recording.MinRetention+time.Hour))
	if err != nil || len(rep.Skipped) != 1 || rep.Skipped[0].Reason != "held" {
		t.Errorf("second Sweep = %+v, %v; want r-1 skipped as held", rep, err)
	}
}
