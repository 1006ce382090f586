package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/recording"
)

// TestRecordingHoldsAcrossProcesses checks, with two handles a and b of one
// shared empty store (two sidecars of a fleet, or a sidecar and the CLI),
// that legal holds placed through b while two sweeps run at once, one
// through each handle, are never lost: a hold that was accepted keeps its
// recording, metadata and media, and a recording whose hold was refused
// (being deleted) is gone with its media. Media deletes fail now and then,
// so that sweeps put recordings back to active (their undo) while the
// other sweep may be finishing them.
func TestRecordingHoldsAcrossProcesses(t *testing.T, a, b recording.Store) {
	t.Helper()
	if err := CheckRecordingHoldsAcrossProcesses(context.Background(), a, b); err != nil {
		t.Fatal(err)
	}
}

// fleetBlob is an in-memory media store shared by the handles' Managers;
// every third delete fails, the media left in place.
type fleetBlob struct {
	mu    sync.Mutex
	media map[string]bool
	n     int
}

func (f *fleetBlob) Exists(_ context.Context, uri string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.media[uri], nil
}

func (f *fleetBlob) Delete(_ context.Context, uri string) error {
	time.Sleep(200 * time.Microsecond) // a hold may come in meanwhile, as over a network
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	if f.n%3 == 0 {
		return errors.New("storetest: media store: transient failure")
	}
	delete(f.media, uri)
	return nil
}

type fleetHasher struct{}

func (fleetHasher) HashCallee(n dialgate.Number) string { return "h:" + n.Digits() }

// CheckRecordingHoldsAcrossProcesses is TestRecordingHoldsAcrossProcesses
// returning the first failure.
func CheckRecordingHoldsAcrossProcesses(ctx context.Context, a, b recording.Store) error {
	blob := &fleetBlob{media: map[string]bool{}}
	ma, err := recording.NewManager(recording.Config{}, a, blob, fleetHasher{})
	if err != nil {
		return err
	}
	mb, err := recording.NewManager(recording.Config{}, b, blob, fleetHasher{})
	if err != nil {
		return err
	}
	const n = 30
	callee := dialgate.MustParseNumber("+8613800138000")
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("fleet-%02d", i)
		uri := "file:" + ids[i] + ".wav"
		blob.media[uri] = true
		if _, err := ma.Register(ctx, t0, recording.Registration{ID: ids[i], Callee: callee, StartedAt: t0, MediaURI: uri}); err != nil {
			return fmt.Errorf("Register(%s): %w", ids[i], err)
		}
	}
	sweepAt := t0.Add(recording.MinRetention + 24*time.Hour)
	holdErrs := make([]error, n)
	var wg sync.WaitGroup
	for _, m := range []*recording.Manager{ma, mb} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				_, _ = m.Sweep(ctx, sweepAt) // failures are expected (the blob's)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := n - 1; i >= 0; i-- {
			holdErrs[i] = mb.Hold(ctx, ids[i], recording.Hold{ID: "litigation-1", PlacedAt: sweepAt})
			time.Sleep(100 * time.Microsecond) // spread over the sweeps
		}
	}()
	wg.Wait()
	// Finish what the sweeps left (deletions whose media delete failed):
	// a third of the deletes fail, so each sweep leaves about a third.
	for range 12 {
		_, _ = ma.Sweep(ctx, sweepAt)
	}
	for i, id := range ids {
		uri := "file:" + id + ".wav"
		r, gerr := b.GetRecording(ctx, id)
		media, _ := blob.Exists(ctx, uri)
		switch {
		case holdErrs[i] == nil:
			if gerr != nil || !r.Held() || r.State != recording.StateActive || !media {
				return fmt.Errorf("%s: the hold was accepted, but the recording is %+v (%v), media there: %v", id, r, gerr, media)
			}
		case errors.Is(holdErrs[i], recording.ErrDeleting), errors.Is(holdErrs[i], recording.ErrNotFound):
			if !errors.Is(gerr, recording.ErrNotFound) || media {
				return fmt.Errorf("%s: the hold was refused (%v), but the recording is %+v (%v), media there: %v", id, holdErrs[i], r, gerr, media)
			}
		default:
			return fmt.Errorf("%s: hold: %w", id, holdErrs[i])
		}
	}
	return nil
}
