package boltstore

import (
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

var recordings = table[recording.Recording]{
	bucket: bucketRecordings, what: "recording",
	id:       func(r recording.Recording) string { return r.ID },
	validate: recording.Recording.Validate,
	update:   func(old, r recording.Recording) error { return r.ValidateUpdate(old) },
	stored:   recording.Recording.ValidateStored,
	notFound: recording.ErrNotFound, exists: recording.ErrExists, invalid: recording.ErrInvalid,
}

// CreateRecording implements recording.Store. It is durable (fsynced) before it returns.
func (s *Store) CreateRecording(ctx context.Context, r recording.Recording) error {
	return tableCreate(ctx, s, "CreateRecording", recordings, r)
}

// GetRecording implements recording.Store.
func (s *Store) GetRecording(ctx context.Context, id string) (recording.Recording, error) {
	return tableGet(ctx, s, "GetRecording", recordings, id)
}

// UpdateRecording implements recording.Store: read, fn, validate and write in
// one transaction, durable before it returns. fn may be called more than once
// if the group commit is retried; it must depend only on its argument.
func (s *Store) UpdateRecording(ctx context.Context, id string, fn func(*recording.Recording) error) error {
	return tableUpdate(ctx, s, "UpdateRecording", recordings, id, fn)
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
		r, ok, err := recordings.get(b, id)
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
	return tableList(ctx, s, "ListRecordings", recordings, f.Matches)
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
