package recording_test

import (
	"context"
	"testing"

	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage/memstore"
)

// retryingStore is a recording.Store whose UpdateRecording runs fn a first
// time on the recording as a sweep had it marked for deletion, throws that
// attempt away (a store's transaction retried: boltstore's group commit
// runs fn again when another update of its batch fails), and then runs fn
// on the recording as stored: by then the sweep had put it back to active.
type retryingStore struct {
	*memstore.Store
	retry bool
}

func (s *retryingStore) UpdateRecording(ctx context.Context, id string, fn func(*recording.Recording) error) error {
	if s.retry {
		s.retry = false
		r, err := s.Store.GetRecording(ctx, id)
		if err != nil {
			return err
		}
		r.State, r.DeleteToken = recording.StateDeleting, "an earlier sweep's"
		_ = fn(&r) // the attempt rolled back
	}
	return s.Store.UpdateRecording(ctx, id, fn)
}

// TestHoldRetriedAfterDeletionUndone: a complaint's hold (HoldCallee) on an
// earlier build's recording of a French overseas line whose store ran the
// update twice — first while a sweep had the recording marked deleting,
// then, retried, once the sweep had put it back to active — placed the
// hold but reported the recording "being deleted" (ErrDeleting, skipped):
// the flag the first attempt set was never reset. The complaint desk then
// believed the recording unheld.
func TestHoldRetriedAfterDeletionUndone(t *testing.T) {
	ctx := context.Background()
	own, fr := overseasLine()
	mem := memstore.New()
	st := &retryingStore{Store: mem}
	mgr, err := recording.NewManager(recording.Config{}, st, nil, digitsHasher{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mgr.Register(ctx, start, recording.Registration{ID: "a", Callee: own, StartedAt: start}); err != nil {
		t.Fatal(err)
	}
	stripAlias(t, mem, "a")
	st.retry = true
	held, err := mgr.HoldCallee(ctx, fr, recording.Hold{ID: "complaint-1", PlacedAt: start.Add(day)})
	if err != nil {
		t.Fatal(err)
	}
	r, err := mgr.Get(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if !r.Held() {
		t.Fatalf("recording not held after HoldCallee: %+v", r)
	}
	if len(held) != 1 || held[0] != "a" {
		t.Fatalf("HoldCallee = %v, want [a]: the hold was placed, but reported as skipped (being deleted)", held)
	}
}
