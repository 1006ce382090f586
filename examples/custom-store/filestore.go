package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage"
)

// FileStore is a dnc.Store kept in an append-only JSON-lines file: every
// change is one line, written and fsynced before the call returns, and the
// whole file is replayed into memory on open. Reads never touch the disk.
//
//	{"add":[{"number":"+8613800138000","scope":"global","list":"opt_out",...}]}
//	{"remove":{"number":"+8613800138000","scope":"global","at":"2027-12-05T10:00:00+08:00"}}
//
// A batch is one line, so a crash keeps all of it or none: a last line without
// its newline was never acknowledged and is dropped on open. After a failed
// write or fsync the store refuses further writes (the state on disk is then
// unknown); reopen it.
//
// FileStore is safe for concurrent use within one process; it takes no lock
// on the file, so only one process may open it. Create it with OpenFileStore.
type FileStore struct {
	path string

	mu      sync.RWMutex
	f       *os.File                        // nil once closed
	entries map[dialgate.Number][]dnc.Entry // each slice sorted by scope text
	failed  error                           // first write error; writes refused after it
}

var _ dnc.Store = (*FileStore)(nil)

// record is one line of the file: either a batch of additions or one removal.
type record struct {
	Add    []dnc.Entry `json:"add,omitempty"`
	Remove *removal    `json:"remove,omitempty"`
}

type removal struct {
	Number dialgate.Number `json:"number"`
	Scope  dnc.Scope       `json:"scope"`
	At     time.Time       `json:"at"`
}

// OpenFileStore opens (or creates) the store at path and replays it. A line
// that is not a valid record fails with an error wrapping storage.ErrCorrupt.
func OpenFileStore(path string) (*FileStore, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("filestore: %w", err)
	}
	s := &FileStore{path: path, f: f, entries: map[dialgate.Number][]dnc.Entry{}}
	if err := s.replay(); err != nil {
		f.Close()
		return nil, err
	}
	// Make the file's directory entry durable too (new files); Windows cannot
	// fsync a directory.
	if runtime.GOOS != "windows" {
		if err := syncDir(filepath.Dir(path)); err != nil {
			f.Close()
			return nil, fmt.Errorf("filestore: %w", err)
		}
	}
	return s, nil
}

// replay applies every complete line and cuts off a torn last one.
func (s *FileStore) replay() error {
	r := bufio.NewReader(s.f)
	var good int64 // offset after the last complete line
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			if len(line) > 0 { // torn write: drop it so the next append starts clean
				if err := s.f.Truncate(good); err != nil {
					return fmt.Errorf("filestore: drop torn last line: %w", err)
				}
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("filestore: read: %w", err)
		}
		if err := s.apply(line); err != nil {
			return fmt.Errorf("filestore: %s line %d: %w: %w", s.path, n, storage.ErrCorrupt, err)
		}
		good += int64(len(line))
	}
}

func (s *FileStore) apply(line []byte) error {
	var rec record
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rec); err != nil {
		return err
	}
	switch {
	case rec.Remove != nil && rec.Add == nil:
		s.removeLocked(rec.Remove.Number, rec.Remove.Scope)
	case rec.Remove == nil && rec.Add != nil:
		for _, e := range rec.Add {
			if err := e.Validate(); err != nil {
				return err
			}
			s.addLocked(e)
		}
	default:
		return errors.New("a record is either add or remove")
	}
	return nil
}

// write appends rec and fsyncs. s.mu must be held for writing.
func (s *FileStore) write(rec record) error {
	if s.f == nil {
		return fmt.Errorf("filestore: %w", storage.ErrClosed)
	}
	if s.failed != nil {
		return fmt.Errorf("filestore: an earlier write failed, reopen the store: %w: %w", storage.ErrUnavailable, s.failed)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	if _, err := s.f.Write(append(b, '\n')); err != nil {
		s.failed = err
		return fmt.Errorf("filestore: %w", err)
	}
	if err := s.f.Sync(); err != nil {
		s.failed = err
		return fmt.Errorf("filestore: %w", err)
	}
	return nil
}

func byScope(e dnc.Entry, scope string) int { return cmp.Compare(e.Scope.String(), scope) }

// addLocked applies the dnc.Store rule for a re-added (number, scope):
// dnc.Merge keeps the stricter of the two (the later added_at and hold). The
// live add and the replay on open both apply it, so a reopened store holds
// what the running one did.
func (s *FileStore) addLocked(e dnc.Entry) {
	cur := s.entries[e.Number]
	i, found := slices.BinarySearchFunc(cur, e.Scope.String(), byScope)
	if !found {
		s.entries[e.Number] = slices.Insert(cur, i, e)
	} else {
		cur[i], _ = dnc.Merge(cur[i], e)
	}
}

func (s *FileStore) removeLocked(n dialgate.Number, scope dnc.Scope) {
	cur := slices.DeleteFunc(s.entries[n], func(e dnc.Entry) bool { return e.Scope == scope })
	if len(cur) == 0 {
		delete(s.entries, n)
	} else {
		s.entries[n] = cur
	}
}

// AddDNC implements dnc.Store: validate all, write one line, fsync, apply.
func (s *FileStore) AddDNC(ctx context.Context, entries ...dnc.Entry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for i, e := range entries {
		if err := e.Validate(); err != nil {
			return fmt.Errorf("filestore: AddDNC: entry %d: %w", i, err)
		}
	}
	if len(entries) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.write(record{Add: entries}); err != nil {
		return err
	}
	for _, e := range entries {
		s.addLocked(e)
	}
	return nil
}

// DNCEntries implements dnc.Store.
func (s *FileStore) DNCEntries(ctx context.Context, n dialgate.Number) ([]dnc.Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.f == nil {
		return nil, fmt.Errorf("filestore: %w", storage.ErrClosed)
	}
	return slices.Clone(s.entries[n]), nil // a copy: callers may keep it
}

// RemoveDNC implements dnc.Store: the hold is checked against t, the caller's
// instant (the store never reads the clock).
func (s *FileStore) RemoveDNC(ctx context.Context, n dialgate.Number, scope dnc.Scope, t time.Time) error {
	return s.RemoveDNCIf(ctx, n, scope, t, dnc.RemoveCondition{})
}

// RemoveDNCIf implements dnc.Store: the hold and cond are checked under the
// same lock as the removal, so an entry added again meanwhile is judged as
// it is now.
func (s *FileStore) RemoveDNCIf(ctx context.Context, n dialgate.Number, scope dnc.Scope, t time.Time, cond dnc.RemoveCondition) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return fmt.Errorf("filestore: %w", storage.ErrClosed)
	}
	i := slices.IndexFunc(s.entries[n], func(e dnc.Entry) bool { return e.Scope == scope })
	if i < 0 {
		return fmt.Errorf("filestore: RemoveDNC %s: %w", scope, dnc.ErrNotListed)
	}
	if hold := s.entries[n][i].HoldUntil; t.Before(hold) {
		return fmt.Errorf("filestore: RemoveDNC %s: held until %s: %w", scope, hold.Format(time.RFC3339), dnc.ErrHeld)
	}
	if e := s.entries[n][i]; !cond.Allows(e) {
		return fmt.Errorf("filestore: RemoveDNC %s: added at %s: %w", scope, e.AddedAt.Format(time.RFC3339), dnc.ErrChanged)
	}
	if err := s.write(record{Remove: &removal{Number: n, Scope: scope, At: t}}); err != nil {
		return err
	}
	s.removeLocked(n, scope)
	return nil
}

// ScanDNC implements dnc.Store: number order (by Number.Uint64, as the other
// stores), then scope order, over a copy taken at the start, so fn may call
// the store.
func (s *FileStore) ScanDNC(ctx context.Context, fn func(dnc.Entry) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	if s.f == nil {
		s.mu.RUnlock()
		return fmt.Errorf("filestore: %w", storage.ErrClosed)
	}
	var all []dnc.Entry
	byNumber := func(a, b dialgate.Number) int { return cmp.Compare(a.Uint64(), b.Uint64()) }
	for _, n := range slices.SortedFunc(maps.Keys(s.entries), byNumber) {
		all = append(all, s.entries[n]...)
	}
	s.mu.RUnlock()
	for _, e := range all {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the file. It is idempotent; every later call fails with
// storage.ErrClosed.
func (s *FileStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
