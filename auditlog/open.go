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
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/dialgate/dialgate/internal/durable"
	"github.com/dialgate/dialgate/internal/regfile"
	"github.com/dialgate/dialgate/internal/textsafe"
)

// TornError reports that the last file of a log ends in a write a crash
// left incomplete: its last line does not end in a newline, or (Zeros > 0)
// a power cut left sectors of the log's last write unwritten (zeros, as a
// file's unwritten new blocks read) and later ones written. Either is the
// last batch, which no caller was answered for (a batch is answered after
// its fdatasync, and the next is written only then). Open returns it
// instead of dropping or accepting those bytes; Repair cuts them off and
// records the cut. It wraps ErrTorn.
type TornError struct {
	File   string // path of the file
	Offset int64  // offset of the incomplete line (the first with a zero byte)
	Bytes  int64  // the bytes from there to the end of the file
	Zeros  int64  // how many of them are zeros left by a power cut; 0 when only the newline is missing
}

// Error says which file is torn, where, and how Repair handles it.
func (e *TornError) Error() string {
	if e.Zeros > 0 {
		return fmt.Sprintf("auditlog: torn last write: %s: the %d bytes from offset %d to the end hold %d zero bytes on sector boundaries, within the log's last write (a power cut during it?); Repair cuts them off and records the cut", e.File, e.Bytes, e.Offset, e.Zeros)
	}
	return fmt.Sprintf("auditlog: torn last line: %s: %d bytes at offset %d do not end in a newline (a crash during a write?); Repair cuts them off and records the cut", e.File, e.Bytes, e.Offset)
}

// Unwrap returns ErrTorn.
func (e *TornError) Unwrap() error { return ErrTorn }

// UnrecordedCutError reports cut bytes saved beside the log (a
// "<file>.torn-<offset>" file, as Repair saves them) that no repair record in
// the log names: a crash during Repair, after it cut the torn line off and
// before its repair record was durable. Open returns it rather than let the
// cut go unmentioned in the log; Repair appends the missing repair records.
// It wraps ErrTorn.
type UnrecordedCutError struct {
	Saved []string // paths of the saved files no repair record names
}

// Error names the files and says how Repair handles them.
func (e *UnrecordedCutError) Error() string {
	return fmt.Sprintf("auditlog: interrupted repair: %s hold bytes cut off the log that no repair record names; Repair records them", strings.Join(e.Saved, ", "))
}

// Unwrap returns ErrTorn.
func (e *UnrecordedCutError) Unwrap() error { return ErrTorn }

// Open opens the log in dir, creating dir and the first file if needed, and
// starts its writer. It reads every existing file to restore the sequence
// number, chain hash and Merkle tree, and fails with an error wrapping
// ErrCorrupt if a line is not a valid record or the chain is broken, if the
// log holds fewer records than its checkpoint file (CheckpointFile) signs or
// its first records are not the tree that file signs (records were cut off
// or rewritten: no crash does that), and with a *TornError if the last line
// is incomplete or a power cut left zeros in the last write (see
// TornError), or an *UnrecordedCutError if an earlier Repair was
// interrupted (see Repair). Only one Log may have a directory open
// (ErrLocked).
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
	st, err := scanDir(ctx, dir, &opts)
	if err == nil && len(st.unrecorded) > 0 {
		u := &UnrecordedCutError{}
		for _, c := range st.unrecorded {
			u.Saved = append(u.Saved, c.path)
		}
		err = u
	}
	var l *Log
	if err == nil {
		l, err = openScanned(dir, opts, red, lock, st, !opts.NoNewLogID)
	}
	if err != nil {
		if lock != nil {
			unlockFile(lock)
		}
		return nil, err
	}
	return l, nil
}

// openScanned opens the log in dir, locked by lock and scanned into st, and
// starts its writer. newID: a log without an identity (none configured, none
// in its checkpoints) gets a random one; else its checkpoints carry none.
func openScanned(dir string, opts Options, red *Redactor, lock *os.File, st *scanState, newID bool) (*Log, error) {
	l := &Log{
		dir: dir, opts: opts, red: red, lock: lock,
		cur: newBatch(), closeCh: make(chan struct{}), closeDone: make(chan struct{}), wake: make(chan struct{}, 1),
	}
	l.w = writer{seq: st.seq, prev: st.prev, tree: st.tree, since: st.since, lastSigned: st.lastSigned, logID: opts.LogID, lastTime: st.lastTime}
	if st.logID != "" {
		if opts.LogID != "" && opts.LogID != st.logID {
			return nil, fmt.Errorf("auditlog: log_id: %q, but the log's checkpoints carry %q (a log keeps one identity): %w", opts.LogID, st.logID, ErrInvalidOptions)
		}
		l.w.logID = st.logID
	}
	if l.w.logID == "" && newID {
		l.w.logID = newLogID()
	}
	if st.lastFile == 0 {
		if err := l.createFile(1); err != nil {
			return nil, err
		}
	} else {
		// The last file's entry may never have been made durable: a start
		// that created it died, or failed to fsync the directory, before
		// syncing it. Records appended and fsynced into the file do not
		// keep the entry.
		if err := syncDir(dir); err != nil {
			return nil, err
		}
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
	// logID is the identity the log's last checkpoint carrying one carries;
	// lastTime is the latest time a checkpoint carries.
	logID    string
	lastTime time.Time
	lastFile int // 0 when there is none
	lastSize int64
	// unrecorded are the paths of saved cut bytes ("<file>.torn-<offset>")
	// that no repair record names, in the order of the cuts.
	unrecorded []savedCut
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
		if n, ok := fileIndex(e.Name()); ok {
			idx = append(idx, n)
		}
	}
	sort.Ints(idx)
	for i, n := range idx {
		if n != i+1 {
			return nil, fmt.Errorf("%w: %s: file %s is missing", ErrCorrupt, dir, fileName(i+1))
		}
	}
	return idx, nil
}

// fileIndex returns the index of the log file named name (fileName(i) ==
// name), and false for any other name.
func fileIndex(name string) (int, bool) {
	if !strings.HasPrefix(name, "audit-") || !strings.HasSuffix(name, ".jsonl") {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, "audit-"), ".jsonl"))
	if err != nil || n <= 0 || fileName(n) != name {
		return 0, false
	}
	return n, true
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

// scanDir reads the log in dir and restores the writer's state from it.
// opts (defaults set) gives the keys and the clock every checkpoint line is
// checked with (checkCheckpoint).
func scanDir(ctx context.Context, dir string, opts *Options) (*scanState, error) {
	idx, err := logFiles(dir)
	if err != nil {
		return nil, err
	}
	st := &scanState{}
	keys := checkpointKeys{signer: opts.Signer, keys: opts.Verifiers}
	now := opts.Now()
	signed, err := readCheckpointFile(dir)
	if err != nil {
		return nil, err
	}
	// short reports records that signed (the checkpoint file: written only
	// after the records it signs were synced, so no crash leaves the log
	// shorter) signs and the log no longer holds.
	short := func() error {
		return fmt.Errorf("%w: %s: the log holds %d records, but its %s file signs %d: %s cut off, which no crash does (run `dialgate audit verify`; to append to the log without them, move the %s file out of the directory and keep it: it proves the cut)",
			ErrCorrupt, dir, st.seq, CheckpointFile, signed.N, recordSpan(st.seq, signed.N-1, "was", "were"), CheckpointFile)
	}
	recorded := map[string]bool{}
	for k, i := range idx {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		name := filepath.Join(dir, fileName(i))
		last := k == len(idx)-1
		f, err := regfile.Open(name)
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
				if last && st.seq < signed.N {
					return short()
				}
				if last {
					// eachLine passes a line longer than MaxLineBytes cut
					// short: the torn tail is everything from start to the
					// end of the file, and Repair cuts all of it off.
					fi, err := f.Stat()
					if err != nil {
						return fmt.Errorf("auditlog: %w", err)
					}
					return &TornError{File: name, Offset: start, Bytes: fi.Size() - start}
				}
				return fmt.Errorf("%w: %s:%d: incomplete line in a file that is not the last", ErrCorrupt, name, lineNo)
			}
			off++ // the newline
			l, err := ParseLine(line)
			if err != nil && last && bytes.IndexByte(line, 0) >= 0 {
				// Zeros: sectors of the last write a power cut left
				// unwritten, or damage that no crash leaves.
				fi, serr := f.Stat()
				if serr != nil {
					return fmt.Errorf("auditlog: %w", serr)
				}
				torn, zerr := zeroedWrite(f, name, start, fi.Size(), st.seq, st.prev)
				if zerr != nil {
					return zerr
				}
				if st.seq < signed.N {
					return short()
				}
				return torn
			}
			if err != nil {
				return fmt.Errorf("%w: %s:%d (offset %d): %w", ErrCorrupt, name, lineNo, start, err)
			}
			if l.Kind == KindCheckpoint {
				// Every checkpoint is checked before anything is taken
				// from it: its identity and time are signed again by the
				// log's key at the next checkpoint, and Checkpoint returns
				// it as the log's latest. One that does not verify is
				// refused (CheckpointError); Repair refuses it likewise
				// and never removes it (it is no crash's doing).
				cp, cerr := st.checkCheckpoint([]byte(l.Note), keys, now)
				if cerr != nil {
					cerr.File, cerr.Line = name, lineNo
					return cerr
				}
				st.since = 0
				st.lastSigned = []byte(l.Note)
				// A checkpoint without a log-id or time line (an older
				// build wrote to the log) does not end the log's identity
				// or time.
				if cp.LogID != "" {
					st.logID = cp.LogID
				}
				if cp.Time.After(st.lastTime) {
					st.lastTime = cp.Time
				}
				return nil
			}
			if *l.Seq != st.seq {
				return fmt.Errorf("%w: %s:%d (offset %d): record %d where record %d was expected", ErrCorrupt, name, lineNo, start, *l.Seq, st.seq)
			}
			if l.Kind == KindRepair {
				recorded[l.Repair.SavedAs] = true
			}
			if st.seq > 0 && l.Prev != st.prev.String() {
				return fmt.Errorf("%w: %s:%d (offset %d): record %d does not chain to record %d", ErrCorrupt, name, lineNo, start, st.seq, st.seq-1)
			}
			h := tlog.RecordHash(line)
			if err := st.tree.add(h); err != nil {
				return err
			}
			st.prev = h
			st.seq++
			st.since++
			if st.seq == signed.N {
				root, err := st.tree.root()
				if err != nil {
					return err
				}
				if root != signed.Hash {
					return fmt.Errorf("%w: %s:%d: the first %d records do not match the tree its %s file signs: records among them were rewritten (run `dialgate audit verify`)",
						ErrCorrupt, name, lineNo, signed.N, CheckpointFile)
				}
			}
			return nil
		})
		f.Close()
		if err != nil {
			return nil, err
		}
		st.lastFile, st.lastSize = i, off
	}
	if st.seq < signed.N {
		return nil, short()
	}
	cuts, err := savedCuts(dir)
	if err != nil {
		return nil, err
	}
	for _, c := range cuts {
		// A cut of a file the log does not have is not this log's.
		if c.file <= st.lastFile && !recorded[filepath.Base(c.path)] {
			st.unrecorded = append(st.unrecorded, c)
		}
	}
	return st, nil
}

// checkCheckpoint checks the signed checkpoint msg, read after the st.seq
// records scanned so far, and returns what it states, or why it cannot be
// trusted: it must be signed by a key of keys, sign exactly the tree of those
// records, and not be dated after now by more than CheckpointClockSkew.
func (st *scanState) checkCheckpoint(msg []byte, keys checkpointKeys, now time.Time) (Checkpoint, *CheckpointError) {
	n, err := note.Open(msg, keys)
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			var by []string
			for _, sig := range unverified.Note.UnverifiedSigs {
				// The name is the checkpoint's, anyone's who can write the
				// log: escaped, it cannot reorder or rewrite the message
				// printed to the operator.
				by = append(by, textsafe.Escape(KeyName(sig.Name, sig.Hash), textsafe.Line))
			}
			return Checkpoint{}, &CheckpointError{UnknownKeys: by, Detail: fmt.Sprintf("it is signed by %s, not by the log's key %s nor by a key in Options.Verifiers: planted, or signed before a key rotation (list the retired public key in Options.Verifiers)",
				strings.Join(by, ", "), KeyName(keys.signer.Name(), keys.signer.KeyHash()))}
		case errors.As(err, &invalid):
			return Checkpoint{}, &CheckpointError{Detail: fmt.Sprintf("the signature by key %s does not verify: the checkpoint or its signature was altered", KeyName(invalid.Name, invalid.Hash))}
		default:
			return Checkpoint{}, &CheckpointError{Detail: fmt.Sprintf("not a well-formed signed note: %v", err)}
		}
	}
	cp, err := parseCheckpointText(n.Text)
	if err != nil {
		return Checkpoint{}, &CheckpointError{Detail: fmt.Sprintf("its signed text is not a tree description: %v", err)}
	}
	root, err := st.tree.root()
	if err != nil {
		return Checkpoint{}, &CheckpointError{Detail: fmt.Sprintf("the tree of the records before it: %v", err)}
	}
	if cp.Tree.N != st.seq || cp.Tree.Hash != root {
		return Checkpoint{}, &CheckpointError{Detail: fmt.Sprintf("it signs the tree of %d records (hash %s), but the %d records before it have tree hash %s: not this log's checkpoint for them (copied from another log, moved or replayed)",
			cp.Tree.N, cp.Tree.Hash, st.seq, root)}
	}
	// What Verify refuses (ProblemWrongLog, ProblemReordered) Open does
	// too: a key it trusts (a retired one, which may have leaked) could
	// otherwise give the log another identity, which the log's key would
	// sign at its next checkpoint. No writer writes either: a log keeps
	// the identity of its first checkpoint that carries one, and dates
	// every checkpoint no earlier than the one before.
	if cp.LogID != "" && st.logID != "" && cp.LogID != st.logID {
		return Checkpoint{}, &CheckpointError{Detail: fmt.Sprintf("it carries log id %q, but the log's earlier checkpoints carry %q: another log's checkpoint, or planted with a key listed in Options.Verifiers",
			cp.LogID, st.logID)}
	}
	if !cp.Time.IsZero() && cp.Time.Before(st.lastTime) {
		return Checkpoint{}, &CheckpointError{Detail: fmt.Sprintf("it is dated %s, before the previous checkpoint's %s: no writer dates a checkpoint so (planted, or moved)",
			cp.Time.UTC().Format(time.RFC3339), st.lastTime.UTC().Format(time.RFC3339))}
	}
	if limit := now.Add(CheckpointClockSkew); !cp.Time.IsZero() && cp.Time.After(limit) {
		return Checkpoint{}, &CheckpointError{Detail: fmt.Sprintf("it is dated %s, in the future of the clock (%s) by more than %v: written with a clock far ahead, or planted, and every later checkpoint would be dated after it (if the clock was ahead when it was written, start once the clock has passed it)",
			cp.Time.Format(time.RFC3339), now.UTC().Truncate(time.Second).Format(time.RFC3339), CheckpointClockSkew)}
	}
	return cp, nil
}

// checkpointKeys are the keys Open accepts the log's checkpoints from: the
// signer's own (checked by signing the text again: ed25519 signatures are
// deterministic) and Options.Verifiers. It implements note.Verifiers.
type checkpointKeys struct {
	signer note.Signer
	keys   []note.Verifier
}

// Verifier returns the key name+hash, a listed one before the signer's.
func (k checkpointKeys) Verifier(name string, hash uint32) (note.Verifier, error) {
	for _, v := range k.keys {
		if v != nil && v.Name() == name && v.KeyHash() == hash {
			return v, nil
		}
	}
	if k.signer.Name() == name && k.signer.KeyHash() == hash {
		return resignVerifier{k.signer}, nil
	}
	return nil, &note.UnknownVerifierError{Name: name, KeyHash: hash}
}

// resignVerifier verifies a signature of its signer's key by signing the
// message again and comparing: right for deterministic signatures (ed25519).
type resignVerifier struct{ s note.Signer }

func (v resignVerifier) Name() string    { return v.s.Name() }
func (v resignVerifier) KeyHash() uint32 { return v.s.KeyHash() }
func (v resignVerifier) Verify(msg, sig []byte) bool {
	again, err := v.s.Sign(msg)
	return err == nil && bytes.Equal(again, sig)
}

// CheckpointFileTree returns the tree the checkpoint file in dir
// (CheckpointFile) signs — how many records the log held when it was
// written, and their root — without checking its signature (Verify does,
// given the key), or the zero tree when there is no such file. A file that
// is not a signed checkpoint is an error wrapping ErrCorrupt. Open refuses
// a log that holds fewer records than this tree, or other first records;
// readers that count records without a key (the quarterly report) can
// refuse a log cut short the same way.
func CheckpointFileTree(dir string) (tlog.Tree, error) { return readCheckpointFile(dir) }

// readCheckpointFile returns the tree the checkpoint file in dir signs (its
// signature is Verify's to check: Open has no verifier), or the empty tree
// when there is no such file.
func readCheckpointFile(dir string) (tlog.Tree, error) {
	name := filepath.Join(dir, CheckpointFile)
	b, err := regfile.ReadFile(name, 0)
	if errors.Is(err, os.ErrNotExist) {
		return tlog.Tree{}, nil
	}
	if err != nil {
		return tlog.Tree{}, fmt.Errorf("auditlog: %w", err)
	}
	cp, err := unverifiedCheckpoint(b)
	if err != nil {
		return tlog.Tree{}, fmt.Errorf("%w: %s: not a signed checkpoint (%v): it is written atomically, so it was replaced (run `dialgate audit verify`; move it out of the directory to start without it)", ErrCorrupt, name, err)
	}
	return cp.Tree, nil
}

// SavedCuts returns the paths of the files in dir that hold bytes Repair cut
// off the log ("<file>.torn-<offset>", "<file>.torn-<offset>-<n>"), in the
// order of the cuts. Every one should be named by a repair record
// (RepairRecord.SavedAs, Report.RepairRecords); Open refuses a log where one
// is not (UnrecordedCutError).
func SavedCuts(dir string) ([]string, error) {
	cuts, err := savedCuts(dir)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(cuts))
	for i, c := range cuts {
		out[i] = c.path
	}
	return out, nil
}

// savedCut is a file of bytes Repair cut off the log and saved.
type savedCut struct {
	path   string
	file   int   // index of the log file cut
	offset int64 // where it was cut
	n      int   // 1 for "<file>.torn-<offset>", n for "…-<n>"
}

// savedCuts returns the files of saved cut bytes in dir, in the order of the
// cuts (by file, offset, then the -<n> suffix Repair adds to a later cut at
// the same offset).
func savedCuts(dir string) ([]savedCut, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("auditlog: %w", err)
	}
	var cuts []savedCut
	for _, e := range ents {
		base, tail, ok := strings.Cut(e.Name(), ".torn-")
		if !ok || !e.Type().IsRegular() {
			continue
		}
		i, ok := fileIndex(base)
		if !ok {
			continue
		}
		offText, nText, hasN := strings.Cut(tail, "-")
		off, err := strconv.ParseInt(offText, 10, 64)
		if err != nil || off < 0 || strconv.FormatInt(off, 10) != offText {
			continue
		}
		n := 1
		if hasN {
			if n, err = strconv.Atoi(nText); err != nil || n < 2 || strconv.Itoa(n) != nText {
				continue
			}
		}
		cuts = append(cuts, savedCut{path: filepath.Join(dir, e.Name()), file: i, offset: off, n: n})
	}
	sort.Slice(cuts, func(a, b int) bool {
		x, y := cuts[a], cuts[b]
		if x.file != y.file {
			return x.file < y.file
		}
		if x.offset != y.offset {
			return x.offset < y.offset
		}
		return x.n < y.n
	})
	return cuts, nil
}

// eachLine calls fn with every line of r, without its newline; torn is true
// for a last line that does not end in a newline. A line longer than
// MaxLineBytes is passed cut to MaxLineBytes+1 bytes (ParseLine rejects it).
func eachLine(r io.Reader, fn func(line []byte, torn bool) error) error {
	return followLines(context.Background(), r, 0, fn)
}

// liveWriteWait is how long Verify waits for the rest of an incomplete last
// line of the last file to be written (a running writer's write under way)
// before it reports the line torn. A write is one write(2) of at most
// maxWriteBytes, but a reader can see its first pages before the last.
const liveWriteWait = 500 * time.Millisecond

// ReadLines calls fn with every line of the log file read from r, without
// its newline, as Verify reads them: torn is true for a last line that does
// not end in a newline, and a line longer than MaxLineBytes is passed cut to
// MaxLineBytes+1 bytes (ParseLine rejects it). With live set (r is the last
// file of a log a running writer may be appending to) an incomplete last
// line is read again for up to half a second, as Verify does: a write under
// way, of which a reader can see the first part, is then passed whole (as
// the last line: what was appended after it is left to the next reading),
// and only a line still incomplete is passed torn. It returns fn's error, an
// error reading r, or ctx's while it waits.
func ReadLines(ctx context.Context, r io.Reader, live bool, fn func(line []byte, torn bool) error) error {
	var follow time.Duration
	if live {
		follow = liveWriteWait
	}
	return followLines(ctx, r, follow, fn)
}

// followLines is eachLine for a file that may be being appended to (the
// last file of a live log): when r ends in an incomplete line and follow is
// positive, it reads on for up to follow, and a line completed meanwhile is
// passed whole, as the last line (what was appended after it is a later
// write, left to the next reading). A line still incomplete then is passed
// torn, as eachLine does.
func followLines(ctx context.Context, r io.Reader, follow time.Duration, fn func(line []byte, torn bool) error) error {
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
			part := append(long, chunk...)
			if follow > 0 && len(part) <= MaxLineBytes {
				line, whole, err := awaitLine(ctx, br, part, follow)
				if err != nil {
					return err
				}
				if whole {
					return fn(line, false)
				}
				part = line
			}
			return fn(part, true)
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

// awaitLine reads on from br, which ended in the incomplete line part, for
// up to wait: it returns the line without its newline and true once its
// newline is read, or what it read (part and more) and false when wait
// passed first or the line grew longer than MaxLineBytes (no writer writes
// such a line).
func awaitLine(ctx context.Context, br *bufio.Reader, part []byte, wait time.Duration) ([]byte, bool, error) {
	deadline := time.Now().Add(wait)
	delay := time.Millisecond
	for {
		more, err := br.ReadSlice('\n')
		part = append(part, more...)
		switch {
		case err == nil:
			return part[:len(part)-1], true, nil
		case err == bufio.ErrBufferFull:
			if len(part) > MaxLineBytes {
				return part, false, nil
			}
			continue
		case err != io.EOF:
			return nil, false, fmt.Errorf("auditlog: read: %w", err)
		}
		left := time.Until(deadline)
		if left <= 0 || len(part) > MaxLineBytes {
			return part, false, nil
		}
		t := time.NewTimer(min(delay, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, false, ctx.Err()
		case <-t.C:
		}
		delay = min(2*delay, 25*time.Millisecond)
	}
}

// Repair repairs the log in dir after a crash and records what it did in
// the log itself. It cuts an incomplete last line, or the last write from
// the line holding a power cut's zeros on (see TornError), off and
// saves the cut bytes beside the file (as "<file>.torn-<offset>", or
// "<file>.torn-<offset>-<n>" when an interrupted earlier Repair saved other
// bytes under that name); then it appends a repair record (file, offset,
// length and SHA-256 of what was cut) for every saved cut that no record
// names yet — this one, and any an earlier Repair saved before it was
// interrupted (see UnrecordedCutError) — oldest cut first, followed by a
// checkpoint. It returns the records it appended, or nil when there is
// nothing to repair. Any other problem is returned as by Open: in
// particular a torn tail left where records the checkpoint file signs were
// is not cut (ErrCorrupt): those records were synced, so no crash removed
// them. The log must
// not be open elsewhere. The checkpoint carries opts.LogID or the identity of
// the log's checkpoints; Repair never chooses one for a log that has none
// (the next Open does, or takes the configured one).
func Repair(ctx context.Context, dir string, opts Options) ([]RepairRecord, error) {
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
	return repairLocked(ctx, dir, opts, red, lock)
}

// repairLocked is Repair on a directory locked by lock, which it releases
// (through the Log's Close once it opened one).
func repairLocked(ctx context.Context, dir string, opts Options, red *Redactor, lock *os.File) ([]RepairRecord, error) {
	fail := func(err error) ([]RepairRecord, error) {
		if lock != nil {
			unlockFile(lock)
		}
		return nil, err
	}
	_, err := scanDir(ctx, dir, &opts)
	var torn *TornError
	if errors.As(err, &torn) {
		err = cutTail(torn)
	}
	if err != nil {
		return fail(err)
	}
	st, err := scanDir(ctx, dir, &opts)
	if err != nil || len(st.unrecorded) == 0 {
		return fail(err) // nil when there is nothing to repair
	}
	recs := make([]RepairRecord, 0, len(st.unrecorded))
	for _, c := range st.unrecorded {
		cut, err := regfile.ReadFile(c.path, 0) // listed as a regular file; replaced since, refused
		if err != nil {
			return fail(fmt.Errorf("auditlog: repair: %w", err))
		}
		if len(cut) == 0 {
			return fail(fmt.Errorf("auditlog: repair: %s is empty: Repair never saves an empty cut (remove the file if nothing in this log made it)", c.path))
		}
		sum := sha256.Sum256(cut)
		recs = append(recs, RepairRecord{
			File: fileName(c.file), Offset: c.offset, CutBytes: int64(len(cut)),
			CutSHA256: hex.EncodeToString(sum[:]), SavedAs: filepath.Base(c.path),
		})
	}
	// Repair does not choose the log's identity: `dialgate audit repair`
	// is not given the sidecar's audit_log_id, and a log that carried none
	// yet would keep a random one that the sidecar then refuses. Its
	// checkpoint carries the log's identity when it has one, else none.
	l, err := openScanned(dir, opts, red, lock, st, false)
	if err != nil {
		return fail(err)
	}
	for i := range recs {
		if _, err = l.submit(ctx, appendRepairBody(nil, &recs[i])); err != nil {
			break
		}
	}
	if cerr := l.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return recs, nil
}

// cutTail saves the torn bytes t names beside the file and cuts them off.
func cutTail(t *TornError) error {
	f, err := os.OpenFile(t.File, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("auditlog: repair: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("auditlog: repair: %w", err)
	}
	if fi.Size() != t.Offset+t.Bytes {
		// Truncate cuts everything after t.Offset: it must all be saved.
		return fmt.Errorf("auditlog: repair: %s is %d bytes, not the %d of its torn tail at %d: changed since it was read", t.File, fi.Size(), t.Offset+t.Bytes, t.Offset)
	}
	cut := make([]byte, t.Bytes)
	if _, err := f.ReadAt(cut, t.Offset); err != nil {
		return fmt.Errorf("auditlog: repair: read %s: %w", t.File, err)
	}
	// A crash during an earlier Repair (after it saved and cut, before its
	// repair record was durable) leaves a new torn tail at the same offset:
	// never overwrite what that Repair saved.
	saved := fmt.Sprintf("%s.torn-%d", t.File, t.Offset)
	for n := 2; ; n++ {
		// Not os.ReadFile: a FIFO planted under this name would block
		// the repair (and serve's start) for ever in open(2).
		old, err := regfile.ReadFile(saved, 0)
		if errors.Is(err, os.ErrNotExist) || (err == nil && bytes.Equal(old, cut)) {
			break
		}
		if err != nil {
			return fmt.Errorf("auditlog: repair: %w", err)
		}
		saved = fmt.Sprintf("%s.torn-%d-%d", t.File, t.Offset, n)
	}
	if err := writeFileAtomic(saved, cut); err != nil {
		return fmt.Errorf("auditlog: repair: save cut bytes: %w", err)
	}
	if err := f.Truncate(t.Offset); err != nil {
		return fmt.Errorf("auditlog: repair: truncate %s: %w", t.File, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("auditlog: repair: fsync %s: %w", t.File, err)
	}
	return nil
}
