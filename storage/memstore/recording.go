package memstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage"
)

var recordingSpec = tableSpec[recording.Recording]{
	what: "recording",
	id:   func(r recording.Recording) string { return r.ID },
	clone: func(r recording.Recording) recording.Recording {
		r.Holds = slices.Clone(r.Holds)
		return r
	},
	validate: recording.Recording.Validate,
	update:   func(old, r recording.Recording) error { return r.ValidateUpdate(old) },
	stored:   recording.Recording.ValidateStored,
	notFound: recording.ErrNotFound, exists: recording.ErrExists, invalid: recording.ErrInvalid,
}

type recordingState struct {
	table[recording.Recording]
	tombMu sync.Mutex
	tombs  []recording.Tombstone
}

// CreateRecording implements recording.Store.
func (s *Store) CreateRecording(_ context.Context, r recording.Recording) error {
	if err := s.check("CreateRecording"); err != nil {
		return err
	}
	return s.recordings.create(recordingSpec, r)
}

// GetRecording implements recording.Store.
func (s *Store) GetRecording(_ context.Context, id string) (recording.Recording, error) {
	if err := s.check("GetRecording"); err != nil {
		return recording.Recording{}, err
	}
	return s.recordings.get(recordingSpec, id)
}

// UpdateRecording implements recording.Store.
func (s *Store) UpdateRecording(_ context.Context, id string, fn func(*recording.Recording) error) error {
	if err := s.check("UpdateRecording"); err != nil {
		return err
	}
	return s.recordings.update(recordingSpec, id, fn)
}

// DeleteRecording implements recording.Store: only a recording in state
// deleting is removed, and a tombstone takes its place.
func (s *Store) DeleteRecording(_ context.Context, id string, t time.Time) error {
	if err := s.check("DeleteRecording"); err != nil {
		return err
	}
	st := &s.recordings
	st.mu.Lock()
	defer st.mu.Unlock()
	r, ok := st.m[id]
	if !ok {
		return fmt.Errorf("memstore: recording %s: %w", id, recording.ErrNotFound)
	}
	if err := storage.CheckRecord(recordingSpec.what, id, r.ValidateStored(id)); err != nil {
		return err
	}
	if r.State != recording.StateDeleting {
		return fmt.Errorf("memstore: recording %s is %s, not deleting: %w", id, r.State, recording.ErrRetentionLocked)
	}
	delete(st.m, id)
	st.tombMu.Lock()
	st.tombs = append(st.tombs, recording.TombstoneOf(r, t))
	st.tombMu.Unlock()
	return nil
}

// ListRecordings implements recording.Store.
func (s *Store) ListRecordings(_ context.Context, f recording.Filter) ([]recording.Recording, error) {
	if err := s.check("ListRecordings"); err != nil {
		return nil, err
	}
	out, err := s.recordings.list(recordingSpec, f.Matches)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b recording.Recording) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// ListTombstones implements recording.Store.
func (s *Store) ListTombstones(_ context.Context, from, to time.Time) ([]recording.Tombstone, error) {
	if err := s.check("ListTombstones"); err != nil {
		return nil, err
	}
	st := &s.recordings
	st.tombMu.Lock()
	defer st.tombMu.Unlock()
	var out []recording.Tombstone
	for _, ts := range st.tombs {
		if ts.InRange(from, to) {
			out = append(out, ts)
		}
	}
	recording.SortTombstones(out)
	return out, nil
}

var _ recording.Store = (*Store)(nil)
