package recording_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
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
	own := dialgate.MustParseNumber("+596596000101")
	fr := dialgate.MustParseNumber("+33596000101")
	dir := t.TempDir()
	fsb, err := recording.NewFSBlob(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsb.Close() })
	open := &openComplaints{}
	failOnce := true
	var mgr *recording.Manager
	blob := funcBlob{Blob: fsb, del: func(ctx context.Context, uri string) error {
		if failOnce {
			failOnce = false
			h := recording.Hold{ID: "complaint:cp-1", Reason: "complaint cp-1"}
			open.file(digitsHasher{}.HashCallee(fr), h)
			if _, err := mgr.HoldCallee(ctx, fr, h); err != nil {
				t.Errorf("HoldCallee during the sweep: %v", err)
			}
			return errors.New("media store: transient failure")
		}
		return fsb.Delete(ctx, uri)
	}}
	st := memstore.New()
	mgr, err = recording.NewManager(recording.Config{}, st, blob, digitsHasher{})
	if err != nil {
		t.Fatal(err)
	}
	mgr.HoldNew(open.calleeHolds)
	if err := os.WriteFile(filepath.Join(dir, "a.wav"), []byte("RIFF"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := mgr.Register(ctx, start, recording.Registration{ID: "a", Callee: own, StartedAt: start, MediaURI: "file:a.wav"}); err != nil {
		t.Fatal(err)
	}
	stripAlias(t, st, "a")
	if rep, err := mgr.Sweep(ctx, start.Add(31*day)); err == nil || len(rep.Failed) != 1 {
		t.Fatalf("sweep with a failing media delete: %+v %v, want one failure", rep, err)
	}
	rep, err := mgr.Sweep(ctx, start.Add(32*day))
	if _, serr := os.Stat(filepath.Join(dir, "a.wav")); err != nil || len(rep.Deleted) != 0 || serr != nil {
		t.Fatalf("second sweep: %+v %v: deleted an earlier build's recording of an open complaint filed under its other spelling", rep, err)
	}
	if r, err := mgr.Get(ctx, "a"); err != nil || !r.Held() || r.Holds[0].ID != "complaint:cp-1" {
		t.Errorf("after the second sweep: %+v %v; want it held by complaint:cp-1", r, err)
	}
}

// TestSweepKeepsMediaOtherSpellingOldRecord is
// TestSweepKeepsMediaOtherSpellingNames where the first registration was
// stored before CalleeAlias existed: its sweep looked for other recordings
// of its media under its own spelling only and deleted the media the held
// recording of the other spelling names. Registering the other spelling,
// which knows the number, now gives the earlier record its alias.
func TestSweepKeepsMediaOtherSpellingOldRecord(t *testing.T) {
	ctx := context.Background()
	own := dialgate.MustParseNumber("+596596000101")
	fr := dialgate.MustParseNumber("+33596000101")
	dir := t.TempDir()
	fsb, err := recording.NewFSBlob(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsb.Close() })
	st := memstore.New()
	mgr, err := recording.NewManager(recording.Config{}, st, fsb, digitsHasher{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a.wav"), []byte("RIFF"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := mgr.Register(ctx, start, recording.Registration{ID: "a", Callee: own, StartedAt: start, MediaURI: "file:a.wav"}); err != nil {
		t.Fatal(err)
	}
	stripAlias(t, st, "a")
	if _, err := mgr.Register(ctx, start.Add(time.Minute), recording.Registration{ID: "b", Callee: fr, StartedAt: start.Add(time.Minute), MediaURI: "file:a.wav"}); err != nil {
		t.Fatal(err)
	}
	if err := mgr.Hold(ctx, "b", recording.Hold{ID: "litigation-1", PlacedAt: start}); err != nil {
		t.Fatal(err)
	}
	rep, err := mgr.Sweep(ctx, start.Add(40*day))
	if err != nil || strings.Join(rep.Deleted, ",") != "a" {
		t.Fatalf("sweep: %+v %v, want a deleted", rep, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "a.wav")); err != nil {
		t.Fatalf("the media of held recording b (the line's other spelling) was deleted with an earlier build's a: %v", err)
	}
}
