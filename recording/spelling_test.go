package recording_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage/memstore"
)

// digitsHasher hashes the whole number, so that a line's two spellings
// hash apart as they do under the audit log's keyed hash.
type digitsHasher struct{}

func (digitsHasher) HashCallee(n dialgate.Number) string { return "h:" + n.Digits() }

// A complaint about a French overseas line holds its recordings under both
// spellings (+596 596 … and +33 596 …): those registered before the
// complaint, and those registered while it is open.
func TestHoldCalleeOverseasSpellings(t *testing.T) {
	ctx := context.Background()
	own := dialgate.MustParseNumber("+596596000101")
	fr := dialgate.MustParseNumber("+33596000101")
	mgr, err := recording.NewManager(recording.Config{}, memstore.New(), nil, digitsHasher{})
	if err != nil {
		t.Fatal(err)
	}
	h := recording.Hold{ID: "complaint:cp-1", PlacedAt: start}
	mgr.HoldNew(func(ctx context.Context, callee string, at time.Time) ([]recording.Hold, error) {
		if callee == "h:"+own.Digits() {
			return []recording.Hold{h}, nil // the complaint was filed under +596 …
		}
		return nil, nil
	})
	for _, reg := range []recording.Registration{{ID: "a", Callee: fr, StartedAt: start}, {ID: "b", Callee: own, StartedAt: start}} {
		r, err := mgr.Register(ctx, start, reg)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Holds) != 1 {
			t.Errorf("recording %s of %s registered during the complaint has holds %+v, want the complaint's", reg.ID, reg.Callee, r.Holds)
		}
	}
	mgr2, err := recording.NewManager(recording.Config{}, memstore.New(), nil, digitsHasher{})
	if err != nil {
		t.Fatal(err)
	}
	for _, reg := range []recording.Registration{{ID: "a", Callee: fr, StartedAt: start}, {ID: "b", Callee: own, StartedAt: start}} {
		if _, err := mgr2.Register(ctx, start, reg); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []dialgate.Number{own, fr} {
		held, err := mgr2.HoldCallee(ctx, n, recording.Hold{ID: "complaint:cp-" + n.Digits(), PlacedAt: start})
		if err != nil || strings.Join(held, ",") != "a,b" && strings.Join(held, ",") != "b,a" {
			t.Errorf("HoldCallee(%s) = %v, %v; want both spellings' recordings", n, held, err)
		}
	}
}

// TestSweepKeepsMediaOtherSpellingNames is
// TestSweepKeepsMediaAnotherRecordingNames for a French overseas line whose
// media was registered twice, once under each spelling (+596 596 …,
// +33 596 …): the sweep looked for other recordings of the media among
// the recordings of the swept one's spelling only, and deleted the media
// the other, held, recording still names.
func TestSweepKeepsMediaOtherSpellingNames(t *testing.T) {
	ctx := context.Background()
	own, fr := overseasLine()
	dir, fsb := mediaA(t)
	mgr, err := recording.NewManager(recording.Config{}, memstore.New(), fsb, digitsHasher{})
	if err != nil {
		t.Fatal(err)
	}
	for _, reg := range []recording.Registration{
		{ID: "a", Callee: own, StartedAt: start, MediaURI: "file:a.wav"},
		{ID: "b", Callee: fr, StartedAt: start.Add(time.Minute), MediaURI: "file:a.wav"},
	} {
		if _, err := mgr.Register(ctx, reg.StartedAt, reg); err != nil {
			t.Fatal(err)
		}
	}
	wantMediaKeptForB(ctx, t, mgr, dir, "a")
}

// overseasLine is a French overseas line's two spellings: own (+596 596 …)
// and fr (+33 596 …).
func overseasLine() (own, fr dialgate.Number) {
	return dialgate.MustParseNumber("+596596000101"), dialgate.MustParseNumber("+33596000101")
}

// mediaA is an FSBlob over a fresh directory dir holding the media file
// a.wav (MediaURI "file:a.wav").
func mediaA(t *testing.T) (dir string, fsb *recording.FSBlob) {
	t.Helper()
	dir = t.TempDir()
	fsb, err := recording.NewFSBlob(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsb.Close() })
	if err := os.WriteFile(filepath.Join(dir, "a.wav"), []byte("RIFF"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, fsb
}

// wantMediaKeptForB holds recording b (which names a.wav, as a does) and
// asserts that a sweep at 40 days deletes a but keeps a.wav in dir; what
// names a in the failure message.
func wantMediaKeptForB(ctx context.Context, t *testing.T, mgr *recording.Manager, dir, what string) {
	t.Helper()
	if err := mgr.Hold(ctx, "b", recording.Hold{ID: "litigation-1", PlacedAt: start}); err != nil {
		t.Fatal(err)
	}
	rep, err := mgr.Sweep(ctx, start.Add(40*day))
	if err != nil || strings.Join(rep.Deleted, ",") != "a" {
		t.Fatalf("sweep: %+v %v, want a deleted", rep, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "a.wav")); err != nil {
		t.Fatalf("the media of held recording b (the line's other spelling) was deleted with %s: %v", what, err)
	}
}
