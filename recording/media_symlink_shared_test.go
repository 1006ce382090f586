package recording_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage/memstore"
)

// TestSweepKeepsMediaASymlinkShares: the sweep keeps media another live
// recording still names, comparing URIs in canonical form — a form of the
// text alone (filepath.Clean), while the media root follows symbolic links
// (os.Root). Two canonical URIs can name one file: "file:current/a.wav"
// through the symlinked directory current → 2026/12 is
// "file:2026/12/a.wav", and an earlier build's "file:x/../a.wav", with x a
// symlink to 2026/12, is that file too, though its canonical form is
// "file:a.wav". Sweeping the one record deleted the file the other, held,
// recording names. They are now compared as files when both are there;
// and "file:x/../a.wav" beside a live "file:a.wav" (another file, of one
// canonical form) no longer keeps its own media for ever.
func TestSweepKeepsMediaASymlinkShares(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ a, b, gone string }{
		{"file:current/a.wav", "file:2026/12/a.wav", ""},
		{"file:x/../a.wav", "file:2026/a.wav", ""}, // x → 2026/12: x/.. is 2026
		{"file:x/../a.wav", "file:a.wav", "2026/a.wav"},
		{"file:a.wav/", "file:a.wav", ""}, // an earlier build's spelling no file answers to (not a directory)
	} {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "2026", "12"), 0o700); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"2026/12/a.wav", "2026/a.wav", "a.wav"} {
			if err := os.WriteFile(filepath.Join(dir, f), []byte("RIFF"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		for _, l := range []string{"current", "x"} {
			if err := os.Symlink(filepath.Join("2026", "12"), filepath.Join(dir, l)); err != nil {
				t.Skipf("no symbolic links here: %v", err)
			}
		}
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
		regA := recording.Registration{ID: "a", Callee: callee, StartedAt: start, MediaURI: tc.a}
		if fsb.ValidateURI(tc.a) != nil {
			regA.MediaURI = "file:a.wav" // an earlier build's spelling, stored below
		}
		if _, err := mgr.Register(ctx, start, regA); err != nil {
			t.Fatal(err)
		}
		if err := st.UpdateRecording(ctx, "a", func(r *recording.Recording) error { r.MediaURI = tc.a; return nil }); err != nil {
			t.Fatal(err)
		}
		if _, err := mgr.Register(ctx, start, recording.Registration{ID: "b", Callee: callee, StartedAt: start, MediaURI: tc.b}); err != nil {
			t.Fatal(err)
		}
		if err := mgr.Hold(ctx, "b", recording.Hold{ID: "litigation-1", PlacedAt: start}); err != nil {
			t.Fatal(err)
		}
		rep, err := mgr.Sweep(ctx, start.Add(40*day))
		if err != nil || len(rep.Deleted) != 1 || rep.Deleted[0] != "a" {
			t.Fatalf("%s, %s: sweep: %+v %v; want a deleted", tc.a, tc.b, rep, err)
		}
		if ok, err := fsb.Exists(ctx, tc.b); err != nil || !ok {
			t.Errorf("%s, %s: the media of held recording b deleted with a's record (%v)", tc.a, tc.b, err)
		}
		if _, err := os.Stat(filepath.Join(dir, tc.gone)); tc.gone != "" && !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s, %s: a's own media %s kept after a's record was deleted (%v)", tc.a, tc.b, tc.gone, err)
		}
	}
}
