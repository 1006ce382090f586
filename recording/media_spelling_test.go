package recording_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/recording"
)

// One media file registered twice, under two ids, the second time spelled
// another way ("file:./a.wav", "file:calls//a.wav"): the two URIs differ as
// strings but name one file, so sweeping the first deleted the media of the
// second, held. A media URI that is not in its one canonical form is refused
// at registration, naming media_uri and the form to use.
func TestRegisterRefusesMediaURISpellings(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, recording.Config{}, nil)
	f.register(t, "a")
	for _, uri := range []string{"file:./a.wav", "file:x/../a.wav", "file:a.wav/", "file:.//a.wav"} {
		_, err := f.mgr.Register(ctx, start.Add(time.Hour), recording.Registration{
			ID: "b", Callee: callee, StartedAt: start.Add(time.Hour), MediaURI: uri,
		})
		if !errors.Is(err, recording.ErrInvalid) || !strings.Contains(err.Error(), "media_uri") || !strings.Contains(err.Error(), `"file:a.wav"`) {
			t.Errorf("Register with media_uri %q: %v, want ErrInvalid naming media_uri and file:a.wav", uri, err)
		}
	}
	// Had one been accepted and held, sweeping a would have taken its media.
	if rep, err := f.mgr.Sweep(ctx, start.Add(40*day)); err != nil || strings.Join(rep.Deleted, ",") != "a" {
		t.Fatalf("sweep: %+v %v", rep, err)
	}
	assertConsistent(t, f)
}

// A record stored before canonical URIs were required is still deleted
// with its media: only a registration refuses another spelling.
func TestSweepDeletesOldSpelledMedia(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, recording.Config{}, nil)
	f.register(t, "a")
	if err := f.store.UpdateRecording(ctx, "a", func(r *recording.Recording) error {
		r.MediaURI = "file:./a.wav"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if rep, err := f.mgr.Sweep(ctx, start.Add(40*day)); err != nil || strings.Join(rep.Deleted, ",") != "a" || f.mediaExists("a") {
		t.Fatalf("sweep: %+v %v (media there: %v), want a and its media deleted", rep, err, f.mediaExists("a"))
	}
}
