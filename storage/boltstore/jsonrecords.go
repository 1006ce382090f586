package boltstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/dialgate/dialgate/storage"
)

// table describes a bucket of JSON records of type T keyed by their id: the
// shape shared by the recording and complaint stores.
type table[T any] struct {
	bucket   []byte
	what     string                // "recording", for messages
	id       func(T) string        // the record's key
	validate func(T) error         // the domain's own validation
	update   func(old, v T) error  // when set, the check of an update of old to v in place of validate
	stored   func(T, string) error // the domain's validation of a record read under a key
	notFound error                 // the domain's not-found sentinel
	exists   error                 // the domain's conflict sentinel
	invalid  error                 // the domain's invalid sentinel (an update that changes the id)
	// indexes are buckets of one empty-valued key per record, key(record),
	// kept in the transaction of every write.
	indexes []tableIndex[T]
}

// tableIndex is one index bucket of a table.
type tableIndex[T any] struct {
	bucket []byte
	key    func(T) []byte
}

// reindex moves a record's index entries from old's keys to v's (old nil:
// a new record), within the write's transaction.
func (tb table[T]) reindex(tx *bolt.Tx, old *T, v T) error {
	for _, ix := range tb.indexes {
		idx, k := tx.Bucket(ix.bucket), ix.key(v)
		if old != nil {
			was := ix.key(*old)
			if bytes.Equal(was, k) {
				continue
			}
			if err := idx.Delete(was); err != nil {
				return err
			}
		}
		if err := idx.Put(k, nil); err != nil {
			return err
		}
	}
	return nil
}

func (tb table[T]) get(b *bolt.Bucket, id string) (T, bool, error) {
	raw := b.Get([]byte(id))
	if raw == nil {
		var v T
		return v, false, nil
	}
	v, err := tb.decode([]byte(id), raw)
	return v, err == nil, err
}

// decode decodes and checks the record stored under key k.
func (tb table[T]) decode(k, raw []byte) (T, error) {
	return storage.DecodeRecord(tb.what, string(k), raw, func(v *T) error { return tb.stored(*v, string(k)) })
}

func (tb table[T]) put(b *bolt.Bucket, v T) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put([]byte(tb.id(v)), raw)
}

// tableCreate stores a new record, durably; an existing id is tb.exists.
func tableCreate[T any](ctx context.Context, s *Store, op string, tb table[T], v T) error {
	if err := s.domainArgs(ctx, op); err != nil {
		return err
	}
	if err := tb.validate(v); err != nil {
		return err
	}
	var derr error
	err := s.batch(op, func(tx *bolt.Tx) error {
		derr = nil
		b := tx.Bucket(tb.bucket)
		if _, ok, err := tb.get(b, tb.id(v)); err != nil {
			return err
		} else if ok {
			derr = fmt.Errorf("boltstore: %s %s: %w", tb.what, tb.id(v), tb.exists)
			return nil
		}
		if err := tb.put(b, v); err != nil {
			return err
		}
		return tb.reindex(tx, nil, v)
	})
	if err != nil {
		return err
	}
	return derr
}

// tableGet returns the record with id, or tb.notFound.
func tableGet[T any](ctx context.Context, s *Store, op string, tb table[T], id string) (T, error) {
	var (
		v  T
		ok bool
	)
	if err := s.domainArgs(ctx, op); err != nil {
		return v, err
	}
	err := s.view(op, func(tx *bolt.Tx) (err error) {
		v, ok, err = tb.get(tx.Bucket(tb.bucket), id)
		return err
	})
	if err != nil {
		return v, err
	}
	if !ok {
		return v, fmt.Errorf("boltstore: %s %s: %w", tb.what, id, tb.notFound)
	}
	return v, nil
}

// tableUpdate reads, applies fn, validates and writes in one durable
// transaction. fn may run more than once if the group commit is retried, so
// it must depend only on its argument; its error is returned and nothing is
// written.
func tableUpdate[T any](ctx context.Context, s *Store, op string, tb table[T], id string, fn func(*T) error) error {
	if err := s.domainArgs(ctx, op); err != nil {
		return err
	}
	var derr error
	err := s.batch(op, func(tx *bolt.Tx) error {
		derr = nil
		b := tx.Bucket(tb.bucket)
		v, ok, err := tb.get(b, id)
		if err != nil {
			return err
		}
		if !ok {
			derr = fmt.Errorf("boltstore: %s %s: %w", tb.what, id, tb.notFound)
			return nil
		}
		old := v
		if err := fn(&v); err != nil {
			derr = err
			return nil
		}
		if tb.id(v) != id {
			derr = fmt.Errorf("boltstore: %s %s: update changed the id to %q: %w", tb.what, id, tb.id(v), tb.invalid)
			return nil
		}
		check := tb.validate
		if tb.update != nil {
			check = func(v T) error { return tb.update(old, v) }
		}
		if err := check(v); err != nil {
			derr = err
			return nil
		}
		if err := tb.put(b, v); err != nil {
			return err
		}
		return tb.reindex(tx, &old, v)
	})
	if err != nil {
		return err
	}
	return derr
}

// tableList returns the records keep accepts, in key order.
func tableList[T any](ctx context.Context, s *Store, op string, tb table[T], keep func(T) bool) ([]T, error) {
	if err := s.domainArgs(ctx, op); err != nil {
		return nil, err
	}
	var out []T
	err := s.view(op, func(tx *bolt.Tx) error {
		out = out[:0]
		return tx.Bucket(tb.bucket).ForEach(func(k, raw []byte) error {
			v, err := tb.decode(k, raw)
			if err != nil {
				return err
			}
			if keep(v) {
				out = append(out, v)
			}
			return nil
		})
	})
	return out, err
}
