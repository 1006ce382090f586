package recording_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/recording"
)

// The mirror of TestUndoRacingSecondSweep. Sweep A marks the recording
// deleting and starts deleting its media (a slow media store). Sweep B
// (another host's cron, or the CLI beside the sidecar) takes the deletion
// over; its own media delete fails at once, and the media is still there,
// A's delete not having landed yet. B used to put the recording back to
// active, since the stored token was its own; a legal hold was then
// accepted, and A's delete then took the media away from a held recording.
// A sweep that took a deletion over must leave it marked: the sweep it took
// it from may still be deleting the media.
func TestTakenOverDeletionNotUndone(t *testing.T) {
	ctx := context.Background()
	var fsb recording.Blob
	var inA func()
	f := newFixture(t, recording.Config{}, func(b recording.Blob) recording.Blob {
		fsb = b
		return funcBlob{Blob: b, del: func(ctx context.Context, uri string) error {
			inA() // while A's media delete is in flight
			return fsb.Delete(ctx, uri)
		}}
	})
	f.register(t, "a")
	mgrB, err := recording.NewManager(recording.Config{}, f.store, funcBlob{Blob: fsb, del: func(context.Context, string) error {
		return errors.New("media store: transient failure")
	}}, testHasher{})
	if err != nil {
		t.Fatal(err)
	}
	var errB, holdErr error
	inA = func() {
		errB = mgrB.Delete(ctx, "a", start.Add(31*day))
		holdErr = f.mgr.Hold(ctx, "a", recording.Hold{ID: "litigation-1", PlacedAt: start.Add(31 * day)})
	}
	_, errA := f.mgr.Sweep(ctx, start.Add(31*day))
	r, getErr := f.mgr.Get(ctx, "a")
	t.Logf("sweep A: %v; sweep B: %v; hold: %v; recording: %+v %v; media: %v", errA, errB, holdErr, r, getErr, f.mediaExists("a"))
	if errB == nil {
		t.Fatal("sweep B's media delete failed, but its Delete did not")
	}
	switch {
	case holdErr == nil:
		t.Fatalf("a hold was accepted while sweep A was deleting the media (media there now: %v)", f.mediaExists("a"))
	case errors.Is(holdErr, recording.ErrDeleting):
		if errA != nil || !errors.Is(getErr, recording.ErrNotFound) || f.mediaExists("a") {
			t.Fatalf("the hold was refused, but sweep A did not finish: %v; recording %+v %v", errA, r, getErr)
		}
	default:
		t.Fatalf("hold: %v", holdErr)
	}
	assertConsistent(t, f)
}

// lockedDeleteStore refuses every DeleteRecording as a store does for a
// record that is no longer marked deleting.
type lockedDeleteStore struct{ recording.Store }

func (lockedDeleteStore) DeleteRecording(_ context.Context, id string, _ time.Time) error {
	return fmt.Errorf("store: recording %s is active, not deleting: %w", id, recording.ErrRetentionLocked)
}

// A sweep that deleted the media and then could not remove the record
// reports a failure, never "retention period not over": the media is gone.
func TestMediaDeletedRecordLeftIsFailure(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, recording.Config{}, nil)
	f.register(t, "a")
	m, err := recording.NewManager(recording.Config{}, lockedDeleteStore{f.store}, f.blob, testHasher{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := m.Sweep(ctx, start.Add(31*day))
	if err == nil || len(rep.Failed) != 1 || len(rep.Skipped) != 0 || !strings.Contains(err.Error(), "media") {
		t.Fatalf("sweep: %+v %v, want a failed naming its deleted media", rep, err)
	}
}
