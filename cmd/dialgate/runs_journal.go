package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/dialgate/dialgate/internal/durable"
	"github.com/dialgate/dialgate/internal/regfile"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
)

// runsJournalFile, in --data, keeps the run state of the sweep.sequential
// and sweep.stride rules (storage.Runs) between the decisions of
// `dialgate check`. Kept in the memory of one check process, the runs were
// forgotten when it exited, so a dialer calling check before every dial of
// a walk through a segment was never stopped. (The embedded store keeps
// runs of its own since session 21, journaled with its counters: those are
// serve's; check keeps using this file, so that the runs it recorded
// before stay counted.) Each line is one call that changed the state;
// check replays them at start.
const runsJournalFile = "sweep-runs.jsonl"

// runOp is one line of runsJournalFile: a storage.Runs call that may have
// changed the state.
type runOp struct {
	// Op is "length" (a RunLength that found a run: it closes the key),
	// "record" (a RecordRun) or "release" (a ReleaseRun).
	Op  string            `json:"op"`
	ID  string            `json:"id,omitempty"`
	Key string            `json:"key,omitempty"`
	X   int               `json:"x,omitempty"`
	T   time.Time         `json:"t"`
	P   storage.RunParams `json:"p"`
}

// journaledRuns is a storage.Runs in memory (memstore's) whose changes are
// appended, synced, to runsJournalFile, so that the next check sees them.
// The store of --data is locked to one process while it is open, and the
// journal is only opened with it: one writer at a time.
type journaledRuns struct {
	mem  *memstore.Store
	path string

	mu   sync.Mutex
	f    *os.File // opened on the first append
	size int64    // the length of f: its whole lines
	// failed is the error of a write or sync of f that failed: the
	// journal may end in part of a line, or hold lines the disk lost.
	// Later appends fail with it (the decision denies), so that no line
	// is glued to such a part; the next check reads what is there.
	failed error
	held   map[string]bool // the ids the journal records: only their releases are journaled

	// write, when not nil (tests), writes b to f in place of f.Write.
	write func(f *os.File, b []byte) (int, error)
}

var _ storage.Runs = (*journaledRuns)(nil)

// openRunsJournal replays the journal in dir (none: empty state) into a
// new state and returns it. Calls older than twice their window and
// storage.PruneMargin before now can change no decision any more (their
// values no longer count, their closings have ended): the journal is
// rewritten without them once they are as long as the lines kept. A line that does not parse is
// an error (the state it held is unknown: no decision is possible); a
// last line without its newline (a write cut short; its decision was
// never given) is ignored. Anything but a regular file at the journal's
// path (a FIFO would block the open for ever) is an error, and the
// temporary files of a rewrite cut short by a crash are removed.
func openRunsJournal(ctx context.Context, dir string, now time.Time) (*journaledRuns, error) {
	j := &journaledRuns{mem: memstore.New(), path: filepath.Join(dir, runsJournalFile), held: map[string]bool{}}
	if err := removeJournalTemps(dir); err != nil {
		return nil, fmt.Errorf("%s: removing a rewrite's leftover temporary file: %w", runsJournalFile, err)
	}
	b, err := regfile.ReadFile(j.path, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return j, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", runsJournalFile, err)
	}
	var (
		kept    []byte
		torn    bool
		stale   int // bytes of the lines dropped
		keptIDs = map[string]bool{}
	)
	for line, rest := 1, b; len(rest) > 0; line++ {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			torn = true // a torn last line
			break
		}
		raw := rest[:i+1]
		rest = rest[i+1:]
		var op runOp
		if err := json.Unmarshal(raw, &op); err != nil {
			return nil, fmt.Errorf("%s: line %d: %w", runsJournalFile, line, err)
		}
		if err := j.apply(ctx, op); err != nil {
			return nil, fmt.Errorf("%s: line %d: %w", runsJournalFile, line, err)
		}
		keep := op.T.After(now.Add(-2*op.P.Window - storage.PruneMargin))
		switch op.Op {
		case "record":
			keptIDs[op.ID] = keep
			j.held[op.ID] = true
		case "release":
			keep = keptIDs[op.ID]
		}
		if !keep {
			stale += len(raw)
			continue
		}
		kept = append(kept, raw...)
	}
	// The file is rewritten without the lines that count no more once
	// they are as long as those kept (replaying them changes nothing: it
	// stays below twice what counts, and most checks only read it), and
	// always without a torn last line, which the next line would be
	// glued to.
	if torn || (stale > 0 && stale >= len(kept)) {
		if err := writeJournalAtomic(j.path, kept); err != nil {
			return nil, fmt.Errorf("%s: rewriting without the calls that count no more: %w", runsJournalFile, err)
		}
	}
	return j, nil
}

// apply makes op's call on the state in memory.
func (j *journaledRuns) apply(ctx context.Context, op runOp) error {
	var err error
	switch op.Op {
	case "length":
		_, err = j.mem.RunLength(ctx, op.Key, op.X, op.T, op.P)
	case "record":
		_, _, err = j.mem.RecordRun(ctx, op.ID, op.Key, op.X, op.T, op.P)
	case "release":
		err = j.mem.ReleaseRun(ctx, op.ID)
	default:
		err = fmt.Errorf("op: unknown %q", op.Op)
	}
	return err
}

// appendOp appends op to the journal and syncs it: a decision given after
// it is remembered by the next check.
func (j *journaledRuns) appendOp(op runOp) error {
	b, err := json.Marshal(op)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.failed != nil {
		if errors.Is(j.failed, errJournalClosed) {
			return fmt.Errorf("%s: %w", runsJournalFile, j.failed)
		}
		return fmt.Errorf("%s: an earlier write failed, no more lines this run: %w", runsJournalFile, j.failed)
	}
	if j.f == nil {
		f, err := os.OpenFile(j.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return fmt.Errorf("%s: %w", runsJournalFile, err)
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", runsJournalFile, err)
		}
		j.f, j.size = f, fi.Size()
		if err := durable.SyncDir(filepath.Dir(j.path)); err != nil {
			return fmt.Errorf("%s: %w", runsJournalFile, err)
		}
	}
	write := (*os.File).Write
	if j.write != nil {
		write = j.write
	}
	_, err = write(j.f, b)
	if err == nil {
		err = durable.SyncData(j.f)
	}
	if err != nil {
		// Cut what the write may have left (part of the line) so that the
		// next check reads the journal; a line that stays whole is
		// replayed, stricter than the decision (which denies).
		j.failed = err
		if terr := j.f.Truncate(j.size); terr == nil {
			_ = durable.SyncData(j.f)
		}
		return fmt.Errorf("%s: %w", runsJournalFile, err)
	}
	j.size += int64(len(b))
	return nil
}

// RunLength is storage.Runs's; a call that finds a run (and so closes the
// key) is journaled. An error of the journal is returned (the Gate denies:
// sweep.unavailable).
func (j *journaledRuns) RunLength(ctx context.Context, key string, x int, t time.Time, p storage.RunParams) (int, error) {
	n, err := j.mem.RunLength(ctx, key, x, t, p)
	if err != nil || n < p.MinRun {
		return n, err
	}
	if err := j.appendOp(runOp{Op: "length", Key: key, X: x, T: t, P: p}); err != nil {
		return 0, err
	}
	return n, nil
}

// RecordRun is storage.Runs's, journaled.
func (j *journaledRuns) RecordRun(ctx context.Context, id, key string, x int, t time.Time, p storage.RunParams) (int, bool, error) {
	n, ok, err := j.mem.RecordRun(ctx, id, key, x, t, p)
	if err != nil {
		return 0, false, err
	}
	if err := j.appendOp(runOp{Op: "record", ID: id, Key: key, X: x, T: t, P: p}); err != nil {
		return 0, false, err
	}
	j.mu.Lock()
	j.held[id] = true
	j.mu.Unlock()
	return n, ok, nil
}

// ReleaseRun is storage.Runs's, journaled when the journal records id.
func (j *journaledRuns) ReleaseRun(ctx context.Context, id string) error {
	if err := j.mem.ReleaseRun(ctx, id); err != nil {
		return err
	}
	j.mu.Lock()
	held := j.held[id]
	j.mu.Unlock()
	if !held {
		return nil
	}
	return j.appendOp(runOp{Op: "release", ID: id})
}

// errJournalClosed fails the appends after Close: a check the Gate gave
// up on may still run, and the store's lock, which keeps other checks out
// of the journal, is released after it.
var errJournalClosed = errors.New("closed")

// Close closes the journal; later calls that would change the state fail.
func (j *journaledRuns) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.failed == nil {
		j.failed = errJournalClosed
	}
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}

// journalTempPrefix and journalTempSuffix frame the names of the
// temporary files writeJournalAtomic creates (os.CreateTemp puts decimal
// digits between them).
const (
	journalTempPrefix = "." + runsJournalFile + "."
	journalTempSuffix = ".tmp"
)

// isJournalTemp reports whether name is the name of one of
// writeJournalAtomic's temporary files.
func isJournalTemp(name string) bool {
	mid, ok := strings.CutPrefix(name, journalTempPrefix)
	if !ok {
		return false
	}
	mid, ok = strings.CutSuffix(mid, journalTempSuffix)
	if !ok || mid == "" {
		return false
	}
	for _, c := range mid {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// removeJournalTemps removes from dir the temporary files of journal
// rewrites a crash cut short (no rewrite is under way: the journal is only
// opened under the store's lock). Only regular files of that pattern are
// removed; a link, directory or FIFO of that name is left alone.
func removeJournalTemps(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	removed := false
	for _, e := range entries {
		if !isJournalTemp(e.Name()) || !e.Type().IsRegular() {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		removed = true
	}
	if removed {
		return durable.SyncDir(dir)
	}
	return nil
}

// writeJournalAtomic replaces path with b (mode 0600), durably
// (durable.WriteFile: its temporary file ends in journalTempSuffix).
func writeJournalAtomic(path string, b []byte) error {
	return durable.WriteFile(path, b, nil)
}
