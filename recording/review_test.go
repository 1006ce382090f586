package recording_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/recording"
)

// A sweep by a Manager without a media store (dialgate recordings sweep run
// without --media-root) cannot delete a recording that has media. It must
// fail that recording and leave it exactly as it was: still active, so that a
// legal hold or a complaint can still keep it. It used to mark it deleting
// first, after which every hold was refused (ErrDeleting) and a complaint's
// HoldCallee skipped it without a word.
func TestSweepWithoutMediaStoreLeavesRecordingHoldable(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, recording.Config{}, nil)
	f.register(t, "a")
	noMedia, err := recording.NewManager(recording.Config{}, f.store, nil, testHasher{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := noMedia.Sweep(ctx, start.Add(31*day))
	if err == nil || len(rep.Failed) != 1 || len(rep.Deleted) != 0 {
		t.Fatalf("sweep without a media store: %+v %v, want one failure", rep, err)
	}
	if err := noMedia.Delete(ctx, "a", start.Add(31*day)); err == nil || !strings.Contains(err.Error(), "media") {
		t.Fatalf("delete without a media store: %v, want an error naming the media", err)
	}
	r, err := f.mgr.Get(ctx, "a")
	if err != nil || r.State != recording.StateActive {
		t.Fatalf("recording after the failed sweep: %+v %v, want it still active", r, err)
	}
	held, err := f.mgr.HoldCallee(ctx, callee, recording.Hold{ID: "complaint:cp-1", PlacedAt: start.Add(31 * day)})
	if err != nil || strings.Join(held, ",") != "a" {
		t.Fatalf("complaint hold after the failed sweep: %v %v", held, err)
	}
	if err := f.mgr.Hold(ctx, "a", recording.Hold{ID: "litigation-1"}); errors.Is(err, recording.ErrDeleting) || err != nil {
		t.Fatalf("legal hold after the failed sweep: %v", err)
	}
	if rep, _ := f.mgr.Sweep(ctx, start.Add(32*day)); len(rep.Deleted) != 0 || !f.mediaExists("a") {
		t.Fatalf("held recording swept: %+v", rep)
	}
	assertConsistent(t, f)
}

// funcBlob deletes through del (the wrapped Blob answers Exists).
type funcBlob struct {
	recording.Blob
	del func(ctx context.Context, uri string) error
}

func (b funcBlob) Delete(ctx context.Context, uri string) error { return b.del(ctx, uri) }

// Two sweeps (a cron job on two hosts, or a manual sweep during the nightly
// one) delete the same recording. Sweep A marks it deleting; sweep B picks
// up the deletion and is about to delete the media; A's media delete fails,
// the media is still there, so A puts the recording back to active; a legal
// hold is then placed and accepted; B then deletes the media. A hold that
// was accepted must keep the media: A may only undo a deletion no other
// sweep has taken over.
func TestUndoRacingSecondSweep(t *testing.T) {
	ctx := context.Background()
	var fsb recording.Blob
	var sweepB func()
	f := newFixture(t, recording.Config{}, func(b recording.Blob) recording.Blob {
		fsb = b
		return funcBlob{Blob: b, del: func(context.Context, string) error {
			sweepB() // B takes over and reaches its media delete
			return errCrash
		}}
	})
	f.register(t, "a")
	reached, resume, doneB := make(chan struct{}), make(chan struct{}), make(chan struct{})
	mgrB, err := recording.NewManager(recording.Config{}, f.store, funcBlob{Blob: fsb, del: func(ctx context.Context, uri string) error {
		close(reached)
		<-resume
		return fsb.Delete(ctx, uri)
	}}, testHasher{})
	if err != nil {
		t.Fatal(err)
	}
	var errB error
	sweepB = func() {
		go func() {
			defer close(doneB)
			errB = mgrB.Delete(ctx, "a", start.Add(31*day))
		}()
		<-reached
	}
	_, errA := f.mgr.Sweep(ctx, start.Add(31*day))
	holdErr := f.mgr.Hold(ctx, "a", recording.Hold{ID: "litigation-1", PlacedAt: start.Add(31 * day)})
	close(resume)
	<-doneB
	r, getErr := f.mgr.Get(ctx, "a")
	t.Logf("sweep A: %v; hold: %v; sweep B: %v; recording: %+v %v; media: %v", errA, holdErr, errB, r, getErr, f.mediaExists("a"))
	switch {
	case holdErr == nil:
		if !f.mediaExists("a") {
			t.Fatal("the hold was accepted but the second sweep deleted the media it holds")
		}
	case errors.Is(holdErr, recording.ErrDeleting):
		if errB != nil || getErr == nil || f.mediaExists("a") {
			t.Fatalf("the hold was refused but the second sweep did not finish: %v", errB)
		}
	default:
		t.Fatalf("hold: %v", holdErr)
	}
	assertConsistent(t, f)
}

// One media file registered twice, under two ids (a dialer that retried a
// registration under a new id): sweeping the first must not delete the media
// the second, held, still names. The first record goes; the media goes with
// the last recording that names it.
func TestSweepKeepsMediaAnotherRecordingNames(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, recording.Config{}, nil)
	f.register(t, "a")
	if _, err := f.mgr.Register(ctx, start.Add(time.Hour), recording.Registration{
		ID: "b", Callee: callee, StartedAt: start.Add(time.Hour), MediaURI: "file:a.wav",
	}); err != nil {
		t.Fatal(err)
	}
	if err := f.mgr.Hold(ctx, "b", recording.Hold{ID: "litigation-1", PlacedAt: start.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	rep, err := f.mgr.Sweep(ctx, start.Add(40*day))
	if err != nil || strings.Join(rep.Deleted, ",") != "a" {
		t.Fatalf("sweep: %+v %v, want a deleted", rep, err)
	}
	if !f.mediaExists("a") {
		t.Fatal("the media of held recording b was deleted with a, which named the same file")
	}
	if err := f.mgr.ReleaseHold(ctx, "b", "litigation-1"); err != nil {
		t.Fatal(err)
	}
	rep, err = f.mgr.Sweep(ctx, start.Add(41*day))
	if err != nil || strings.Join(rep.Deleted, ",") != "b" || f.mediaExists("a") {
		t.Fatalf("sweep after the release: %+v %v, media there: %v; want b and the media deleted", rep, err, f.mediaExists("a"))
	}
	assertConsistent(t, f)
}
