package recording_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage/memstore"
)

// stripAlias makes recording id a record of a build before
// Recording.CalleeAlias: the same record without it.
func stripAlias(t *testing.T, st *memstore.Store, id string) {
	t.Helper()
	if err := st.UpdateRecording(context.Background(), id, func(r *recording.Recording) error {
		if r.CalleeAlias == "" {
			return errors.New("no alias to strip: not a French overseas line")
		}
		r.CalleeAlias = ""
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestUndoneDeletionKeepsComplaintHoldOldRecord is
// TestUndoneDeletionKeepsComplaintHoldOtherSpelling for a recording stored
// before CalleeAlias existed: the sweep's look-up of its callee's complaints
// had only the recording's own spelling, so the complaint filed under the
// other one (whose hold skipped the recording while it was marked) was
// missed and the evidence deleted. The complaint's HoldCallee, which knows
// the number, now gives such a record its alias, marked or not.
func TestUndoneDeletionKeepsComplaintHoldOldRecord(t *testing.T) {
	ctx := context.Background()
	own, fr := overseasLine()
	dir, fsb := mediaA(t)
	var mgr *recording.Manager
	open, blob := complaintDuringFirstDelete(t, fsb, fr, &mgr, nil)
	st := memstore.New()
	mgr, err := recording.NewManager(recording.Config{}, st, blob, digitsHasher{})
	if err != nil {
		t.Fatal(err)
	}
	mgr.HoldNew(open.calleeHolds)
	if _, err := mgr.Register(ctx, start, recording.Registration{ID: "a", Callee: own, StartedAt: start, MediaURI: "file:a.wav"}); err != nil {
		t.Fatal(err)
	}
	stripAlias(t, st, "a")
	if rep, err := mgr.Sweep(ctx, start.Add(31*day)); err == nil || len(rep.Failed) != 1 {
		t.Fatalf("sweep with a failing media delete: %+v %v, want one failure", rep, err)
	}
	wantKeptForComplaint(ctx, t, mgr, dir, "an earlier build's recording")
}

// TestSweepKeepsMediaOtherSpellingOldRecord is
// TestSweepKeepsMediaOtherSpellingNames where the first registration was
// stored before CalleeAlias existed: its sweep looked for other recordings
// of its media under its own spelling only and deleted the media the held
// recording of the other spelling names. Registering the other spelling,
// which knows the number, now gives the earlier record its alias.
func TestSweepKeepsMediaOtherSpellingOldRecord(t *testing.T) {
	ctx := context.Background()
	own, fr := overseasLine()
	dir, fsb := mediaA(t)
	st := memstore.New()
	mgr, err := recording.NewManager(recording.Config{}, st, fsb, digitsHasher{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mgr.Register(ctx, start, recording.Registration{ID: "a", Callee: own, StartedAt: start, MediaURI: "file:a.wav"}); err != nil {
		t.Fatal(err)
	}
	stripAlias(t, st, "a")
	if _, err := mgr.Register(ctx, start.Add(time.Minute), recording.Registration{ID: "b", Callee: fr, StartedAt: start.Add(time.Minute), MediaURI: "file:a.wav"}); err != nil {
		t.Fatal(err)
	}
	wantMediaKeptForB(ctx, t, mgr, dir, "an earlier build's a")
}
