package boltstore

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dialgate/dialgate/internal/durable"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/internal/countstate"
)

// Counters: an in-memory index in front of an append-only file journal.
//
// Only one process opens a store file (bbolt locks it), so the index in
// memory (package countstate, the engine of memstore too) is the authority:
// Usage and Reserve decide without reading the disk. The journal makes every
// reservation durable before Reserve returns; Open replays it.
//
// The journal (schema version 3; commit frames since version 5) lives
// beside the store file P, in segment
// files P.counters.<n> (n zero-padded to 10 digits, so that the names sort
// in order), not in bbolt: a bbolt commit costs two fdatasyncs (data pages,
// then meta) and rewrites B+tree nodes, an append to a file one fdatasync.
// Only a read-write Open (the holder of the bbolt lock) touches them.
//
//	segment = header | batch*                     (format 2)
//	        | header | frame*                     (format 1: schema 3 and 4)
//	header  = "DGCNTJNL" | uint32 format version (2, or 1) | 16-byte journal
//	          id (also in the meta bucket: a segment of another store, or a
//	          store whose journal went missing, is refused, not read as empty)
//	batch   = frame+ | commit frame               (one write and fdatasync)
//	frame   = uint32 BE payload length | uint32 BE CRC-32C (Castagnoli) of
//	          the payload | payload
//	payload = 1 | uint64 seq | reservation        (reserve)
//	        | 2 | uint64 seq | id                 (release of reservation seq)
//	        | 3 | uint64 seq | id                 (forget: the index dropped
//	                                               reservation seq, all its
//	                                               entries having expired)
//	        | 4 | uint32 frames | uint64 bytes | uint32 CRC-32C
//	                                              (commit: the batch's frame
//	                                               count, and length and
//	                                               CRC-32C of its frames)
//	reservation = version byte (1) | int64 instant (Unix ns) | int64 expiry
//	        (Unix ns: instant + the longest window of its keys) | uvarint
//	        len | id | uvarint count | count × (uvarint len | key | uvarint
//	        len | member | int64 window ns)
//
// Sequences increase; Store.mu is held from choosing a reservation's
// sequence, through changing the index, to queueing its frames, so the
// journal's order is the index's. One writer goroutine owns the active (last)
// segment and writes everything queued with one write() and one fdatasync,
// then wakes that batch's callers (group commit; see journal.go). Replay
// restores each reserve (a later one of an id replaces it) and drops a
// reservation on its release or forget frame if it is still held with that
// sequence, a batch's frames only once its commit frame is read and valid.
// A torn tail was never acknowledged and is cut off: in the last segment,
// everything after its last valid commit frame, whatever it holds (a power
// cut during a batch's write can leave a later page of it without an
// earlier one), or in a format-1 segment a bad frame at its end with no
// good frame after it. Any other damage — a bad frame that a valid commit
// frame follows — stops the counters with storage.ErrCorrupt (every counter
// call fails and the checks deny) and Open modifies nothing. A write the journal
// could not make durable (a failed write or fdatasync) leaves the index
// possibly ahead of the file: the counters then fail every later call with
// storage.ErrUnavailable, until the store is reopened (fail closed).
//
// The active segment is sealed past Options.SegmentSize; sealed segments
// are merged in the background once they hold more than twice the held
// reservations' bytes (compact.go).
//
// Schema version 1 kept counters in counters.entries and counters.ids (one
// B+tree entry per key), version 2 in the bbolt bucket counters.log (key =
// uint64 seq, value = reservation as above). Open migrates both: version 1
// to the bucket in one transaction, the bucket to a new segment (fsynced),
// then one transaction drops the bucket and sets the current version.
// Versions 3 and 4 wrote format-1 segments: Open reads them by their own
// rule, and before it writes raises the file to version 5 and starts a
// format-2 segment after them (loadCounters).
var (
	// Version 2's journal, migrated by Open.
	bucketCounterLog = []byte("counters.log")

	// Version 1 buckets, migrated by Open.
	bucketCounterEntries = []byte("counters.entries")
	bucketCounterIDs     = []byte("counters.ids")
)

const journalVersion = 1

// counterState is the Store's counters: the index, the next journal
// sequence, the journal writes not yet durable by id, the journal writer,
// and the failure that stopped the counters, if any. Store.mu guards
// everything but idx (which has its own lock) and j, and is held from
// choosing a record's sequence, through changing the index, to queueing the
// record's frames: so the journal receives frames in the order the index
// changed (a release after its reserve, a newer reservation of an id after
// the forget of the older one).
type counterState struct {
	idx     *countstate.State
	j       *journal           // nil when the journal did not load (failed is set)
	seq     uint64             // last sequence used
	pending map[string]*jbatch // id → the batch its reserve frame is in, until durable
	failed  error
	// afterWait, when set (tests), runs in Reserve once the journal write it
	// waited for has ended, before a failure poisons the counters.
	afterWait func(id string)
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
// (one frame, group-committed: written and fdatasynced before Reserve
// returns).
// Idempotent by id: a call for an id whose record is still being written
// returns when that write does, with its result. If ctx ends before the
// write returns (a stalled disk), Reserve fails with ctx's error; the
// reservation stays held, its frame still written, until released. See
// storage.Counters.
func (s *Store) Reserve(ctx context.Context, id string, t time.Time, limits []storage.Limit) (bool, []storage.Usage, error) {
	if err := storage.ValidateID(id); err != nil {
		return false, nil, fmt.Errorf("boltstore: reserve: %w", err)
	}
	if strings.HasPrefix(id, runPrefix) {
		return false, nil, fmt.Errorf("boltstore: reserve: reservation id: starts with a NUL byte, kept for the store's sweep runs: %w", storage.ErrInvalid)
	}
	if err := s.countersArgs(ctx, "reserve", t, limits); err != nil {
		return false, nil, err
	}
	if reserveFrameBound(id, limits) > maxFramePayload {
		return false, nil, fmt.Errorf("boltstore: reserve: limits: more than %d bytes of keys and members: %w", maxFramePayload, storage.ErrInvalid)
	}
	s.mu.Lock()
	if err := s.counters.failed; err != nil {
		s.mu.Unlock()
		return false, nil, countersFailed("reserve", err)
	}
	seq := s.counters.seq + 1
	ok, out, added := s.counters.idx.Reserve(id, seq, t, limits)
	var w *jbatch
	switch {
	case added:
		s.counters.seq = seq
		// Reservations the index forgot while pruning for this one get
		// their forget frames first, in the same batch.
		forgot := s.counters.idx.Forgotten()
		j, tn := s.counters.j, t.UnixNano()
		w = j.append(func(b []byte) []byte {
			for _, f := range forgot {
				b = appendIDFrame(b, frameForget, f.Tag, f.ID)
			}
			n := len(b)
			b = appendReserveFrame(b, seq, id, tn, limits)
			j.reserveBytes.Add(int64(len(b) - n))
			j.reserveFrames.Add(1)
			return b
		})
		s.counters.pending[id] = w
	case ok:
		w = s.counters.pending[id] // held: nil once its frame is on disk
	}
	s.mu.Unlock()
	if w == nil {
		return ok, out, nil
	}
	err := w.waitCtx(ctx)
	if errors.Is(err, errWaitAbandoned) {
		// The frame is still written: the reservation is held (counted,
		// which errs on the safe side) until released, and leaves pending
		// once durable, as below.
		if added {
			go func() {
				switch err := w.wait(); {
				case err == nil:
					s.mu.Lock()
					if s.counters.pending[id] == w {
						delete(s.counters.pending, id)
					}
					s.mu.Unlock()
				case !errors.Is(err, errJournalClosed):
					s.journalFailed(err)
				}
			}()
		}
		return false, nil, fmt.Errorf("boltstore: reserve: %w", err)
	}
	if added && err == nil {
		// Only a durable reservation leaves pending: after a failed write
		// the entry stays, so that a Reserve of the same id that finds it
		// held waits on this batch and gets its error instead of ok (the
		// counters are poisoned by journalErr below, after s.mu is
		// released, and a Reserve in between must not answer ok).
		s.mu.Lock()
		if s.counters.pending[id] == w {
			delete(s.counters.pending, id)
		}
		s.mu.Unlock()
	}
	if s.counters.afterWait != nil {
		s.counters.afterWait(id)
	}
	if err != nil {
		return false, nil, s.journalErr("reserve", err)
	}
	return true, out, nil
}

// Release removes everything recorded for id, and appends a release frame
// to the journal, fdatasynced before it returns. See storage.Counters.
func (s *Store) Release(ctx context.Context, id string) error {
	if err := s.countersUsable("release"); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("boltstore: release: %w", err)
	}
	if id == "" || strings.HasPrefix(id, runPrefix) {
		return nil // no counter reservation has such an id
	}
	s.mu.Lock()
	if err := s.counters.failed; err != nil {
		s.mu.Unlock()
		return countersFailed("release", err)
	}
	seq, held := s.counters.idx.Release(id)
	if !held {
		s.mu.Unlock()
		return nil
	}
	w := s.counters.j.append(func(b []byte) []byte { return appendIDFrame(b, frameRelease, seq, id) })
	s.mu.Unlock()
	if err := w.waitCtx(ctx); err != nil {
		if errors.Is(err, errWaitAbandoned) {
			return fmt.Errorf("boltstore: release: %w", err)
		}
		return s.journalErr("release", err)
	}
	return nil
}

// ExpireCounters removes every entry older than the longest window its key
// was used with, at t, from the index, and appends a forget frame for each
// reservation it forgot (those left with no entry), a batch per step of the
// walk, each fdatasynced before it returns. It returns the number of entries
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
		ws      []*jbatch
		stopped error
	)
	for from := 0; from >= 0; {
		// One step of the index under the lock, so that reservations are
		// not held up for the whole scan.
		s.mu.Lock()
		if err := s.counters.failed; err != nil {
			s.mu.Unlock()
			return removed, countersFailed("expire", err)
		}
		n, next := s.counters.idx.ExpireSome(t, from, countstate.ExpireChunk)
		removed, from = removed+n, next
		if forgot := s.counters.idx.Forgotten(); len(forgot) > 0 {
			ws = append(ws, s.counters.j.append(func(b []byte) []byte {
				for _, f := range forgot {
					b = appendIDFrame(b, frameForget, f.Tag, f.ID)
				}
				return b
			}))
		}
		s.mu.Unlock()
		if err := ctx.Err(); err != nil && from >= 0 {
			stopped, from = fmt.Errorf("boltstore: expire: %w", err), -1 // the queued frames are still written
		}
	}
	for _, w := range ws {
		if err := w.waitCtx(ctx); err != nil {
			if errors.Is(err, errWaitAbandoned) {
				return removed, fmt.Errorf("boltstore: expire: %w", err)
			}
			return removed, s.journalErr("expire", err)
		}
	}
	return removed, stopped
}

// journalErr turns a failed journal write into op's error: the store
// closing under the call is storage.ErrClosed; anything else stops the
// counters (journalFailed) and is storage.ErrUnavailable.
func (s *Store) journalErr(op string, err error) error {
	if errors.Is(err, errJournalClosed) {
		return fmt.Errorf("boltstore: %s: %w", op, storage.ErrClosed)
	}
	s.journalFailed(err)
	return fmt.Errorf("boltstore: %s: %w: %w", op, storage.ErrUnavailable, err)
}

// journalFailed stops the counters after a journal write failed: the index
// may now be ahead of the file.
func (s *Store) journalFailed(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.counters.failed == nil {
		s.counters.failed = fmt.Errorf("a journal write failed, so the counters in memory may not match the file; reopen the store: %w", err)
		s.countersStopped.Store(true)
	}
}

func (s *Store) countersUsable(op string) error {
	if err := s.check(op); err != nil {
		return err
	}
	if !s.countersStopped.Load() {
		return nil // Reserve, Release and ExpireCounters test failed again under mu
	}
	s.mu.Lock()
	failed := s.counters.failed
	s.mu.Unlock()
	return countersFailed(op, failed)
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
	for i := range limits {
		if strings.HasPrefix(limits[i].Key, runPrefix) {
			return fmt.Errorf("boltstore: %s: limits[%d]: key: starts with a NUL byte, kept for the store's sweep runs: %w", op, i, storage.ErrInvalid)
		}
	}
	return nil
}

// appendInstant appends a Unix-nanosecond instant that sorts bytewise in
// time order (sign bit flipped, big endian).
func appendInstant(b []byte, ns int64) []byte {
	return binary.BigEndian.AppendUint64(b, uint64(ns)^(1<<63))
}

// encodeReservation encodes a reservation (see the format above).
func encodeReservation(id string, at int64, keys []countstate.Recorded) []byte {
	n := 1 + 8 + 8 + binary.MaxVarintLen64 + len(id) + binary.MaxVarintLen64
	for _, k := range keys {
		n += 2*binary.MaxVarintLen64 + len(k.Key) + len(k.Member) + 8
	}
	return appendReservation(make([]byte, 0, n), id, at, keys)
}

// appendReservation appends an encoded reservation to b.
func appendReservation(b []byte, id string, at int64, keys []countstate.Recorded) []byte {
	var longest time.Duration
	for _, k := range keys {
		longest = max(longest, k.Window)
	}
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

// appendReservationLimits appends the encoding of a reservation of limits:
// the same bytes as appendReservation(b, id, at, countstate.Keys(limits)),
// without allocating.
func appendReservationLimits(b []byte, id string, at int64, limits []storage.Limit) []byte {
	var longest time.Duration
	n := 0
	for i, l := range limits {
		if l.CheckOnly {
			continue // checked, never recorded (countstate.Keys leaves it out)
		}
		longest = max(longest, l.Window)
		if firstOfKey(limits, i) {
			n++
		}
	}
	b = append(b, journalVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(at))
	b = binary.BigEndian.AppendUint64(b, uint64(satAdd(at, int64(longest))))
	b = appendString(b, id)
	b = binary.AppendUvarint(b, uint64(n))
	for i, l := range limits {
		if l.CheckOnly || !firstOfKey(limits, i) {
			continue
		}
		w := l.Window
		for _, o := range limits[i+1:] {
			if o.Key == l.Key {
				w = max(w, o.Window)
			}
		}
		b = appendString(b, l.Key)
		b = appendString(b, l.Member)
		b = binary.BigEndian.AppendUint64(b, uint64(w))
	}
	return b
}

// firstOfKey reports whether limits[i] is the first limit with its key.
func firstOfKey(limits []storage.Limit, i int) bool {
	for _, o := range limits[:i] {
		if o.Key == limits[i].Key {
			return false
		}
	}
	return true
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
	tooLong := len(id) > countstate.MaxString
	for _, k := range keys {
		tooLong = tooLong || len(k.Key) > countstate.MaxString || len(k.Member) > countstate.MaxString
	}
	switch {
	case r.err != nil:
		return "", 0, nil, bad(r.err.Error())
	case tooLong:
		return "", 0, nil, bad(fmt.Sprintf("an id, key or member longer than %d bytes", countstate.MaxString))
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

// loadCounters replays the journal of the store at path (whose journal id
// is id) into a new index and starts its writer. Damage (see replayJournal)
// stops the counters with its error (every counter call then fails with
// storage.ErrCorrupt and the checks deny) but not the rest of the store, and
// nothing is written. Otherwise a torn tail is cut off and fsynced, the
// temporary files a crash left are removed, and the writer appends to the
// last segment — or, if that is of format 1 (no commit frames: a journal of
// schema version 3 or 4), to a new segment of format 2 after it, once
// raise has recorded in the store file that the journal has commit frames
// (schema version schemaCommitFrames, which older builds refuse). An error
// is a failure to read or write the files.
func loadCounters(path string, id []byte, opts Options, raise func() error) (counterState, error) {
	cs := counterState{idx: countstate.NewTracked(), pending: make(map[string]*jbatch)}
	rep, err := replayJournal(path, id, cs.idx)
	if err != nil {
		if errors.Is(err, storage.ErrCorrupt) {
			cs.failed = fmt.Errorf("counters journal: %w", err)
			return cs, nil
		}
		return cs, err
	}
	cs.idx.Forgotten() // replaced by a later reserve while replaying: nothing to record
	cs.seq = rep.seq
	lastN := rep.segs[len(rep.segs)-1].n
	last := segName(path, lastN)
	if rep.tornAt >= 0 {
		if err := truncateTail(last, rep.tornAt); err != nil {
			return cs, fmt.Errorf("cut the torn tail off %s: %w", last, err)
		}
	}
	if err := removeTemps(path); err != nil {
		return cs, err
	}
	var f *os.File
	if rep.lastVersion == segVersionNoCommit {
		// The schema first: a crash after it leaves a format-1 last
		// segment, which the next Open seals the same way; the other
		// order could leave a format-2 segment in a file that an older
		// build opens, which would stop its counters as damaged.
		if err := raise(); err != nil {
			return cs, fmt.Errorf("record schema version %d: %w", schemaCommitFrames, err)
		}
		if f, err = createSegment(path, lastN+1, id, tmpRotate); err != nil {
			return cs, fmt.Errorf("start a journal segment with commit frames: %w", err)
		}
		rep.segs = append(rep.segs, segment{n: lastN + 1, size: int64(segHeaderLen)})
	} else {
		// The last segment's entry may never have been made durable: a
		// process that died between rotate's rename and its fsync of the
		// directory left it so. Reservations appended to it are
		// acknowledged once fdatasynced, which does not keep the entry.
		if err := syncDir(path); err != nil {
			return cs, fmt.Errorf("fsync the journal's directory: %w", err)
		}
		if f, err = os.OpenFile(last, os.O_WRONLY|os.O_APPEND, 0); err != nil {
			return cs, err
		}
	}
	cs.j = startJournal(path, id, f, rep.segs, cs.idx, opts)
	cs.j.reserveBytes.Store(rep.resBytes)
	cs.j.reserveFrames.Store(rep.reserves)
	return cs, nil
}

// newJournalID returns a random journal id.
func newJournalID() ([]byte, error) {
	id := make([]byte, journalIDLen)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	return id, nil
}

// migrateJournal gives a new file (no schema yet) or a schema-2 file its
// journal: it writes the records of bucket counters.log, if any, as reserve
// frames with their sequences into a new segment 1 (format 2: in batches
// closed by commit frames; fsynced), in place of any segment files an
// interrupted migration (or a removed store) left; then one transaction
// drops the bucket and records the schema, its current version
// (SchemaVersion) and the new journal id. A crash before that transaction leaves the file
// as it was, and the next Open migrates again.
//
// A record that does not decode is returned as corrupt (wrapping
// storage.ErrCorrupt), and nothing is written: the file stays at version 2
// and its counters fail until it is repaired.
func migrateJournal(db *bolt.DB, path string) (id []byte, corrupt, err error) {
	// Check every record first: a file whose counters are damaged is left
	// exactly as it is.
	err = db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCounterLog)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if len(k) != 8 {
				corrupt = fmt.Errorf("%w: counters.log key of %d bytes, want 8", storage.ErrCorrupt, len(k))
				return errStop
			}
			if _, _, _, err := decodeReservation(v); err != nil {
				corrupt = fmt.Errorf("counters.log record %d: %w", binary.BigEndian.Uint64(k), err)
				return errStop
			}
			return nil
		})
	})
	if corrupt != nil {
		return nil, corrupt, nil
	}
	if err != nil {
		return nil, nil, err
	}
	// A new file (no counters.log bucket) beside segments that hold frames is
	// a store file lost or replaced under its journal, not an interrupted
	// first start (which leaves a header only): starting with empty counters
	// would grant every cap again.
	var fresh bool
	if err := db.View(func(tx *bolt.Tx) error { fresh = tx.Bucket(bucketCounterLog) == nil; return nil }); err != nil {
		return nil, nil, err
	}
	if fresh {
		old, err := listSegments(path)
		if err != nil {
			return nil, nil, err
		}
		for _, n := range old {
			fi, err := os.Stat(segName(path, n))
			if err != nil {
				return nil, nil, err
			}
			if fi.Size() > int64(segHeaderLen) {
				return nil, fmt.Errorf("%w: %s holds counter reservations but the store file beside it has none (a new or replaced file): restore the store file that goes with the journal, or move the journal away to start with empty counters", storage.ErrCorrupt, segName(path, n)), nil
			}
		}
	}
	id, err = newJournalID()
	if err != nil {
		return nil, nil, err
	}
	tmp := path + tmpMigrate
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, err
	}
	keep := false
	defer func() {
		if !keep {
			f.Close()
			os.Remove(tmp)
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := w.Write(segHeader(id)); err != nil {
		return nil, nil, err
	}
	var buf []byte
	bw := newBatchWriter(w, int64(segHeaderLen))
	err = db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCounterLog)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			buf = appendRecordFrame(buf[:0], binary.BigEndian.Uint64(k), v)
			return bw.frame(buf)
		})
	})
	if err != nil {
		return nil, nil, err
	}
	if err := bw.commit(); err != nil {
		return nil, nil, err
	}
	if err := w.Flush(); err != nil {
		return nil, nil, err
	}
	if err := durable.SyncData(f); err != nil {
		return nil, nil, err
	}
	if err := f.Close(); err != nil {
		return nil, nil, err
	}
	keep = true
	old, err := listSegments(path)
	if err != nil {
		return nil, nil, err
	}
	for _, n := range old {
		if err := os.Remove(segName(path, n)); err != nil {
			return nil, nil, err
		}
	}
	if err := os.Rename(tmp, segName(path, 1)); err != nil {
		return nil, nil, err
	}
	if err := syncDir(path); err != nil {
		return nil, nil, err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketCounterLog) != nil {
			if err := tx.DeleteBucket(bucketCounterLog); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if err := meta.Put(metaSchema, []byte(SchemaName)); err != nil {
			return err
		}
		if err := meta.Put(metaJournal, id); err != nil {
			return err
		}
		return meta.Put(metaVersion, []byte(strconv.Itoa(SchemaVersion)))
	})
	if err != nil {
		return nil, nil, err
	}
	return id, nil, nil
}

// migrateCounters moves schema-1 counter buckets into the schema-2 journal
// bucket (counters.log, which migrateJournal then moves to the file
// journal), within the caller's transaction, and deletes them. A damaged entry fails the
// migration (and Open) with storage.ErrCorrupt; nothing is written then.
func migrateCounters(tx *bolt.Tx) error {
	ent, ids := tx.Bucket(bucketCounterEntries), tx.Bucket(bucketCounterIDs)
	if ent == nil && ids == nil {
		return nil
	}
	log, err := tx.CreateBucketIfNotExists(bucketCounterLog)
	if err != nil {
		return err
	}
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
// store keeps in memory (its counters' memory grows with them), the sweep
// run records and closings (runs.go) included.
func (s *Store) CounterSize() (keys, reservations int) { return s.counters.idx.Size() }
