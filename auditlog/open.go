package auditlog

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/dialgate/dialgate/internal/durable"
)

// TornError reports that the last line of the last file of a log is
// incomplete, as a crash during a write leaves it. Open returns it instead of
// dropping or accepting the partial line; Repair cuts it off and records the
// cut. It wraps ErrTorn.
type TornError struct {
	File   string // path of the file
	Offset int64  // offset of the incomplete line
	Bytes  int64  // its length
}

// Error says which file is torn, where, and how Repair handles it.
func (e *TornError) Error() string {
	return fmt.Sprintf("auditlog: torn last line: %s: %d bytes at offset %d do not end in a newline (a crash during a write?); Repair cuts them off and records the cut", e.File, e.Bytes, e.Offset)
}

// Unwrap returns ErrTorn.
func (e *TornError) Unwrap() error { return ErrTorn }

// Open opens the log in dir, creating dir and the first file if needed, and
// starts its writer. It reads every existing file to restore the sequence
// number, chain hash and Merkle tree, and fails with an error wrapping
// ErrCorrupt if a line is not a valid record or the chain is broken, and with
// a *TornError if the last line is incomplete (see Repair). Only one Log may
// have a directory open (ErrLocked).
func Open(ctx context.Context, dir string, opts Options) (*Log, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	red, err := NewRedactor(opts.HMACKey, opts.HMACKeyID, opts.Profile)
	if err != nil {
		return nil, err
	}
	if dir == "" {
		return nil, fmt.Errorf("auditlog: dir: missing: %w", ErrInvalidOptions)
	}
	// A new directory is made durable in its parent: fsyncing the files
	// inside it does not.
	if err := durable.MkdirAll(dir, 0o700, syncDir); err != nil {
		return nil, fmt.Errorf("auditlog: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	l, err := openLocked(ctx, dir, opts, red, lock)
	if err != nil {
		if lock != nil {
			unlockFile(lock)
		}
		return nil, err
	}
	return l, nil
}

func openLocked(ctx context.Context, dir string, opts Options, red *Redactor, lock *os.File) (*Log, error) {
	st, err := scanDir(ctx, dir)
	if err != nil {
		return nil, err
	}
	l := &Log{
		dir: dir, opts: opts, red: red, lock: lock,
		cur: newBatch(), closeCh: make(chan struct{}), wake: make(chan struct{}, 1),
	}
	l.w = writer{seq: st.seq, prev: st.prev, tree: st.tree, since: st.since, lastSigned: st.lastSigned}
	if st.lastFile == 0 {
		if err := l.createFile(1); err != nil {
			return nil, err
		}
	} else {
		name := filepath.Join(dir, fileName(st.lastFile))
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return nil, fmt.Errorf("auditlog: %w", err)
		}
		l.w.f, l.w.fileIndex, l.w.fileSize = f, st.lastFile, st.lastSize
	}
	go l.run()
	return l, nil
}

// scanState is what Open restores from the files.
type scanState struct {
	seq        int64
	prev       tlog.Hash
	tree       frontier
	since      int
	lastSigned []byte
	lastFile   int // 0 when there is none
	lastSize   int64
}

// logFiles returns the indexes of the log files in dir, in order, and checks
// that none is missing.
func logFiles(dir string) ([]int, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("auditlog: %w", err)
	}
	var idx []int
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, "audit-") || !strings.HasSuffix(name, ".jsonl") {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, "audit-"), ".jsonl"))
		if err != nil || n <= 0 || fileName(n) != name {
			continue
		}
		idx = append(idx, n)
	}
	sort.Ints(idx)
	for i, n := range idx {
		if n != i+1 {
			return nil, fmt.Errorf("%w: %s: file %s is missing", ErrCorrupt, dir, fileName(i+1))
		}
	}
	return idx, nil
}

// LogFiles returns the paths of the log files in dir, in order: the argument
// list Verify wants.
func LogFiles(dir string) ([]string, error) {
	idx, err := logFiles(dir)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(idx))
	for i, n := range idx {
		out[i] = filepath.Join(dir, fileName(n))
	}
	return out, nil
}

func scanDir(ctx context.Context, dir string) (*scanState, error) {
	idx, err := logFiles(dir)
	if err != nil {
		return nil, err
	}
	st := &scanState{}
	for k, i := range idx {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		name := filepath.Join(dir, fileName(i))
		last := k == len(idx)-1
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("auditlog: %w", err)
		}
		var off int64
		lineNo := 0
		err = eachLine(f, func(line []byte, torn bool) error {
			lineNo++
			start := off
			off += int64(len(line))
			if torn {
				if last {
					return &TornError{File: name, Offset: start, Bytes: int64(len(line))}
				}
				return fmt.Errorf("%w: %s:%d: incomplete line in a file that is not the last", ErrCorrupt, name, lineNo)
			}
			off++ // the newline
			l, err := ParseLine(line)
			if err != nil {
				return fmt.Errorf("%w: %s:%d: %w", ErrCorrupt, name, lineNo, err)
			}
			if l.Kind == KindCheckpoint {
				st.since = 0
				st.lastSigned = []byte(l.Note)
				return nil
			}
			if *l.Seq != st.seq {
				return fmt.Errorf("%w: %s:%d: record %d where record %d was expected", ErrCorrupt, name, lineNo, *l.Seq, st.seq)
			}
			if st.seq > 0 && l.Prev != st.prev.String() {
				return fmt.Errorf("%w: %s:%d: record %d does not chain to record %d", ErrCorrupt, name, lineNo, st.seq, st.seq-1)
			}
			h := tlog.RecordHash(line)
			if err := st.tree.add(h); err != nil {
				return err
			}
			st.prev = h
			st.seq++
			st.since++
			return nil
		})
		f.Close()
		if err != nil {
			return nil, err
		}
		st.lastFile, st.lastSize = i, off
	}
	return st, nil
}

// eachLine calls fn with every line of r, without its newline; torn is true
// for a last line that does not end in a newline. A line longer than
// MaxLineBytes is passed cut to MaxLineBytes+1 bytes (ParseLine rejects it).
func eachLine(r io.Reader, fn func(line []byte, torn bool) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var long []byte
	for {
		chunk, err := br.ReadSlice('\n')
		switch {
		case err == bufio.ErrBufferFull:
			if len(long) <= MaxLineBytes {
				long = append(long, chunk...)
			}
			continue
		case err == io.EOF:
			if len(long)+len(chunk) == 0 {
				return nil
			}
			return fn(append(long, chunk...), true)
		case err != nil:
			return fmt.Errorf("auditlog: read: %w", err)
		}
		line := chunk[:len(chunk)-1]
		if long != nil {
			line = append(long, line...)
			long = nil
		}
		if len(line) > MaxLineBytes+1 {
			line = line[:MaxLineBytes+1]
		}
		if err := fn(line, false); err != nil {
			return err
		}
	}
}

// Repair cuts an incomplete last line (see TornError) off the log in dir,
// saves the cut bytes beside the file (as "<file>.torn-<offset>", or
// "<file>.torn-<offset>-<n>" when an interrupted earlier Repair saved other
// bytes under that name), and appends
// a repair record stating the file, offset, length and SHA-256 of what was
// cut, followed by a checkpoint. It returns that record, or nil when the log
// has no torn line. Any other problem is returned as by Open. The log must not
// be open elsewhere.
func Repair(ctx context.Context, dir string, opts Options) (*RepairRecord, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	red, err := NewRedactor(opts.HMACKey, opts.HMACKeyID, opts.Profile)
	if err != nil {
		return nil, err
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	unlock := func() {
		if lock != nil {
			unlockFile(lock)
		}
	}
	_, err = scanDir(ctx, dir)
	var torn *TornError
	if !errors.As(err, &torn) {
		unlock()
		return nil, err // nil when there is nothing to repair
	}
	rec, err := cutTail(torn)
	if err != nil {
		unlock()
		return nil, err
	}
	l, err := openLocked(ctx, dir, opts, red, lock)
	if err != nil {
		unlock()
		return nil, err
	}
	_, err = l.submit(ctx, appendRepairBody(nil, rec))
	if cerr := l.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return rec, nil
}

func cutTail(t *TornError) (*RepairRecord, error) {
	f, err := os.OpenFile(t.File, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("auditlog: repair: %w", err)
	}
	defer f.Close()
	cut := make([]byte, t.Bytes)
	if _, err := f.ReadAt(cut, t.Offset); err != nil {
		return nil, fmt.Errorf("auditlog: repair: read %s: %w", t.File, err)
	}
	// A crash during an earlier Repair (after it saved and cut, before its
	// repair record was durable) leaves a new torn tail at the same offset:
	// never overwrite what that Repair saved.
	saved := fmt.Sprintf("%s.torn-%d", t.File, t.Offset)
	for n := 2; ; n++ {
		old, err := os.ReadFile(saved)
		if errors.Is(err, os.ErrNotExist) || (err == nil && bytes.Equal(old, cut)) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("auditlog: repair: %w", err)
		}
		saved = fmt.Sprintf("%s.torn-%d-%d", t.File, t.Offset, n)
	}
	if err := writeFileAtomic(saved, cut); err != nil {
		return nil, fmt.Errorf("auditlog: repair: save cut bytes: %w", err)
	}
	if err := f.Truncate(t.Offset); err != nil {
		return nil, fmt.Errorf("auditlog: repair: truncate %s: %w", t.File, err)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("auditlog: repair: fsync %s: %w", t.File, err)
	}
	sum := sha256.Sum256(cut)
	return &RepairRecord{
		File: filepath.Base(t.File), Offset: t.Offset, CutBytes: t.Bytes,
		CutSHA256: hex.EncodeToString(sum[:]), SavedAs: filepath.Base(saved),
	}, nil
}
