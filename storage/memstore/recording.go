package memstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dialgate/dialgate/recording"
)

type recordingState struct {
	mu    sync.Mutex
	recs  map[string]recording.Recording
	tombs []recording.Tombstone
}

func cloneRecording(r recording.Recording) recording.Recording {
	r.Holds = slices.Clone(r.Holds)
	return r
}

// CreateRecording implements recording.Store.
func (s *Store) CreateRecording(_ context.Context, r recording.Recording) error {
	if err := s.check("CreateRecording"); err != nil {
		return err
	}
	if err := r.Validate(); err != nil {
		return err
	}
	st := &s.recordings
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.recs == nil {
		st.recs = map[string]recording.Recording{}
	}
	if _, ok := st.recs[r.ID]; ok {
		return fmt.Errorf("memstore: recording %s: %w", r.ID, recording.ErrExists)
	}
	st.recs[r.ID] = cloneRecording(r)
	return nil
}

// GetRecording implements recording.Store.
func (s *Store) GetRecording(_ context.Context, id string) (recording.Recording, error) {
	if err := s.check("GetRecording"); err != nil {
		return recording.Recording{}, err
	}
	st := &s.recordings
	st.mu.Lock()
	defer st.mu.Unlock()
	r, ok := st.recs[id]
	if !ok {
		return recording.Recording{}, fmt.Errorf("memstore: recording %s: %w", id, recording.ErrNotFound)
	}
	return cloneRecording(r), nil
}

// UpdateRecording implements recording.Store.
func (s *Store) UpdateRecording(_ context.Context, id string, fn func(*recording.Recording) error) error {
	if err := s.check("UpdateRecording"); err != nil {
		return err
	}
	st := &s.recordings
	st.mu.Lock()
	defer st.mu.Unlock()
	r, ok := st.recs[id]
	if !ok {
		return fmt.Errorf("memstore: recording %s: %w", id, recording.ErrNotFound)
	}
	r = cloneRecording(r)
	if err := fn(&r); err != nil {
		return err
	}
	if r.ID != id {
		return fmt.Errorf("memstore: recording %s: update changed the id to %q: %w", id, r.ID, recording.ErrInvalid)
	}
	if err := r.Validate(); err != nil {
		return err
	}
	st.recs[id] = r
	return nil
}

// DeleteRecording implements recording.Store.
func (s *Store) DeleteRecording(_ context.Context, id string, t time.Time) error {
	if err := s.check("DeleteRecording"); err != nil {
		return err
	}
	st := &s.recordings
	st.mu.Lock()
	defer st.mu.Unlock()
	r, ok := st.recs[id]
	if !ok {
		return fmt.Errorf("memstore: recording %s: %w", id, recording.ErrNotFound)
	}
	if r.State != recording.StateDeleting {
		return fmt.Errorf("memstore: recording %s is %s, not deleting: %w", id, r.State, recording.ErrRetentionLocked)
	}
	delete(st.recs, id)
	st.tombs = append(st.tombs, recording.TombstoneOf(r, t))
	return nil
}

// ListTombstones implements recording.Store.
func (s *Store) ListTombstones(_ context.Context, from, to time.Time) ([]recording.Tombstone, error) {
	if err := s.check("ListTombstones"); err != nil {
		return nil, err
	}
	st := &s.recordings
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []recording.Tombstone
	for _, ts := range st.tombs {
		if ts.InRange(from, to) {
			out = append(out, ts)
		}
	}
	recording.SortTombstones(out)
	return out, nil
}

// ListRecordings implements recording.Store.
func (s *Store) ListRecordings(_ context.Context, f recording.Filter) ([]recording.Recording, error) {
	if err := s.check("ListRecordings"); err != nil {
		return nil, err
	}
	st := &s.recordings
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []recording.Recording
	for _, r := range st.recs {
		if f.Matches(r) {
			out = append(out, cloneRecording(r))
		}
	}
	slices.SortFunc(out, func(a, b recording.Recording) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

var _ recording.Store = (*Store)(nil)
