package recording_test

import (
	"context"
	"errors"
	"testing"

	"github.com/dialgate/dialgate/recording"
)

// hookBlob runs before() just before each media delete: another caller acting
// while a sweep has marked a recording and is about to delete its media.
type hookBlob struct {
	recording.Blob
	before func()
}

func (h *hookBlob) Delete(ctx context.Context, uri string) error {
	if h.before != nil {
		h.before()
	}
	return h.Blob.Delete(ctx, uri)
}

// A hold placed while a sweep is deleting the recording must either be refused
// (ErrDeleting) or keep the media; it must never succeed and leave a held
// recording whose media the sweep then deletes.
func TestHoldRacingSweep(t *testing.T) {
	ctx := context.Background()
	hb := &hookBlob{}
	f := newFixture(t, recording.Config{}, func(b recording.Blob) recording.Blob { hb.Blob = b; return hb })
	f.register(t, "a")
	var holdErr error
	hb.before = func() {
		hb.before = nil
		holdErr = f.mgr.Hold(ctx, "a", recording.Hold{ID: "complaint:c-1", PlacedAt: start.Add(31 * day)})
	}
	rep, sweepErr := f.mgr.Sweep(ctx, start.Add(31*day))
	r, getErr := f.mgr.Get(ctx, "a")
	t.Logf("hold: %v; sweep: %+v %v; recording: %+v %v; media: %v", holdErr, rep, sweepErr, r, getErr, f.mediaExists("a"))
	switch {
	case holdErr == nil:
		if !f.mediaExists("a") {
			t.Fatal("the hold was accepted but the sweep deleted the media it holds")
		}
		if getErr != nil || !r.Held() {
			t.Fatalf("the hold was accepted but the recording is %+v (%v)", r, getErr)
		}
	case errors.Is(holdErr, recording.ErrDeleting):
		if sweepErr != nil || len(rep.Deleted) != 1 {
			t.Fatalf("sweep after a refused hold: %+v %v", rep, sweepErr)
		}
	default:
		t.Fatalf("hold during the sweep: %v", holdErr)
	}
	assertConsistent(t, f)
}
