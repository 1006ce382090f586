package recording_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage/memstore"
)

// openComplaints is a stand-in for complaint.RecordingHolds: the holds of
// the complaints filed about a callee and not yet answered.
type openComplaints struct {
	mu    sync.Mutex
	holds map[string][]recording.Hold // by callee hash
}

func (o *openComplaints) file(callee string, h recording.Hold) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.holds == nil {
		o.holds = map[string][]recording.Hold{}
	}
	o.holds[callee] = append(o.holds[callee], h)
}

func (o *openComplaints) calleeHolds(_ context.Context, callee string, t time.Time) ([]recording.Hold, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var hs []recording.Hold
	for _, h := range o.holds[callee] {
		h.PlacedAt = t
		hs = append(hs, h)
	}
	return hs, nil
}

// A complaint about the callee is filed while a sweep is deleting one of
// the callee's recordings: its hold is refused (ErrDeleting, HoldCallee
// skips the recording). The sweep's media delete then fails with the media
// still there, and the sweep puts the recording back to active, so that it
// can be held. Nothing held it, though: the next sweep deleted the
// evidence of a complaint not yet answered. Putting a recording back to
// active must give it the holds of its callee's open complaints
// (Manager.HoldNew), as a registration does.
func TestUndoneDeletionKeepsComplaintHold(t *testing.T) {
	ctx := context.Background()
	open := &openComplaints{}
	failOnce := true
	var mgr *recording.Manager
	var skipped []string
	f := newFixture(t, recording.Config{}, func(b recording.Blob) recording.Blob {
		return funcBlob{Blob: b, del: func(ctx context.Context, uri string) error {
			if failOnce {
				failOnce = false
				// The complaint arrives while the media is being deleted.
				h := recording.Hold{ID: "complaint:cp-1", Reason: "complaint cp-1"}
				open.file(testHasher{}.HashCallee(callee), h)
				held, err := mgr.HoldCallee(ctx, callee, h)
				if err != nil {
					t.Errorf("HoldCallee during the sweep: %v", err)
				}
				if len(held) == 0 {
					skipped = append(skipped, "a")
				}
				return errors.New("media store: transient failure")
			}
			return b.Delete(ctx, uri)
		}}
	})
	mgr = f.mgr
	mgr.HoldNew(open.calleeHolds)
	f.register(t, "a")
	rep, err := mgr.Sweep(ctx, start.Add(31*day))
	if err == nil || len(rep.Failed) != 1 {
		t.Fatalf("sweep with a failing media delete: %+v %v, want one failure", rep, err)
	}
	if len(skipped) != 1 {
		t.Fatalf("the complaint's hold was placed during the sweep; the test wants it skipped (ErrDeleting)")
	}
	if r, err := mgr.Get(ctx, "a"); err != nil || r.State != recording.StateActive {
		t.Fatalf("after the failed sweep: %+v %v; want it active", r, err)
	}
	rep, err = mgr.Sweep(ctx, start.Add(32*day))
	if err != nil || len(rep.Deleted) != 0 || !f.mediaExists("a") {
		t.Fatalf("second sweep: %+v %v: deleted the recording of an open complaint", rep, err)
	}
	if len(rep.Skipped) != 1 || rep.Skipped[0].Reason != "held" {
		t.Errorf("second sweep: skipped %+v, want a skipped as held", rep.Skipped)
	}
	if r, err := mgr.Get(ctx, "a"); err != nil || !r.Held() || r.Holds[0].ID != "complaint:cp-1" {
		t.Errorf("after the second sweep: %+v %v; want it held by complaint:cp-1", r, err)
	}
	if err := mgr.Delete(ctx, "a", start.Add(33*day)); !errors.Is(err, recording.ErrHeld) {
		t.Errorf("Delete: %v, want ErrHeld", err)
	}
	assertConsistent(t, f)
}

// When the callee's complaints cannot be looked up, a sweep does not delete
// the recording (it may be the evidence of an open complaint): it fails it,
// names why, and leaves it active.
func TestSweepComplaintLookupFailureKeeps(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, recording.Config{}, nil)
	f.register(t, "a")
	f.mgr.HoldNew(func(context.Context, string, time.Time) ([]recording.Hold, error) {
		return nil, errors.New("complaint store: connection refused")
	})
	rep, err := f.mgr.Sweep(ctx, start.Add(31*day))
	if err == nil || len(rep.Failed) != 1 || len(rep.Deleted) != 0 || !f.mediaExists("a") {
		t.Fatalf("sweep with the complaint store down: %+v %v, want a failed and kept", rep, err)
	}
	if !strings.Contains(err.Error(), "complaint") {
		t.Errorf("error %q does not say the complaint look-up failed", err)
	}
	if r, err := f.mgr.Get(ctx, "a"); err != nil || r.State != recording.StateActive {
		t.Fatalf("after the sweep: %+v %v; want it active", r, err)
	}
}

// TestUndoneDeletionKeepsComplaintHoldOtherSpelling is
// TestUndoneDeletionKeepsComplaintHold for a French overseas line whose
// recording was registered under one spelling (+596 596 …) and whose
// complaint was filed under the other (+33 596 …): the complaint's hold
// reached both spellings' recordings (HoldCallee) but skipped this one, being
// deleted; the sweep put it back to active; the next sweep looked up the
// complaints of the recording's own spelling only, found none, and deleted
// the evidence of a complaint not yet answered.
func TestUndoneDeletionKeepsComplaintHoldOtherSpelling(t *testing.T) {
	ctx := context.Background()
	own, fr := overseasLine()
	dir, fsb := mediaA(t)
	var mgr *recording.Manager
	var skipped bool
	open, blob := complaintDuringFirstDelete(t, fsb, fr, &mgr, func(held []string) { skipped = len(held) == 0 })
	mgr, err := recording.NewManager(recording.Config{}, memstore.New(), blob, digitsHasher{})
	if err != nil {
		t.Fatal(err)
	}
	mgr.HoldNew(open.calleeHolds)
	if _, err := mgr.Register(ctx, start, recording.Registration{ID: "a", Callee: own, StartedAt: start, MediaURI: "file:a.wav"}); err != nil {
		t.Fatal(err)
	}
	if rep, err := mgr.Sweep(ctx, start.Add(31*day)); err == nil || len(rep.Failed) != 1 || !skipped {
		t.Fatalf("sweep with a failing media delete: %+v %v (hold skipped: %v), want one failure and the hold skipped", rep, err, skipped)
	}
	wantKeptForComplaint(ctx, t, mgr, dir, "the recording")
}

// complaintDuringFirstDelete is fsb whose first Delete, as a complaint
// about callee is filed during the sweep, files complaint cp-1 in open,
// holds callee's recordings through *mgr (HoldCallee; held, if not nil,
// gets what it held) and fails (a transient media store failure); later
// Deletes go through.
func complaintDuringFirstDelete(t *testing.T, fsb *recording.FSBlob, callee dialgate.Number, mgr **recording.Manager, held func([]string)) (*openComplaints, funcBlob) {
	open := &openComplaints{}
	failOnce := true
	return open, funcBlob{Blob: fsb, del: func(ctx context.Context, uri string) error {
		if failOnce {
			failOnce = false
			h := recording.Hold{ID: "complaint:cp-1", Reason: "complaint cp-1"}
			open.file(digitsHasher{}.HashCallee(callee), h)
			ids, err := (*mgr).HoldCallee(ctx, callee, h)
			if err != nil {
				t.Errorf("HoldCallee during the sweep: %v", err)
			}
			if held != nil {
				held(ids)
			}
			return errors.New("media store: transient failure")
		}
		return fsb.Delete(ctx, uri)
	}}
}

// wantKeptForComplaint asserts that the sweep after the one whose media
// delete failed (at 32 days) keeps recording a and its media a.wav in dir,
// held by complaint:cp-1; what names a in the failure message.
func wantKeptForComplaint(ctx context.Context, t *testing.T, mgr *recording.Manager, dir, what string) {
	t.Helper()
	rep, err := mgr.Sweep(ctx, start.Add(32*day))
	if _, serr := os.Stat(filepath.Join(dir, "a.wav")); err != nil || len(rep.Deleted) != 0 || serr != nil {
		t.Fatalf("second sweep: %+v %v: deleted %s of an open complaint filed under its other spelling", rep, err, what)
	}
	if r, err := mgr.Get(ctx, "a"); err != nil || !r.Held() || r.Holds[0].ID != "complaint:cp-1" {
		t.Errorf("after the second sweep: %+v %v; want it held by complaint:cp-1", r, err)
	}
}
