package boltstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/dialgate/dialgate/internal/seqrun"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/internal/countstate"
)

// Runs: the sequential-run state (storage.Runs) in memory (package seqrun,
// memstore's engine), journaled in the counters journal (counters.go) as
// reservations of the counters index under a namespace of their own, so
// that they share its group commit, its compaction, its expiry and its
// replay, and a journal that builds before this one read is read by them
// as it was (they see reservations under keys nobody asks about):
//
//	record  = reserve frame of id "\x00r" + run id, at the record's
//	          instant, one key: "\x00r" + params + key, member the value
//	          (decimal), window the rule's window + storage.PruneMargin
//	closing = reserve frame of id "\x00c" + instant (decimal) + "/" +
//	          params + key, at the closing's instant, one key: "\x00c" +
//	          params + key, member the run length (decimal), window the
//	          rule's window + storage.PruneMargin (the key is closed until
//	          instant + the rule's window, read from params; the margin
//	          keeps it, as memory does, for a caller whose clock is behind;
//	          closings written with the rule's window alone, before session
//	          21's re-read, are read the same way)
//	params  = MinRun "/" MaxGap "/" Window (ns) "/"
//
// A release of a run id is the release frame of its reservation; the index
// forgets records and closings that left their window as it forgets
// counter reservations (forget frames, ExpireCounters). Counter calls may
// not use ids or keys starting with a NUL byte (runPrefix), so that they
// never meet these.
//
// RecordRun queues its frame and returns without waiting for the write:
// SyncRuns (storage.RunSyncer), which package sweep calls at the end of a
// commit, waits for it. The write joins the group commit of the dial's
// counter reservations (the sweep's segment-rate reservation is queued
// after it, and the frequency caps' reservations are written in the same
// batch or the next), so a dial costs no fsync more. A closing (RunLength,
// a refused RecordRun) is durable before the call returns (waitClosing,
// with s.runs.mu released): the dial it denies is answered at once, and a
// dialer that then skips ahead in the segment must find it closed after a
// crash (the values recorded before make no run with a number far from
// them). Releases are queued and not waited for: one lost in a crash
// leaves the store stricter (a value still counted).
// Open rebuilds the state from the index the journal replayed into.
const (
	runPrefix    = "\x00"
	runRecPrefix = "\x00r"
	runClsPrefix = "\x00c"
)

// runState is the Store's runs: one runSet per set of parameters but
// MaxStep (as memstore's), the latest batch holding a record (SyncRuns
// waits for it), and the damage that stopped the runs at Open, if any. mu
// guards everything and is taken before Store.mu.
type runState struct {
	mu   sync.Mutex
	sets map[storage.RunParams]*runSet
	last *jbatch
	// lastClose is the latest batch holding a closing: a call that finds a
	// key closed waits for it (waitClosing) before answering, as the call
	// that closed the key does, since that closing may not be durable yet.
	lastClose *jbatch
	failed    error
	// scratch holds the index id, key and member of the record RecordRun
	// is journaling, reused from call to call: journalRun copies them (the
	// index into its pool, countstate.Restore; the frame into the batch).
	scratch []byte
}

// runSet is the state of one set of parameters, with the prefixes of its
// index keys (prefix and params), built once.
type runSet struct {
	*seqrun.Set[string]
	recKey, clsKey string
}

// set returns the runSet of p with MaxStep 0, creating it. s.mu is held.
func (s *runState) set(p storage.RunParams) *runSet {
	p.MaxStep = 0
	r := s.sets[p]
	if r == nil {
		if s.sets == nil {
			s.sets = map[storage.RunParams]*runSet{}
		}
		pp := runParamsPart(p)
		r = &runSet{Set: seqrun.New[string](p.MinRun, p.MaxGap, 0, int64(p.Window)), recKey: runRecPrefix + pp, clsKey: runClsPrefix + pp}
		s.sets[p] = r
	}
	return r
}

// runParamsPart encodes p's MinRun, MaxGap and Window (see the format).
func runParamsPart(p storage.RunParams) string {
	return strconv.Itoa(p.MinRun) + "/" + strconv.Itoa(p.MaxGap) + "/" + strconv.FormatInt(int64(p.Window), 10) + "/"
}

// parseRunKey splits an index key of a record or closing (without its
// two-byte prefix) into its params and run key.
func parseRunKey(k string) (storage.RunParams, string, error) {
	var p storage.RunParams
	f := strings.SplitN(k, "/", 4)
	if len(f) != 4 {
		return p, "", errors.New("no params")
	}
	minRun, err1 := strconv.Atoi(f[0])
	maxGap, err2 := strconv.Atoi(f[1])
	w, err3 := strconv.ParseInt(f[2], 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return p, "", err
	}
	p = storage.RunParams{MinRun: minRun, MaxGap: maxGap, Window: time.Duration(w)}
	if err := storage.ValidateRun(f[3], 0, time.Unix(0, 0), p); err != nil {
		return p, "", err
	}
	return p, f[3], nil
}

// loadRuns rebuilds the run state from the records and closings idx holds
// (the replayed journal). A record that does not parse stops the runs with
// storage.ErrCorrupt (every run call fails: the checks deny).
func loadRuns(idx *countstate.State, rs *runState) {
	var bad error
	idx.EachHeld(runPrefix, func(id string, at int64, key, member string) {
		if bad != nil {
			return
		}
		fail := func(err error) {
			bad = fmt.Errorf("%w: the sweep run record %q under %q: %v", storage.ErrCorrupt, id, key, err)
		}
		n, err := strconv.Atoi(member)
		if err != nil || n < 0 || n > storage.MaxRunValue {
			fail(fmt.Errorf("value %q", member))
			return
		}
		switch {
		case strings.HasPrefix(id, runRecPrefix) && strings.HasPrefix(key, runRecPrefix):
			p, k, err := parseRunKey(key[len(runRecPrefix):])
			if err != nil {
				fail(err)
				return
			}
			rs.set(p).Restore(id[len(runRecPrefix):], k, n, at)
		case strings.HasPrefix(id, runClsPrefix) && strings.HasPrefix(key, runClsPrefix):
			p, k, err := parseRunKey(key[len(runClsPrefix):])
			if err != nil {
				fail(err)
				return
			}
			rs.set(p).RestoreClose(k, at, n)
		default:
			fail(errors.New("unknown kind"))
		}
	})
	rs.failed = bad
}

// runArgs validates a run call's arguments and the store's state.
func (s *Store) runArgs(ctx context.Context, op, key string, x int, t time.Time, p storage.RunParams) error {
	if err := s.countersUsable(op); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("boltstore: %s: %w", op, err)
	}
	if err := storage.ValidateRun(key, x, t, p); err != nil {
		return fmt.Errorf("boltstore: %s: %w", op, err)
	}
	return nil
}

// RunsErr returns the damage found at Open that stops the sweep run state
// (an error wrapping storage.ErrCorrupt naming the record), or nil: with
// it every RecordRun and RunLength fails, so every dial a sweep run rule
// judges is denied. The sidecar logs it at start and fails its store health
// probe with it.
func (s *Store) RunsErr() error {
	s.runs.mu.Lock()
	defer s.runs.mu.Unlock()
	if err := s.runs.failed; err != nil {
		return fmt.Errorf("boltstore: sweep runs: %w", err)
	}
	return nil
}

// runsUsable returns the error that stops the runs, if any. s.runs.mu is
// held.
func (s *Store) runsUsable(op string) error {
	if err := s.runs.failed; err != nil {
		return fmt.Errorf("boltstore: %s: %w", op, err)
	}
	return nil
}

// journalRun adds a reservation of the run state (a record or a closing:
// id, at t, under key with member, for window) to the index and queues its
// frame, with the forget frames of what the index forgot for it (an older
// reservation of id it replaced), and returns its batch. The index records
// it as the replay does (countstate.Restore: no limit, no pruning of the
// key; ExpireCounters forgets it once out of its window). It keeps no
// reference to id, key or member once it returns (both copy them).
// s.runs.mu is held; it takes s.mu. A failure of the counters is returned.
func (s *Store) journalRun(op, id string, t time.Time, key, member string, window time.Duration) (*jbatch, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.counters.failed; err != nil {
		return nil, countersFailed(op, err)
	}
	idx, j := s.counters.idx, s.counters.j
	seq := s.counters.seq + 1
	tn := t.UnixNano()
	keys := [1]countstate.Recorded{{Key: key, Member: member, Window: window}}
	idx.Restore(id, seq, tn, keys[:])
	s.counters.seq = seq
	forgot := idx.Forgotten()
	w := j.append(func(b []byte) []byte {
		for _, f := range forgot {
			b = appendIDFrame(b, frameForget, f.Tag, f.ID)
		}
		n := len(b)
		b = appendRunFrame(b, seq, id, tn, key, member, window)
		j.reserveBytes.Add(int64(len(b) - n))
		j.reserveFrames.Add(1)
		return b
	})
	return w, nil
}

// journalClose records that key (under set's params p) closed at t with
// run length n, and returns the batch its frame is in. s.runs.mu is held.
func (s *Store) journalClose(op string, set *runSet, key string, t time.Time, p storage.RunParams, n int) (*jbatch, error) {
	k := set.clsKey + key
	id := runClsPrefix + strconv.FormatInt(t.UnixNano(), 10) + "/" + k[len(runClsPrefix):]
	// Kept storage.PruneMargin past the window, as the records and as
	// seqrun keeps a closing in memory: an expiry by a clock ahead of a
	// dial's must not forget a closing that dial still finds in force.
	w, err := s.journalRun(op, id, t, k, strconv.Itoa(n), p.Window+storage.PruneMargin)
	if err == nil {
		s.runs.lastClose = w
	}
	return w, err
}

// waitClosing waits, s.runs.mu not held, until the closing journalClose
// queued in w is durable: the call that closed the key answers a dial with
// it (denied), and a dialer that then skips ahead in the segment must find
// it closed after a crash too (the values recorded before make no run with
// a number far from them). A failed write stops the counters and the runs;
// ctx's end returns its error (the refusal is then an error: the dial is
// denied all the same).
func (s *Store) waitClosing(ctx context.Context, op string, w *jbatch) error {
	if w == nil {
		return nil
	}
	if err := w.waitCtx(ctx); err != nil {
		if errors.Is(err, errWaitAbandoned) {
			return fmt.Errorf("boltstore: %s: %w", op, err)
		}
		return s.journalErr(op, err)
	}
	return nil
}

// RunLength returns the length of the run x would make under key at t; a
// run of p.MinRun or more closes the key, and the closing is journaled and
// durable before it returns (waitClosing). See storage.Runs.
func (s *Store) RunLength(ctx context.Context, key string, x int, t time.Time, p storage.RunParams) (int, error) {
	if err := s.runArgs(ctx, "run length", key, x, t, p); err != nil {
		return 0, err
	}
	s.runs.mu.Lock()
	if err := s.runsUsable("run length"); err != nil {
		s.runs.mu.Unlock()
		return 0, err
	}
	set := s.runs.set(p)
	tn := t.UnixNano()
	if n := set.Closed(key, tn); n > 0 {
		w := s.runs.lastClose // the closing may still be being written
		s.runs.mu.Unlock()
		if err := s.waitClosing(ctx, "run length", w); err != nil {
			return 0, err
		}
		return n, nil
	}
	n := set.LengthStep(key, x, tn, p.MaxStep)
	var w *jbatch
	if n >= p.MinRun {
		var err error
		if w, err = s.journalClose("run length", set, key, t, p, n); err != nil {
			s.runs.mu.Unlock()
			return 0, err
		}
	}
	s.runs.mu.Unlock()
	if err := s.waitClosing(ctx, "run length", w); err != nil {
		return 0, err
	}
	return n, nil
}

// RecordRun records x under key at t for id unless that would make a run.
// The record is queued in the counters journal and is durable once a later
// SyncRuns (or a counter Reserve queued after it) returns; a refusal's
// closing is durable before it returns (waitClosing). See storage.Runs and
// storage.RunSyncer.
func (s *Store) RecordRun(ctx context.Context, id, key string, x int, t time.Time, p storage.RunParams) (int, bool, error) {
	n, ok, closing, err := s.recordRun(ctx, id, key, x, t, p)
	if err != nil {
		return 0, false, err
	}
	if err := s.waitClosing(ctx, "record run", closing); err != nil {
		return 0, false, err
	}
	return n, ok, nil
}

// recordRun is RecordRun under s.runs.mu; it returns the batch of the
// closing a refusal queued (nil if none), for RecordRun to wait for.
func (s *Store) recordRun(ctx context.Context, id, key string, x int, t time.Time, p storage.RunParams) (int, bool, *jbatch, error) {
	if err := storage.ValidateID(id); err != nil {
		return 0, false, nil, fmt.Errorf("boltstore: record run: %w", err)
	}
	if err := s.runArgs(ctx, "record run", key, x, t, p); err != nil {
		return 0, false, nil, err
	}
	s.runs.mu.Lock()
	defer s.runs.mu.Unlock()
	if err := s.runsUsable("record run"); err != nil {
		return 0, false, nil, err
	}
	for _, r := range s.runs.sets { // ids are global to the store's runs
		if r.Held(id) {
			return 0, true, nil, nil
		}
	}
	set := s.runs.set(p)
	tn := t.UnixNano()
	if n := set.Closed(key, tn); n > 0 {
		return n, false, s.runs.lastClose, nil // the closing may still be being written
	}
	n, ok := set.AddStep(id, key, x, tn, p.MaxStep)
	if !ok {
		w, err := s.journalClose("record run", set, key, t, p, n)
		if err != nil {
			return 0, false, nil, err
		}
		return n, false, w, nil
	}
	// The index's id, key and member, over scratch memory: journalRun
	// keeps no reference to them (it copies them into the index's pool and
	// the journal's batch) and s.runs.mu is held until it returns, so the
	// record costs no allocation of its own.
	b := append(s.runs.scratch[:0], runRecPrefix...)
	b = append(b, id...)
	b = append(b, set.recKey...)
	b = append(b, key...)
	b = strconv.AppendInt(b, int64(x), 10)
	s.runs.scratch = b
	all := unsafe.String(unsafe.SliceData(b), len(b))
	ki, mi := len(runRecPrefix)+len(id), len(runRecPrefix)+len(id)+len(set.recKey)+len(key)
	w, err := s.journalRun("record run", all[:ki], t, all[ki:mi], all[mi:], p.Window+storage.PruneMargin)
	if err != nil {
		set.Release(id)
		return 0, false, nil, err
	}
	s.runs.last = w
	return 0, true, nil, nil
}

// ReleaseRun removes what RecordRun recorded for id and queues a release
// frame (not waited for: a release lost in a crash leaves the value
// counted, which errs on the safe side). See storage.Runs.
func (s *Store) ReleaseRun(ctx context.Context, id string) error {
	if err := s.countersUsable("release run"); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("boltstore: release run: %w", err)
	}
	s.runs.mu.Lock()
	defer s.runs.mu.Unlock()
	if err := s.runsUsable("release run"); err != nil {
		return err
	}
	for _, r := range s.runs.sets {
		r.Release(id)
	}
	rid := runRecPrefix + id
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.counters.failed; err != nil {
		return countersFailed("release run", err)
	}
	if tag, held := s.counters.idx.Release(rid); held {
		s.counters.j.append(func(b []byte) []byte { return appendIDFrame(b, frameRelease, tag, rid) })
	}
	return nil
}

// SyncRuns returns once every record of a RecordRun that returned before
// it is durable (fdatasynced in the counters journal). An error means that
// is not known: a failed write stops the counters and the runs
// (storage.ErrUnavailable), ctx's end returns its error (the write goes
// on). See storage.RunSyncer.
func (s *Store) SyncRuns(ctx context.Context) error {
	if err := s.countersUsable("sync runs"); err != nil {
		return err
	}
	s.runs.mu.Lock()
	w := s.runs.last
	err := s.runsUsable("sync runs")
	s.runs.mu.Unlock()
	if err != nil || w == nil {
		return err
	}
	if err := w.waitCtx(ctx); err != nil {
		if errors.Is(err, errWaitAbandoned) {
			return fmt.Errorf("boltstore: sync runs: %w", err)
		}
		return s.journalErr("sync runs", err)
	}
	return nil
}

// appendRunFrame appends the reserve frame of a run record or closing: id
// at instant at (Unix ns) under one key with member and window (the
// counters' format, see counters.go).
func appendRunFrame(b []byte, seq uint64, id string, at int64, key, member string, window time.Duration) []byte {
	b, start := beginFrame(b)
	b = append(b, frameReserve)
	b = binary.BigEndian.AppendUint64(b, seq)
	b = append(b, journalVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(at))
	b = binary.BigEndian.AppendUint64(b, uint64(satAdd(at, int64(window))))
	b = appendString(b, id)
	b = binary.AppendUvarint(b, 1)
	b = appendString(b, key)
	b = appendString(b, member)
	b = binary.BigEndian.AppendUint64(b, uint64(window))
	return endFrame(b, start)
}
