package recording_test

import (
	"context"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/recording"
)

// TestSweepKeepsMediaAnOldSpellingShares: a record an earlier build stored
// names its media in another spelling ("file:./a.wav") than the canonical
// one a registration now must use ("file:a.wav"). The sweep keeps media
// another live recording still names; compared as strings, the two URIs
// differed, so sweeping the old record deleted the file the new, held
// recording names. Both name one file: only the old record goes.
func TestSweepKeepsMediaAnOldSpellingShares(t *testing.T) {
	ctx := context.Background()
	for _, old := range []string{"file:./a.wav", "file:x/../a.wav", "file:.//a.wav"} {
		f := newFixture(t, recording.Config{}, nil)
		f.register(t, "a")
		if err := f.store.UpdateRecording(ctx, "a", func(r *recording.Recording) error {
			r.MediaURI = old // as an earlier build stored it
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		later := start.Add(20 * day)
		if _, err := f.mgr.Register(ctx, later, recording.Registration{
			ID: "b", Callee: callee, StartedAt: later, MediaURI: "file:a.wav",
		}); err != nil {
			t.Fatal(err)
		}
		if err := f.mgr.Hold(ctx, "b", recording.Hold{ID: "litigation-1", PlacedAt: later}); err != nil {
			t.Fatal(err)
		}
		rep, err := f.mgr.Sweep(ctx, start.Add(40*day))
		if err != nil || strings.Join(rep.Deleted, ",") != "a" {
			t.Fatalf("%s: sweep: %+v %v; want a deleted", old, rep, err)
		}
		if !f.mediaExists("a") {
			t.Errorf("%s: the media of b (held) deleted with a's record", old)
		}
	}
}
