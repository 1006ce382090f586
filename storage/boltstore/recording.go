package boltstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage"
)

// bucketRecordings holds recording metadata: key = id, value = JSON of
// recording.Recording. Lists scan the bucket (ordered by id).
var bucketRecordings = []byte("recordings")

// bucketRecordingTombstones holds deletions: key = DeletedAt (Unix ns, sign
// flipped, big endian) | id, value = JSON of recording.Tombstone.
var bucketRecordingTombstones = []byte("recordings.tombstones")

func getRecording(b *bolt.Bucket, id string) (recording.Recording, bool, error) {
	v := b.Get([]byte(id))
	if v == nil {
		return recording.Recording{}, false, nil
	}
	var r recording.Recording
	if err := json.Unmarshal(v, &r); err != nil {
		return recording.Recording{}, false, fmt.Errorf("recording %s: %w: %v", id, storage.ErrCorrupt, err)
	}
	return r, true, nil
}

func putRecording(b *bolt.Bucket, r recording.Recording) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return b.Put([]byte(r.ID), v)
}

// CreateRecording implements recording.Store. It is durable (fsynced) before it returns.
func (s *Store) CreateRecording(ctx context.Context, r recording.Recording) error {
	if err := s.domainArgs(ctx, "CreateRecording"); err != nil {
		return err
	}
	if err := r.Validate(); err != nil {
		return err
	}
	var derr error
	err := s.batch("CreateRecording", func(tx *bolt.Tx) error {
		derr = nil
		b := tx.Bucket(bucketRecordings)
		if _, ok, err := getRecording(b, r.ID); err != nil {
			return err
		} else if ok {
			derr = fmt.Errorf("boltstore: recording %s: %w", r.ID, recording.ErrExists)
			return nil
		}
		return putRecording(b, r)
	})
	if err != nil {
		return err
	}
	return derr
}

// GetRecording implements recording.Store.
func (s *Store) GetRecording(ctx context.Context, id string) (recording.Recording, error) {
	if err := s.domainArgs(ctx, "GetRecording"); err != nil {
		return recording.Recording{}, err
	}
	var (
		r  recording.Recording
		ok bool
	)
	err := s.view("GetRecording", func(tx *bolt.Tx) (err error) {
		r, ok, err = getRecording(tx.Bucket(bucketRecordings), id)
		return err
	})
	if err != nil {
		return recording.Recording{}, err
	}
	if !ok {
		return recording.Recording{}, fmt.Errorf("boltstore: recording %s: %w", id, recording.ErrNotFound)
	}
	return r, nil
}

// UpdateRecording implements recording.Store: read, fn, validate and write in
// one transaction, durable before it returns. fn may be called more than once
// if the group commit is retried; it must depend only on its argument.
func (s *Store) UpdateRecording(ctx context.Context, id string, fn func(*recording.Recording) error) error {
	if err := s.domainArgs(ctx, "UpdateRecording"); err != nil {
		return err
	}
	var derr error
	err := s.batch("UpdateRecording", func(tx *bolt.Tx) error {
		derr = nil
		b := tx.Bucket(bucketRecordings)
		r, ok, err := getRecording(b, id)
		if err != nil {
			return err
		}
		if !ok {
			derr = fmt.Errorf("boltstore: recording %s: %w", id, recording.ErrNotFound)
			return nil
		}
		if err := fn(&r); err != nil {
			derr = err
			return nil
		}
		if r.ID != id {
			derr = fmt.Errorf("boltstore: recording %s: update changed the id to %q: %w", id, r.ID, recording.ErrInvalid)
			return nil
		}
		if err := r.Validate(); err != nil {
			derr = err
			return nil
		}
		return putRecording(b, r)
	})
	if err != nil {
		return err
	}
	return derr
}

// DeleteRecording implements recording.Store: only a recording in state
// deleting is removed.
func (s *Store) DeleteRecording(ctx context.Context, id string, t time.Time) error {
	if err := s.domainArgs(ctx, "DeleteRecording"); err != nil {
		return err
	}
	var derr error
	err := s.batch("DeleteRecording", func(tx *bolt.Tx) error {
		derr = nil
		b := tx.Bucket(bucketRecordings)
		r, ok, err := getRecording(b, id)
		switch {
		case err != nil:
			return err
		case !ok:
			derr = fmt.Errorf("boltstore: recording %s: %w", id, recording.ErrNotFound)
			return nil
		case r.State != recording.StateDeleting:
			derr = fmt.Errorf("boltstore: recording %s is %s, not deleting: %w", id, r.State, recording.ErrRetentionLocked)
			return nil
		}
		tv, err := json.Marshal(recording.TombstoneOf(r, t))
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketRecordingTombstones).Put(append(appendInstant(nil, t.UnixNano()), id...), tv); err != nil {
			return err
		}
		return b.Delete([]byte(id))
	})
	if err != nil {
		return err
	}
	return derr
}

// ListRecordings implements recording.Store. It scans every recording.
func (s *Store) ListRecordings(ctx context.Context, f recording.Filter) ([]recording.Recording, error) {
	if err := s.domainArgs(ctx, "ListRecordings"); err != nil {
		return nil, err
	}
	var out []recording.Recording
	err := s.view("ListRecordings", func(tx *bolt.Tx) error {
		out = out[:0]
		return tx.Bucket(bucketRecordings).ForEach(func(k, v []byte) error {
			var r recording.Recording
			if err := json.NewDecoder(bytes.NewReader(v)).Decode(&r); err != nil {
				return fmt.Errorf("recording %s: %w: %v", k, storage.ErrCorrupt, err)
			}
			if f.Matches(r) {
				out = append(out, r)
			}
			return nil
		})
	})
	return out, err
}

// ListTombstones implements recording.Store.
func (s *Store) ListTombstones(ctx context.Context, from, to time.Time) ([]recording.Tombstone, error) {
	if err := s.domainArgs(ctx, "ListTombstones"); err != nil {
		return nil, err
	}
	var out []recording.Tombstone
	err := s.view("ListTombstones", func(tx *bolt.Tx) error {
		out = out[:0]
		return tx.Bucket(bucketRecordingTombstones).ForEach(func(k, v []byte) error {
			var ts recording.Tombstone
			if err := json.Unmarshal(v, &ts); err != nil {
				return fmt.Errorf("tombstone %x: %w: %v", k, storage.ErrCorrupt, err)
			}
			if ts.InRange(from, to) {
				out = append(out, ts)
			}
			return nil
		})
	})
	recording.SortTombstones(out)
	return out, err
}

func (s *Store) domainArgs(ctx context.Context, op string) error {
	if err := s.check(op); err != nil {
		return err
	}
	return ctx.Err()
}

var _ recording.Store = (*Store)(nil)
