package boltstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
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
// sequence, the journal writes not yet committed by id, and the failure that
// stopped them, if any. Store.mu guards everything but idx (which has its
// own lock), and is held from choosing a record's sequence, through changing
// the index, to queueing the record's write: so the journal receives writes
// in the order the index changed (a Release's delete after the Reserve's
// put, a newer record of an id after an older one).
type counterState struct {
	idx     *countstate.State
	seq     uint64               // last sequence used
	pending map[string]*groupReq // id → the queued write of its record
	failed  error
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
// Idempotent by id: a call for an id whose record is still being written
// returns when that write does, with its result. See storage.Counters.
func (s *Store) Reserve(ctx context.Context, id string, t time.Time, limits []storage.Limit) (bool, []storage.Usage, error) {
	if err := storage.ValidateID(id); err != nil {
		return false, nil, fmt.Errorf("boltstore: reserve: %w", err)
	}
	if err := s.countersArgs(ctx, "reserve", t, limits); err != nil {
		return false, nil, err
	}
	s.mu.Lock()
	if err := s.counters.failed; err != nil {
		s.mu.Unlock()
		return false, nil, countersFailed("reserve", err)
	}
	seq := s.counters.seq + 1
	ok, out, added := s.counters.idx.Reserve(id, seq, t, limits)
	var w *groupReq
	switch {
	case added:
		s.counters.seq = seq
		rec, key := encodeReservation(id, t.UnixNano(), countstate.Keys(limits)), seqKey(seq)
		forgot := s.counters.idx.Forgotten()
		w = s.group.enqueue(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketCounterLog)
			if err := deleteRecords(b, forgot); err != nil {
				return err
			}
			return b.Put(key, rec)
		})
		s.counters.pending[id] = w
	case ok:
		w = s.counters.pending[id] // held: nil once its record is on disk
	}
	s.mu.Unlock()
	if w == nil {
		return ok, out, nil
	}
	err := w.wait()
	if added {
		s.mu.Lock()
		if s.counters.pending[id] == w {
			delete(s.counters.pending, id)
		}
		s.mu.Unlock()
	}
	if err != nil {
		s.journalFailed(err)
		return false, nil, txErr("reserve", err)
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
	s.mu.Lock()
	seq, held := s.counters.idx.Release(id)
	if !held {
		s.mu.Unlock()
		return nil
	}
	w := s.group.enqueue(func(tx *bolt.Tx) error {
		return deleteRecords(tx.Bucket(bucketCounterLog), []uint64{seq})
	})
	s.mu.Unlock()
	if err := w.wait(); err != nil {
		s.journalFailed(err)
		return txErr("release", err)
	}
	return nil
}

// expireChunk bounds the deletions of one ExpireCounters transaction (a
// variable for tests).
var expireChunk = 10_000

// ExpireCounters removes every entry older than the longest window its key
// was used with, at t, from the index, and deletes the journal records of
// the reservations it forgot (those left with no entry), in transactions of
// at most 10,000 deletions, each fsynced. It returns the number of entries
// removed from the index. See storage.CounterExpirer.
func (s *Store) ExpireCounters(ctx context.Context, t time.Time) (int, error) {
	if err := s.countersUsable("expire"); err != nil {
		return 0, err
	}
	if err := storage.ValidateInstant(t); err != nil {
		return 0, fmt.Errorf("boltstore: expire: %w", err)
	}
	var (
		removed int
		ws      []*groupReq
		stopped error
	)
	for from := 0; from >= 0; {
		// One step of the index under the lock, so that reservations are
		// not held up for the whole scan.
		s.mu.Lock()
		n, next := s.counters.idx.ExpireSome(t, from, countstate.ExpireChunk)
		removed, from = removed+n, next
		forgot := s.counters.idx.Forgotten()
		for len(forgot) > 0 {
			chunk := forgot[:min(len(forgot), expireChunk)]
			forgot = forgot[len(chunk):]
			ws = append(ws, s.group.enqueue(func(tx *bolt.Tx) error {
				return deleteRecords(tx.Bucket(bucketCounterLog), chunk)
			}))
		}
		s.mu.Unlock()
		if err := ctx.Err(); err != nil && from >= 0 {
			stopped, from = fmt.Errorf("boltstore: expire: %w", err), -1 // the queued deletions still commit
		}
	}
	for _, w := range ws {
		if err := w.wait(); err != nil {
			s.journalFailed(err)
			return removed, txErr("expire", err)
		}
	}
	return removed, stopped
}

// deleteRecords deletes the journal records of seqs.
func deleteRecords(b *bolt.Bucket, seqs []uint64) error {
	for _, seq := range seqs {
		if err := b.Delete(seqKey(seq)); err != nil {
			return err
		}
	}
	return nil
}

// journalFailed stops the counters after a journal write failed: the index
// may now be ahead of the file.
func (s *Store) journalFailed(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.counters.failed == nil {
		s.counters.failed = fmt.Errorf("a journal write failed, so the counters in memory may not match the file; reopen the store: %w", err)
	}
}

func (s *Store) countersUsable(op string) error {
	if err := s.check(op); err != nil {
		return err
	}
	s.mu.Lock()
	failed := s.counters.failed
	s.mu.Unlock()
	if failed != nil {
		return countersFailed(op, failed)
	}
	return nil
}

func countersFailed(op string, failed error) error {
	if errors.Is(failed, storage.ErrCorrupt) {
		return fmt.Errorf("boltstore: %s: counters: %w", op, failed)
	}
	return fmt.Errorf("boltstore: %s: counters: %w: %w", op, storage.ErrUnavailable, failed)
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

// loadCounters replays the journal into a new index, and deletes the
// records a later record of the same id superseded (an id whose entries had
// all expired, reserved again). A record that does not decode stops the
// counters with its error (every counter call then fails with
// storage.ErrCorrupt and the checks deny) but not the rest of the store.
func loadCounters(db *bolt.DB) (counterState, error) {
	cs := counterState{idx: countstate.NewTracked(), pending: make(map[string]*groupReq)}
	err := db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCounterLog)
		cs.seq = b.Sequence()
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(k) != 8 {
				cs.failed = fmt.Errorf("%w: counters.log key of %d bytes, want 8", storage.ErrCorrupt, len(k))
				return nil
			}
			seq := binary.BigEndian.Uint64(k)
			cs.seq = max(cs.seq, seq)
			id, at, keys, err := decodeReservation(v)
			if err != nil {
				cs.failed = fmt.Errorf("record %d: %w", seq, err)
				return nil
			}
			cs.idx.Restore(id, seq, at, keys)
		}
		return nil
	})
	if err != nil {
		return cs, err
	}
	if old := cs.idx.Forgotten(); len(old) > 0 && cs.failed == nil {
		err = db.Update(func(tx *bolt.Tx) error { return deleteRecords(tx.Bucket(bucketCounterLog), old) })
	}
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
			r := rec{id: string(id), at: math.MinInt64}
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
			recs = append(recs, rec{id: orphanID(n), at: e.at, keys: []countstate.Recorded{e.rec}})
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

// orphanID names the n-th migrated entry that no id listed: longer than any
// id Reserve accepts (storage.MaxKeyLen), so it can meet no caller's id.
func orphanID(n int) string {
	return strings.Repeat("~", storage.MaxKeyLen) + "migrated-" + strconv.Itoa(n)
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

// CounterSize returns how many counter keys and held reservations the
// store keeps in memory (its counters' memory grows with them).
func (s *Store) CounterSize() (keys, reservations int) { return s.counters.idx.Size() }
