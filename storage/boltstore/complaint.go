package boltstore

import (
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/storage"
)

// bucketComplaints holds complaints: key = id, value = JSON of complaint.Complaint.
var bucketComplaints = []byte("complaints")

func getComplaint(b *bolt.Bucket, id string) (complaint.Complaint, bool, error) {
	v := b.Get([]byte(id))
	if v == nil {
		return complaint.Complaint{}, false, nil
	}
	var c complaint.Complaint
	if err := json.Unmarshal(v, &c); err != nil {
		return complaint.Complaint{}, false, fmt.Errorf("complaint %s: %w: %v", id, storage.ErrCorrupt, err)
	}
	return c, true, nil
}

func putComplaint(b *bolt.Bucket, c complaint.Complaint) error {
	v, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return b.Put([]byte(c.ID), v)
}

// CreateComplaint implements complaint.Store; durable before it returns.
func (s *Store) CreateComplaint(ctx context.Context, c complaint.Complaint) error {
	if err := s.domainArgs(ctx, "CreateComplaint"); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	var derr error
	err := s.batch("CreateComplaint", func(tx *bolt.Tx) error {
		derr = nil
		b := tx.Bucket(bucketComplaints)
		if _, ok, err := getComplaint(b, c.ID); err != nil {
			return err
		} else if ok {
			derr = fmt.Errorf("boltstore: complaint %s: %w", c.ID, complaint.ErrExists)
			return nil
		}
		return putComplaint(b, c)
	})
	if err != nil {
		return err
	}
	return derr
}

// GetComplaint implements complaint.Store.
func (s *Store) GetComplaint(ctx context.Context, id string) (complaint.Complaint, error) {
	if err := s.domainArgs(ctx, "GetComplaint"); err != nil {
		return complaint.Complaint{}, err
	}
	var (
		c  complaint.Complaint
		ok bool
	)
	err := s.view("GetComplaint", func(tx *bolt.Tx) (err error) {
		c, ok, err = getComplaint(tx.Bucket(bucketComplaints), id)
		return err
	})
	if err != nil {
		return complaint.Complaint{}, err
	}
	if !ok {
		return complaint.Complaint{}, fmt.Errorf("boltstore: complaint %s: %w", id, complaint.ErrNotFound)
	}
	return c, nil
}

// UpdateComplaint implements complaint.Store; durable before it returns. fn
// may run more than once if the group commit is retried.
func (s *Store) UpdateComplaint(ctx context.Context, id string, fn func(*complaint.Complaint) error) error {
	if err := s.domainArgs(ctx, "UpdateComplaint"); err != nil {
		return err
	}
	var derr error
	err := s.batch("UpdateComplaint", func(tx *bolt.Tx) error {
		derr = nil
		b := tx.Bucket(bucketComplaints)
		c, ok, err := getComplaint(b, id)
		if err != nil {
			return err
		}
		if !ok {
			derr = fmt.Errorf("boltstore: complaint %s: %w", id, complaint.ErrNotFound)
			return nil
		}
		if err := fn(&c); err != nil {
			derr = err
			return nil
		}
		if c.ID != id {
			derr = fmt.Errorf("boltstore: complaint %s: update changed the id: %w", id, complaint.ErrInvalid)
			return nil
		}
		if err := c.Validate(); err != nil {
			derr = err
			return nil
		}
		return putComplaint(b, c)
	})
	if err != nil {
		return err
	}
	return derr
}

// ListComplaints implements complaint.Store. It scans every complaint.
func (s *Store) ListComplaints(ctx context.Context, f complaint.Filter) ([]complaint.Complaint, error) {
	if err := s.domainArgs(ctx, "ListComplaints"); err != nil {
		return nil, err
	}
	var out []complaint.Complaint
	err := s.view("ListComplaints", func(tx *bolt.Tx) error {
		out = out[:0]
		return tx.Bucket(bucketComplaints).ForEach(func(k, v []byte) error {
			var c complaint.Complaint
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("complaint %s: %w: %v", k, storage.ErrCorrupt, err)
			}
			if f.Matches(c) {
				out = append(out, c)
			}
			return nil
		})
	})
	complaint.SortComplaints(out)
	return out, err
}

var _ complaint.Store = (*Store)(nil)
