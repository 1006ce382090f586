package boltstore

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/recording"
)

// TestRecordingNULEarlierBuild opens a file where an earlier build stored a
// recording with a NUL byte in a hold's reason (Recording.Validate refused
// none then; the Go API passed it through). Refusing NUL on writes made
// every read of that record fail as damaged: a listing (a sweep, a
// complaint's hold on its callee's recordings) failed as a whole, so no
// recording was deleted any more, and the record could be neither read nor
// released. The record reads as stored, the sweep deletes what is due, and
// the hold is released; a new NUL is still refused.
func TestRecordingNULEarlierBuild(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), DefaultFileName)
	t0 := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	s := openAt(t, path)
	mk := func(id string) recording.Recording {
		return recording.Recording{ID: id, Callee: "h:" + id, StartedAt: t0, RetainUntil: t0.Add(30 * 24 * time.Hour), State: recording.StateActive}
	}
	old := mk("old")
	old.Holds = []recording.Hold{{ID: "lit-1", Reason: "case ", PlacedAt: t0}}
	for _, r := range []recording.Recording{old, mk("due")} {
		if err := s.CreateRecording(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	old.Holds[0].Reason = "case \x00 12"
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		js, err := json.Marshal(old)
		if err != nil {
			return err
		}
		return tx.Bucket(bucketRecordings).Put([]byte(old.ID), js)
	})

	s = openAt(t, path)
	defer s.Close()
	if r, err := s.GetRecording(ctx, "old"); err != nil || r.Holds[0].Reason != old.Holds[0].Reason {
		t.Errorf("GetRecording of an earlier build's record: %+v, %v", r, err)
	}
	m, err := recording.NewManager(recording.Config{}, s, nil, nulHasher{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := m.Sweep(ctx, t0.Add(40*24*time.Hour))
	if err != nil || strings.Join(rep.Deleted, ",") != "due" {
		t.Fatalf("sweep: %+v, %v; want due deleted, old kept (held)", rep, err)
	}
	if err := m.ReleaseHold(ctx, "old", "lit-1"); err != nil {
		t.Errorf("releasing the earlier build's hold: %v", err)
	}
	if err := m.Hold(ctx, "old", recording.Hold{ID: "lit-2", Reason: "new \x00"}); err == nil || !strings.Contains(err.Error(), "reason") {
		t.Errorf("a new hold with a NUL byte: %v; want it refused naming the field", err)
	}
}

type nulHasher struct{}

func (nulHasher) HashCallee(n dialgate.Number) string { return "h:" + n.Digits() }
