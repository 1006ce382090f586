package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/internal/window"
)

// Counter buckets.
//
// counters.entries: one record per (key, reservation):
//
//	key   = uint16 len(Key) | Key | uint64 instant (Unix ns, sign bit flipped, big endian) | id
//	value = uint64 window (ns, the longest the key was used with in that call) | member
//
// so that a key's entries are contiguous and ordered by instant.
//
// counters.ids: one record per held reservation id, listing its entry keys,
// each prefixed by its uvarint length. It makes Reserve idempotent and Release
// exact.
var (
	bucketCounterEntries = []byte("counters.entries")
	bucketCounterIDs     = []byte("counters.ids")
)

func keyPrefix(key string) []byte {
	b := make([]byte, 2, 2+len(key)+8+16)
	binary.BigEndian.PutUint16(b, uint16(len(key)))
	return append(b, key...)
}

func appendInstant(b []byte, ns int64) []byte {
	return binary.BigEndian.AppendUint64(b, uint64(ns)^(1<<63))
}

func decodeInstant(b []byte) int64 {
	return int64(binary.BigEndian.Uint64(b) ^ (1 << 63))
}

// Usage reports the usage of each limit at t without reserving. See
// storage.Counters.
func (s *Store) Usage(ctx context.Context, t time.Time, limits []storage.Limit) ([]storage.Usage, error) {
	if err := s.countersArgs(ctx, "usage", t, limits); err != nil {
		return nil, err
	}
	var out []storage.Usage
	err := s.view("usage", func(tx *bolt.Tx) error {
		out = tallyAll(tx.Bucket(bucketCounterEntries), t, limits)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Reserve checks every limit at t and, only if none would be exceeded, records
// id under every key, atomically, in a group-committed transaction that is
// fsynced before Reserve returns. Idempotent by id. See storage.Counters.
func (s *Store) Reserve(ctx context.Context, id string, t time.Time, limits []storage.Limit) (bool, []storage.Usage, error) {
	if err := storage.ValidateID(id); err != nil {
		return false, nil, fmt.Errorf("boltstore: reserve: %w", err)
	}
	if err := s.countersArgs(ctx, "reserve", t, limits); err != nil {
		return false, nil, err
	}
	var (
		ok  bool
		out []storage.Usage
	)
	err := s.batch("reserve", func(tx *bolt.Tx) error {
		ent := tx.Bucket(bucketCounterEntries)
		ids := tx.Bucket(bucketCounterIDs)
		ok, out = true, tallyAll(ent, t, limits)
		for _, u := range out {
			ok = ok && !u.Exceeded
		}
		if ids.Get([]byte(id)) != nil {
			ok = true
			return nil
		}
		if !ok {
			return nil
		}
		if len(limits) == 0 {
			return nil
		}
		tn := t.UnixNano()
		var (
			done []string
			list []byte
		)
		for i, l := range limits {
			if contains(done, l.Key) {
				continue
			}
			done = append(done, l.Key)
			longest := l.Window
			for _, o := range limits[i+1:] {
				if o.Key == l.Key && o.Window > longest {
					longest = o.Window
				}
			}
			if err := prune(ent, ids, l.Key, tn, longest); err != nil {
				return err
			}
			k := appendInstant(keyPrefix(l.Key), tn)
			k = append(k, id...)
			v := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(l.Member)), uint64(longest))
			v = append(v, l.Member...)
			if err := ent.Put(k, v); err != nil {
				return err
			}
			list = binary.AppendUvarint(list, uint64(len(k)))
			list = append(list, k...)
		}
		return ids.Put([]byte(id), list)
	})
	if err != nil {
		return false, nil, err
	}
	return ok, out, nil
}

// Release removes everything recorded for id, in a group-committed
// transaction fsynced before it returns. See storage.Counters.
func (s *Store) Release(ctx context.Context, id string) error {
	if err := s.check("release"); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("boltstore: release: %w", err)
	}
	if id == "" {
		return nil
	}
	return s.batch("release", func(tx *bolt.Tx) error {
		ent := tx.Bucket(bucketCounterEntries)
		ids := tx.Bucket(bucketCounterIDs)
		list := ids.Get([]byte(id))
		if list == nil {
			return nil
		}
		keys, err := splitList(list)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := ent.Delete(k); err != nil {
				return err
			}
		}
		return ids.Delete([]byte(id))
	})
}

func (s *Store) countersArgs(ctx context.Context, op string, t time.Time, limits []storage.Limit) error {
	if err := s.check(op); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("boltstore: %s: %w", op, err)
	}
	if err := storage.ValidateInstant(t); err != nil {
		return fmt.Errorf("boltstore: %s: %w", op, err)
	}
	if err := storage.ValidateLimits(limits); err != nil {
		return fmt.Errorf("boltstore: %s: %w", op, err)
	}
	return nil
}

// tallyAll reports every limit at t, reading each distinct key once (from
// the start of the longest window among its limits).
func tallyAll(ent *bolt.Bucket, t time.Time, limits []storage.Limit) []storage.Usage {
	out := make([]storage.Usage, len(limits))
	for i, l := range limits {
		if j := firstWithKey(limits, i); j < i {
			continue // read with limits[j]
		}
		longest := l.Window
		for _, o := range limits[i+1:] {
			if o.Key == l.Key && o.Window > longest {
				longest = o.Window
			}
		}
		entries, members := readKey(ent, l.Key, t.UnixNano()-int64(longest)+1)
		for j := i; j < len(limits); j++ {
			if limits[j].Key == l.Key {
				out[j] = window.Tally(entries, t, limits[j], members)
			}
		}
	}
	return out
}

// firstWithKey returns the index of the first limit with the key of limits[i].
func firstWithKey(limits []storage.Limit, i int) int {
	for j := 0; j < i; j++ {
		if limits[j].Key == limits[i].Key {
			return j
		}
	}
	return i
}

// readKey returns the entries of key recorded at or after from, in order,
// and whether any has a member.
func readKey(ent *bolt.Bucket, key string, from int64) ([]window.Entry, bool) {
	prefix := keyPrefix(key)
	start := appendInstant(bytes.Clone(prefix), from)
	var (
		entries []window.Entry
		members bool
	)
	c := ent.Cursor()
	for k, v := c.Seek(start); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if len(k) < len(prefix)+8 || len(v) < 8 {
			continue // not ours; cannot happen in a file we wrote
		}
		e := window.Entry{At: decodeInstant(k[len(prefix):])}
		if len(v) > 8 {
			e.Member = string(v[8:])
			members = true
		}
		entries = append(entries, e)
	}
	return entries, members
}

// prune deletes the entries of key at or before t-w, and removes them from
// their ids' lists (forgetting ids left with none).
func prune(ent, ids *bolt.Bucket, key string, t int64, w time.Duration) error {
	prefix := keyPrefix(key)
	limit := appendInstant(bytes.Clone(prefix), t-int64(w)+1)
	var old [][]byte
	c := ent.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.Compare(k, limit) < 0; k, _ = c.Next() {
		old = append(old, bytes.Clone(k))
	}
	for _, k := range old {
		if err := ent.Delete(k); err != nil {
			return err
		}
		if err := dropFromID(ids, k[len(prefix)+8:], k); err != nil {
			return err
		}
	}
	return nil
}

// dropFromID removes entry key k from id's list, forgetting the id when its
// list is empty.
func dropFromID(ids *bolt.Bucket, id, k []byte) error {
	list := ids.Get(id)
	if list == nil {
		return nil
	}
	keys, err := splitList(list)
	if err != nil {
		return err
	}
	var rest []byte
	for _, other := range keys {
		if !bytes.Equal(other, k) {
			rest = binary.AppendUvarint(rest, uint64(len(other)))
			rest = append(rest, other...)
		}
	}
	if len(rest) == 0 {
		return ids.Delete(id)
	}
	return ids.Put(id, rest)
}

// expireChunk bounds the deletions of one ExpireCounters transaction (a
// variable for tests).
var expireChunk = 10_000

// ExpireCounters removes every entry older than the window it was recorded
// with, at t, in transactions of at most 10,000 deletions (each fsynced). See
// storage.CounterExpirer.
func (s *Store) ExpireCounters(ctx context.Context, t time.Time) (int, error) {
	if err := s.check("expire"); err != nil {
		return 0, err
	}
	if err := storage.ValidateInstant(t); err != nil {
		return 0, fmt.Errorf("boltstore: expire: %w", err)
	}
	tn, removed := t.UnixNano(), 0
	var from []byte
	for {
		if err := ctx.Err(); err != nil {
			return removed, fmt.Errorf("boltstore: expire: %w", err)
		}
		var (
			n    int
			next []byte
		)
		err := s.group.do(func(tx *bolt.Tx) error {
			n, next = 0, nil
			ent := tx.Bucket(bucketCounterEntries)
			ids := tx.Bucket(bucketCounterIDs)
			var old [][]byte
			c := ent.Cursor()
			k, v := c.First()
			if from != nil {
				k, v = c.Seek(from)
			}
			for ; k != nil; k, v = c.Next() {
				if len(old) == expireChunk {
					next = bytes.Clone(k)
					break
				}
				if len(k) < 2 || len(v) < 8 {
					continue
				}
				pl := 2 + int(binary.BigEndian.Uint16(k))
				if len(k) < pl+8 {
					continue
				}
				at := decodeInstant(k[pl:])
				if at+int64(binary.BigEndian.Uint64(v)) <= tn {
					old = append(old, bytes.Clone(k))
				}
			}
			for _, k := range old {
				if err := ent.Delete(k); err != nil {
					return err
				}
				pl := 2 + int(binary.BigEndian.Uint16(k))
				if err := dropFromID(ids, k[pl+8:], k); err != nil {
					return err
				}
			}
			n = len(old)
			return nil
		})
		if err != nil {
			return removed, txErr("expire", err)
		}
		removed += n
		if next == nil {
			return removed, nil
		}
		from = next
	}
}

// splitList decodes an id's list of entry keys.
func splitList(b []byte) ([][]byte, error) {
	var keys [][]byte
	for len(b) > 0 {
		n, w := binary.Uvarint(b)
		if w <= 0 || uint64(len(b)-w) < n {
			return nil, fmt.Errorf("%w: counters.ids record is truncated", storage.ErrCorrupt)
		}
		keys = append(keys, b[w:w+int(n)])
		b = b[w+int(n):]
	}
	return keys, nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
