package boltstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/internal/countstate"
)

// Counters: an in-memory index in front of an append-only journal.
//
// Only one process opens a store file (bbolt locks it), so the index in
// memory (package countstate, the engine of memstore too) is the authority:
// Usage and Reserve decide without reading the disk. The journal makes every
// reservation durable before Reserve returns; Open replays it.
//
// counters.log: one record per held reservation:
//
//	key   = uint64 sequence (big endian), increasing: every commit appends at
//	        the right edge of the B+tree, so a group commit of a few hundred
//	        reservations writes a few pages, not one random leaf per key.
//	value = version byte (1) | int64 instant (Unix ns) | int64 expiry (Unix
//	        ns: instant + the longest window of its keys) | uvarint len | id |
//	        uvarint count | count × (uvarint len | key | uvarint len | member |
//	        int64 window ns)
//
// Release deletes its record; ExpireCounters deletes the records whose
// expiry has passed. A write the journal could not make durable (a failed
// commit or fsync) leaves the index possibly ahead of the file: the counters
// then fail every later call with storage.ErrUnavailable, until the store is
// reopened from its file (fail closed).
//
// Schema version 1 kept counters in counters.entries and counters.ids (one
// B+tree entry per key, random writes); Open migrates such a file to the
// journal in one transaction.
var (
	bucketCounterLog = []byte("counters.log")

	// Version 1 buckets, migrated by Open.
	bucketCounterEntries = []byte("counters.entries")
	bucketCounterIDs     = []byte("counters.ids")
)

const journalVersion = 1

// counterState is the Store's counters: the index, the next journal
// sequence, and the failure that stopped them, if any.
type counterState struct {
	idx    *countstate.State
	seq    uint64 // next sequence; guarded by mu
	failed error  // guarded by mu
}

// Usage reports the usage of each limit at t without reserving. See
// storage.Counters.
func (s *Store) Usage(ctx context.Context, t time.Time, limits []storage.Limit) ([]storage.Usage, error) {
	if err := s.countersArgs(ctx, "usage", t, limits); err != nil {
		return nil, err
	}
	return s.counters.idx.Usage(t, limits), nil
}

// Reserve checks every limit at t and, only if none would be exceeded, records
// id under every key, atomically, and appends the reservation to the journal
// in a group-committed transaction that is fsynced before Reserve returns.
// Idempotent by id. See storage.Counters.
func (s *Store) Reserve(ctx context.Context, id string, t time.Time, limits []storage.Limit) (bool, []storage.Usage, error) {
	if err := storage.ValidateID(id); err != nil {
		return false, nil, fmt.Errorf("boltstore: reserve: %w", err)
	}
	if err := s.countersArgs(ctx, "reserve", t, limits); err != nil {
		return false, nil, err
	}
	seq := s.nextSeq()
	ok, out, added := s.counters.idx.Reserve(id, seq, t, limits)
	if !ok {
		return false, out, nil
	}
	if !added {
		if len(limits) == 0 {
			return true, out, nil
		}
		// Held already: the reservation that recorded it may still be
		// committing. Batches commit in order, so once an empty write has
		// committed, so has it.
		if err := s.journal("reserve", func(*bolt.Tx) error { return nil }); err != nil {
			return false, nil, err
		}
		return true, out, nil
	}
	rec := encodeReservation(id, t.UnixNano(), countstate.Keys(limits))
	key := seqKey(seq)
	if err := s.journal("reserve", func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCounterLog).Put(key, rec)
	}); err != nil {
		return false, nil, err
	}
	return true, out, nil
}

// Release removes everything recorded for id, deleting its journal record in
// a group-committed transaction fsynced before it returns. See
// storage.Counters.
func (s *Store) Release(ctx context.Context, id string) error {
	if err := s.countersUsable("release"); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("boltstore: release: %w", err)
	}
	if id == "" {
		return nil
	}
	seq, held := s.counters.idx.Release(id)
	if !held {
		return nil
	}
	key := seqKey(seq)
	return s.journal("release", func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCounterLog).Delete(key)
	})
}

// expireChunk bounds the deletions of one ExpireCounters transaction (a
// variable for tests).
var expireChunk = 10_000

// ExpireCounters removes every entry older than the window it was recorded
// with, at t, from the index, and deletes the journal records none of whose
// entries can count any more, in transactions of at most 10,000 deletions
// (each fsynced). It returns the number of entries removed from the index.
// See storage.CounterExpirer.
func (s *Store) ExpireCounters(ctx context.Context, t time.Time) (int, error) {
	if err := s.countersUsable("expire"); err != nil {
		return 0, err
	}
	if err := storage.ValidateInstant(t); err != nil {
		return 0, fmt.Errorf("boltstore: expire: %w", err)
	}
	removed := s.counters.idx.Expire(t)
	tn := t.UnixNano()
	var from []byte
	for {
		if err := ctx.Err(); err != nil {
			return removed, fmt.Errorf("boltstore: expire: %w", err)
		}
		var next []byte
		err := s.journal("expire", func(tx *bolt.Tx) error {
			next = nil
			b := tx.Bucket(bucketCounterLog)
			var old [][]byte
			c := b.Cursor()
			k, v := c.First()
			if from != nil {
				k, v = c.Seek(from)
			}
			for ; k != nil; k, v = c.Next() {
				if len(old) == expireChunk {
					next = append([]byte(nil), k...)
					break
				}
				// A record that does not decode is left for Open to
				// report: deleting it could drop a live reservation.
				if exp, ok := recordExpiry(v); ok && exp <= tn {
					old = append(old, append([]byte(nil), k...))
				}
			}
			for _, k := range old {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return removed, err
		}
		if next == nil {
			return removed, nil
		}
		from = next
	}
}

// journal runs fn in a group-committed write transaction. A failure stops
// the counters (see counterState).
func (s *Store) journal(op string, fn func(tx *bolt.Tx) error) error {
	if err := s.batch(op, fn); err != nil {
		s.mu.Lock()
		if s.counters.failed == nil {
			s.counters.failed = fmt.Errorf("a journal write failed, so the counters in memory may not match the file; reopen the store: %w", err)
		}
		s.mu.Unlock()
		return err
	}
	return nil
}

func (s *Store) nextSeq() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counters.seq++
	return s.counters.seq
}

func (s *Store) countersUsable(op string) error {
	if err := s.check(op); err != nil {
		return err
	}
	s.mu.Lock()
	failed := s.counters.failed
	s.mu.Unlock()
	if failed != nil {
		if errors.Is(failed, storage.ErrCorrupt) {
			return fmt.Errorf("boltstore: %s: counters: %w", op, failed)
		}
		return fmt.Errorf("boltstore: %s: counters: %w: %w", op, storage.ErrUnavailable, failed)
	}
	return nil
}

func (s *Store) countersArgs(ctx context.Context, op string, t time.Time, limits []storage.Limit) error {
	if err := s.countersUsable(op); err != nil {
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

// appendInstant appends a Unix-nanosecond instant that sorts bytewise in
// time order (sign bit flipped, big endian).
func appendInstant(b []byte, ns int64) []byte {
	return binary.BigEndian.AppendUint64(b, uint64(ns)^(1<<63))
}

// encodeReservation encodes a journal record (see counters.log above).
func encodeReservation(id string, at int64, keys []countstate.Recorded) []byte {
	var longest time.Duration
	n := 1 + 8 + 8 + binary.MaxVarintLen64 + len(id) + binary.MaxVarintLen64
	for _, k := range keys {
		longest = max(longest, k.Window)
		n += 2*binary.MaxVarintLen64 + len(k.Key) + len(k.Member) + 8
	}
	b := make([]byte, 0, n)
	b = append(b, journalVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(at))
	b = binary.BigEndian.AppendUint64(b, uint64(satAdd(at, int64(longest))))
	b = appendString(b, id)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = appendString(b, k.Key)
		b = appendString(b, k.Member)
		b = binary.BigEndian.AppendUint64(b, uint64(k.Window))
	}
	return b
}

// satAdd returns a+b, saturating at math.MaxInt64.
func satAdd(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// recordExpiry returns the expiry field of a journal record.
func recordExpiry(v []byte) (int64, bool) {
	if len(v) < 17 || v[0] != journalVersion {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(v[9:17])), true
}

// decodeReservation decodes a journal record, rejecting anything damaged
// with an error wrapping storage.ErrCorrupt.
func decodeReservation(v []byte) (id string, at int64, keys []countstate.Recorded, err error) {
	bad := func(what string) error {
		return fmt.Errorf("%w: counters.log record: %s", storage.ErrCorrupt, what)
	}
	if len(v) < 17 {
		return "", 0, nil, bad(fmt.Sprintf("%d bytes, shorter than its header", len(v)))
	}
	if v[0] != journalVersion {
		return "", 0, nil, bad(fmt.Sprintf("version %d, want %d", v[0], journalVersion))
	}
	at = int64(binary.BigEndian.Uint64(v[1:9]))
	exp := int64(binary.BigEndian.Uint64(v[9:17]))
	r := reader{b: v[17:]}
	id = r.str()
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)) {
		return "", 0, nil, bad(fmt.Sprintf("%d keys in %d bytes", n, len(r.b)))
	}
	var longest time.Duration
	for i := uint64(0); i < n && r.err == nil; i++ {
		k := countstate.Recorded{Key: r.str(), Member: r.str(), Window: time.Duration(r.u64())}
		if r.err == nil && (k.Key == "" || k.Window <= 0) {
			return "", 0, nil, bad("a key with an empty name or a window that is not positive")
		}
		longest = max(longest, k.Window)
		keys = append(keys, k)
	}
	switch {
	case r.err != nil:
		return "", 0, nil, bad(r.err.Error())
	case len(r.b) != 0:
		return "", 0, nil, bad(fmt.Sprintf("%d bytes after its last key", len(r.b)))
	case id == "" || n == 0:
		return "", 0, nil, bad("no id or no keys")
	case exp != satAdd(at, int64(longest)):
		return "", 0, nil, bad("its expiry does not match its instant and windows")
	}
	return id, at, keys, nil
}

// reader decodes the fields of a record; the first error sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errors.New("truncated length")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) str() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.b)) {
		r.err = fmt.Errorf("a field of %d bytes with %d left", n, len(r.b))
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *reader) u64() uint64 {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 8 {
		r.err = errors.New("truncated window")
		return 0
	}
	v := binary.BigEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

// loadCounters replays the journal into a new index. A record that does not
// decode stops the counters with its error (every counter call then fails
// with storage.ErrCorrupt and the checks deny) but not the rest of the store.
func loadCounters(db *bolt.DB) (counterState, error) {
	cs := counterState{idx: countstate.New()}
	err := db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketCounterLog).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(k) != 8 {
				cs.failed = fmt.Errorf("%w: counters.log key of %d bytes, want 8", storage.ErrCorrupt, len(k))
				return nil
			}
			seq := binary.BigEndian.Uint64(k)
			cs.seq = seq
			id, at, keys, err := decodeReservation(v)
			if err != nil {
				cs.failed = fmt.Errorf("record %d: %w", seq, err)
				return nil
			}
			cs.idx.Restore(id, seq, at, keys)
		}
		return nil
	})
	return cs, err
}

// migrateCounters moves schema-1 counter buckets into the journal, within
// the caller's transaction, and deletes them. A damaged entry fails the
// migration (and Open) with storage.ErrCorrupt; nothing is written then.
func migrateCounters(tx *bolt.Tx) error {
	ent, ids := tx.Bucket(bucketCounterEntries), tx.Bucket(bucketCounterIDs)
	if ent == nil && ids == nil {
		return nil
	}
	log := tx.Bucket(bucketCounterLog)
	type rec struct {
		id   string
		at   int64
		keys []countstate.Recorded
	}
	var (
		recs  []rec
		owned = map[string]bool{}
	)
	if ids != nil {
		err := ids.ForEach(func(id, list []byte) error {
			keys, err := splitList(list)
			if err != nil {
				return fmt.Errorf("counters.ids %q: %w", id, err)
			}
			r := rec{id: string(id)}
			for _, k := range keys {
				e, err := v1Entry(ent, k)
				if err != nil {
					return err
				}
				if e.at > r.at {
					r.at = e.at
				}
				r.keys = append(r.keys, e.rec)
				owned[string(k)] = true
			}
			if len(r.keys) > 0 {
				recs = append(recs, r)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if ent != nil {
		// An entry no id lists is migrated as a reservation of its own, so
		// that it still counts.
		n := 0
		err := ent.ForEach(func(k, _ []byte) error {
			if owned[string(k)] {
				return nil
			}
			e, err := v1Entry(ent, k)
			if err != nil {
				return err
			}
			n++
			recs = append(recs, rec{id: fmt.Sprintf("migrated-%d", n), at: e.at, keys: []countstate.Recorded{e.rec}})
			return nil
		})
		if err != nil {
			return err
		}
	}
	for _, r := range recs {
		seq, err := log.NextSequence()
		if err != nil {
			return err
		}
		if err := log.Put(seqKey(seq), encodeReservation(r.id, r.at, r.keys)); err != nil {
			return err
		}
	}
	for _, name := range [][]byte{bucketCounterEntries, bucketCounterIDs} {
		if tx.Bucket(name) != nil {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
		}
	}
	return nil
}

type v1 struct {
	at  int64
	rec countstate.Recorded
}

// v1Entry decodes a schema-1 entry: key = uint16 len | Key | uint64 instant
// (sign bit flipped) | id; value = uint64 window | member.
func v1Entry(ent *bolt.Bucket, k []byte) (v1, error) {
	var v []byte
	if ent != nil {
		v = ent.Get(k)
	}
	if len(k) < 2 || v == nil || len(v) < 8 {
		return v1{}, fmt.Errorf("%w: counters.entries: entry %q is missing or damaged", storage.ErrCorrupt, k)
	}
	pl := 2 + int(binary.BigEndian.Uint16(k))
	if len(k) < pl+8 || pl == 2 {
		return v1{}, fmt.Errorf("%w: counters.entries: key %q is truncated", storage.ErrCorrupt, k)
	}
	w := time.Duration(binary.BigEndian.Uint64(v))
	if w <= 0 {
		return v1{}, fmt.Errorf("%w: counters.entries: entry %q has window %d", storage.ErrCorrupt, k, w)
	}
	return v1{
		at:  decodeInstant(k[pl:]),
		rec: countstate.Recorded{Key: string(k[2:pl]), Member: string(v[8:]), Window: w},
	}, nil
}

func decodeInstant(b []byte) int64 { return int64(binary.BigEndian.Uint64(b) ^ (1 << 63)) }

// splitList decodes a schema-1 id's list of entry keys.
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
