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
	var skipped bool
	blob := funcBlob{Blob: fsb, del: func(ctx context.Context, uri string) error {
		if failOnce {
			failOnce = false
			h := recording.Hold{ID: "complaint:cp-1", Reason: "complaint cp-1"}
			open.file(digitsHasher{}.HashCallee(fr), h)
			held, err := mgr.HoldCallee(ctx, fr, h)
			if err != nil {
				t.Errorf("HoldCallee during the sweep: %v", err)
			}
			skipped = len(held) == 0
			return errors.New("media store: transient failure")
		}
		return fsb.Delete(ctx, uri)
	}}
	mgr, err = recording.NewManager(recording.Config{}, memstore.New(), blob, digitsHasher{})
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
	if rep, err := mgr.Sweep(ctx, start.Add(31*day)); err == nil || len(rep.Failed) != 1 || !skipped {
		t.Fatalf("sweep with a failing media delete: %+v %v (hold skipped: %v), want one failure and the hold skipped", rep, err, skipped)
	}
	rep, err := mgr.Sweep(ctx, start.Add(32*day))
	if _, serr := os.Stat(filepath.Join(dir, "a.wav")); err != nil || len(rep.Deleted) != 0 || serr != nil {
		t.Fatalf("second sweep: %+v %v: deleted the recording of an open complaint filed under its other spelling", rep, err)
	}
	if r, err := mgr.Get(ctx, "a"); err != nil || !r.Held() || r.Holds[0].ID != "complaint:cp-1" {
		t.Errorf("after the second sweep: %+v %v; want it held by complaint:cp-1", r, err)
	}
}
