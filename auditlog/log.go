package auditlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/durable"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Defaults for Options fields left zero.
const (
	DefaultCheckpointEvery = 4096
	DefaultMaxFileBytes    = 64 << 20
	DefaultMaxPending      = 1 << 16
)

// DefaultServeCheckpointInterval is the Options.CheckpointInterval of the
// log dialgate serve writes: its records are sealed within a minute.
const DefaultServeCheckpointInterval = time.Minute

// CheckpointFile is the name, in the log directory, of the file that holds the
// latest signed checkpoint.
const CheckpointFile = "checkpoint"

// Errors returned by Log methods.
var (
	// ErrClosed is returned by calls on a closed Log.
	ErrClosed = errors.New("auditlog: log closed")
	// ErrFailed is wrapped by every call after a write or fsync failed: the
	// file's state is unknown until the log is reopened (and, if need be,
	// repaired).
	ErrFailed = errors.New("auditlog: log failed")
	// ErrCorrupt is wrapped by Open when an existing file is not a valid log
	// (other than a torn last line); run Verify for details.
	ErrCorrupt = errors.New("auditlog: log corrupt")
	// ErrTorn is wrapped by the *TornError Open returns when the last line of
	// the last file is incomplete, and by its *UnrecordedCutError: both are
	// what Repair repairs.
	ErrTorn = errors.New("auditlog: torn last line")
	// ErrLocked is returned by Open when another Log has the directory open.
	ErrLocked = errors.New("auditlog: log directory in use")
)

// Options configure a Log. HMACKey, HMACKeyID and Signer are required; the
// zero value of every other field means its default.
type Options struct {
	// HMACKey keys the callee hash (at least MinKeyBytes bytes). Keep it secret
	// and stable: the same key gives the same hash for the same number.
	HMACKey []byte
	// HMACKeyID names the key in every record (for example "k2026a").
	HMACKeyID string
	// Signer signs checkpoints: an ed25519 note signer, see NewSigner and
	// GenerateKey.
	Signer note.Signer
	// Verifiers are the public keys, besides Signer's own, whose
	// checkpoints Open (and Repair) accept in the log: after a key
	// rotation, the retired keys that signed its earlier checkpoints (see
	// NewVerifier). Open verifies every checkpoint line of the log (see
	// CheckpointError); Signer's own checkpoints are verified by signing
	// their text again and comparing (ed25519 signatures are
	// deterministic), so a Signer whose signatures are not (not an ed25519
	// note signer) must have its own public key listed here too.
	Verifiers []note.Verifier
	// Profile, when set, is recorded as every decision's profile; otherwise the
	// profile is the part of the policy version before its first "@".
	Profile string
	// CheckpointEvery is the number of records between checkpoints
	// (DefaultCheckpointEvery when zero). Checkpoints are also written before
	// rotating a file, on Close and on Checkpoint.
	CheckpointEvery int
	// CheckpointInterval, when positive, also seals the log that often: a
	// checkpoint is written (and published) once the interval has passed
	// with records added since the last one, however few. Zero means
	// checkpoints only by count (CheckpointEvery), rotation, Close and
	// Checkpoint: a quiet log's newest records may then stay unsealed for
	// days. Records after the last checkpoint can be edited without Verify
	// noticing; dialgate serve uses DefaultServeCheckpointInterval.
	CheckpointInterval time.Duration
	// MaxFileBytes is the size after which the log continues in a new file
	// (DefaultMaxFileBytes when zero).
	MaxFileBytes int64
	// MaxPending bounds the records waiting for the writer
	// (DefaultMaxPending when zero); callers beyond it wait.
	MaxPending int
	// LogID, when set, is the log's identity, written into every checkpoint
	// (and covered by its signature) so that verification can tell this log
	// from another signed with the same key (a fleet sharing one key): 1 to
	// MaxLogIDLen printable ASCII characters without spaces, such as the
	// sidecar's host name. When empty, a log keeps the identity its last
	// checkpoint carries, and a log without one (new, or written before
	// checkpoints carried one) gets a random "dlg-…" identity at its next
	// checkpoint. Open refuses a LogID that differs from the one the log's
	// last checkpoint carries (a log keeps one identity).
	LogID string
	// NoNewLogID, when set, keeps a log without an identity (none in LogID,
	// none in its checkpoints) without one: its checkpoints carry no log-id
	// line, and the identity is left to the next Open without it. For tools
	// that write to another program's log (`dialgate check --data`, a
	// repair), whose identity that program's configuration gives: a random
	// identity chosen by the tool would make it refuse the log.
	NoNewLogID bool
	// Now, when set, is the clock whose time (to the second, in UTC) is
	// written into every checkpoint; time.Now when nil. A checkpoint is never
	// dated before the log's previous one: a clock that stepped back gives the
	// previous checkpoint's time.
	Now func() time.Time
	// OnCheckpoint, when set, is called by the writer goroutine with every
	// signed checkpoint after it is durable, to publish it outside the log (a
	// witness, another machine). It must not call the Log and should return
	// quickly: appends wait meanwhile.
	OnCheckpoint func(signed []byte)

	// syncData replaces durable.SyncData in tests (a failing sync).
	syncData func(*os.File) error
}

func (o *Options) setDefaults() error {
	if o.Signer == nil {
		return fmt.Errorf("auditlog: signer (Options.Signer): missing (checkpoints are signed: NewSigner with a signing key from GenerateKey or `dialgate audit keygen`; keep it secret and give auditors its verifier key): %w", ErrInvalidOptions)
	}
	if o.CheckpointEvery < 0 || o.MaxFileBytes < 0 || o.MaxPending < 0 {
		return fmt.Errorf("auditlog: checkpoint_every, max_file_bytes, max_pending: must not be negative: %w", ErrInvalidOptions)
	}
	if o.CheckpointInterval < 0 {
		return fmt.Errorf("auditlog: checkpoint_interval: %v: must not be negative: %w", o.CheckpointInterval, ErrInvalidOptions)
	}
	if o.LogID != "" {
		if err := CheckLogID(o.LogID); err != nil {
			return fmt.Errorf("auditlog: log_id: %v: %w", err, ErrInvalidOptions)
		}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.syncData == nil {
		o.syncData = durable.SyncData
	}
	if o.CheckpointEvery == 0 {
		o.CheckpointEvery = DefaultCheckpointEvery
	}
	if o.MaxFileBytes == 0 {
		o.MaxFileBytes = DefaultMaxFileBytes
	}
	if o.MaxPending == 0 {
		o.MaxPending = DefaultMaxPending
	}
	return nil
}

// privateKeyPrefix begins every private key in note's text form.
const privateKeyPrefix = "PRIVATE+KEY+"

// NewSigner returns the note signer for a private key as written by
// GenerateKey ("PRIVATE+KEY+name+hash+key"). A key that is empty, is a
// public key (for NewVerifier) or does not parse is an error wrapping
// ErrInvalidOptions that says which; it never quotes the key.
func NewSigner(skey string) (note.Signer, error) {
	if strings.TrimSpace(skey) == "" {
		return nil, fmt.Errorf("auditlog: signing key: empty (want the private key GenerateKey or `dialgate audit keygen` wrote, %s<name>+<hash>+<key>): %w", privateKeyPrefix, ErrInvalidOptions)
	}
	s, err := note.NewSigner(skey)
	if err == nil {
		return s, nil
	}
	if !strings.HasPrefix(strings.TrimSpace(skey), privateKeyPrefix) {
		return nil, fmt.Errorf("auditlog: signing key: not a private key (it does not begin %s; the public key <name>+<hash>+<key> is the auditors', for NewVerifier): %w", privateKeyPrefix, ErrInvalidOptions)
	}
	return nil, fmt.Errorf("auditlog: signing key: malformed private key (%v): %w", err, ErrInvalidOptions)
}

// NewVerifier returns the note verifier for a public key as written by
// GenerateKey ("name+hash+key"). A key that is empty, is a private key (the
// signer's, which must stay secret) or does not parse is an error wrapping
// ErrInvalidOptions that says which; it never quotes the key.
func NewVerifier(vkey string) (note.Verifier, error) {
	if strings.TrimSpace(vkey) == "" {
		return nil, fmt.Errorf("auditlog: verifier key: empty (want the public key GenerateKey or `dialgate audit keygen` wrote, <name>+<hash>+<key>): %w", ErrInvalidOptions)
	}
	if strings.HasPrefix(strings.TrimSpace(vkey), privateKeyPrefix) {
		return nil, fmt.Errorf("auditlog: verifier key: this is a private signing key (it begins %s): give the public key generated with it, and keep the private one secret: %w", privateKeyPrefix, ErrInvalidOptions)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("auditlog: verifier key: malformed public key (%v): %w", err, ErrInvalidOptions)
	}
	return v, nil
}

// GenerateKey returns a new ed25519 key pair for signing checkpoints, in
// golang.org/x/mod/sumdb/note's text form: the private key skey (keep it
// secret) and the public key vkey (give it to auditors). name names the log,
// for example "dialgate-audit.example.com": non-empty, without spaces,
// control characters or "+". A name a key cannot carry is an error wrapping
// ErrInvalidOptions (note would write a key pair that neither NewSigner nor
// NewVerifier reads back).
func GenerateKey(rand io.Reader, name string) (skey, vkey string, err error) {
	skey, vkey, err = note.GenerateKey(rand, name)
	if err != nil {
		return "", "", err
	}
	if _, err := note.NewSigner(skey); err != nil {
		return "", "", fmt.Errorf("auditlog: key name %q: not usable in a key (want a non-empty name without spaces, control characters or \"+\", such as dialgate-audit.example.com): %w", name, ErrInvalidOptions)
	}
	return skey, vkey, nil
}

// Log is an open audit log directory. It implements dialgate.AuditLog.
//
// A Log is safe for concurrent use; one writer goroutine owns the files (see
// the package documentation for the group-commit and fsync policy). Create it
// with Open and Close it when done; the zero Log is not usable.
type Log struct {
	dir  string
	opts Options
	red  *Redactor
	lock *os.File

	mu      sync.Mutex
	cur     *batch
	closed  bool
	failed  error
	closeCh chan struct{} // closed when the writer has exited
	wake    chan struct{}
	// closeDone is closed when the first Close has finished, closeErr set
	// before: every later or concurrent Close returns it.
	closeDone chan struct{}
	closeErr  error

	stats Stats // guarded by mu

	w writer // owned by the writer goroutine
}

// Stats counts what a Log wrote since it was opened.
type Stats struct {
	Records int64 // records written and fsynced
	Batches int64 // group commits (one write and one fsync each)
}

// Stats returns the counts so far.
func (l *Log) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stats
}

type batch struct {
	bodies     [][]byte
	checkpoint bool // write a checkpoint after the records
	close      bool // last batch: checkpoint, close the file, exit
	done       chan struct{}
	err        error  // the batch's records are not (known to be) durable
	lateErr    error  // the records are durable, a later step failed (publishing, rotating)
	signed     []byte // the checkpoint written, if any
}

// errAfterSync wraps an error that happened after a batch's records were
// written and fsynced: the batch succeeded, the log is failed from then on.
type errAfterSync struct{ err error }

func (e *errAfterSync) Error() string { return e.err.Error() }
func (e *errAfterSync) Unwrap() error { return e.err }

func newBatch() *batch { return &batch{done: make(chan struct{})} }

// writer is the writer goroutine's state.
type writer struct {
	f          *os.File
	fileIndex  int
	fileSize   int64
	seq        int64     // next record's seq
	prev       tlog.Hash // hash of record seq-1
	tree       frontier
	since      int // records since the last checkpoint
	lastSigned []byte
	logID      string    // written into every checkpoint
	lastTime   time.Time // of the last checkpoint; the next is not dated before it
	buf        []byte
}

var _ dialgate.AuditLog = (*Log)(nil)

// RecordDecision records d and returns after the record is fsynced. It returns
// an error (and the Gate denies with audit.unavailable) when the decision has
// no id or instant, is allowed without a valid callee, has a reason without a
// code, or its record would be longer than MaxLineBytes (wrapping
// ErrInvalidRecord; nothing is written: ParseLine would refuse the line),
// the log is closed or failed, or ctx ends first — in that last case the
// record may still be written.
func (l *Log) RecordDecision(ctx context.Context, d dialgate.Decision) error {
	rb, _ := recBufs.Get().(*recBuf)
	if rb == nil {
		rb = &recBuf{body: make([]byte, 0, 1024)}
	}
	if err := l.red.fill(rb, d); err != nil {
		recBufs.Put(rb)
		return err
	}
	rb.body = appendDecisionBody(rb.body[:0], &rb.rec)
	done, err := l.submit(ctx, rb.body)
	if done { // the writer is finished with rb.body
		recBufs.Put(rb)
	}
	return err
}

// recBufs recycles decision records and their encodings: after its batch is
// written, nothing refers to them.
var recBufs sync.Pool

// RecordOutcome records o and returns after the record is fsynced, like
// RecordDecision.
func (l *Log) RecordOutcome(ctx context.Context, o dialgate.Outcome) error {
	rec, err := l.red.Outcome(o)
	if err != nil {
		return err
	}
	_, err = l.submit(ctx, appendOutcomeBody(make([]byte, 0, 256), rec))
	return err
}

// RecordChange records c (see ChangeRecord) and returns after the record is
// fsynced, in the same group commit as decisions, like RecordDecision. An
// error means the record may not be durable: c's op, result or instant is
// invalid (wrapping ErrInvalidRecord; nothing is written), the log is
// closed or failed, or ctx ended first (the record may still be written).
func (l *Log) RecordChange(ctx context.Context, c Change) error {
	rec, err := l.red.Change(c)
	if err != nil {
		return err
	}
	_, err = l.submit(ctx, appendChangeBody(make([]byte, 0, 512), rec))
	return err
}

// Checkpoint writes a signed checkpoint now (if records were added since the
// last one) and returns the latest signed checkpoint, after it is durable.
func (l *Log) Checkpoint(ctx context.Context) ([]byte, error) {
	l.mu.Lock()
	if err := l.usable(); err != nil {
		l.mu.Unlock()
		return nil, err
	}
	b := l.cur
	b.checkpoint = true
	l.mu.Unlock()
	l.kick()
	select {
	case <-b.done:
		if b.err != nil {
			return b.signed, b.err
		}
		return b.signed, b.lateErr
	case <-ctx.Done():
		return nil, fmt.Errorf("auditlog: checkpoint: %w", ctx.Err())
	}
}

// Dir returns the log's directory.
func (l *Log) Dir() string { return l.dir }

// Close writes a final checkpoint, fsyncs and closes the files. Records
// submitted before Close are written; later calls return ErrClosed. Close is
// idempotent: a second or concurrent Close waits for the first to finish and
// returns its result, so every caller learns that the final checkpoint (or
// the release of the lock) failed.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		<-l.closeDone
		return l.closeErr
	}
	l.closed = true
	b := l.cur
	b.close = true
	l.mu.Unlock()
	l.kick()
	<-b.done
	<-l.closeCh
	err := b.err
	if err == nil {
		err = b.lateErr
	}
	if l.lock != nil {
		if uerr := unlockFile(l.lock); uerr != nil && err == nil {
			err = uerr
		}
	}
	l.closeErr = err
	close(l.closeDone)
	return err
}

func (l *Log) usable() error {
	if l.closed {
		return ErrClosed
	}
	if l.failed != nil {
		return fmt.Errorf("%w: %w", ErrFailed, l.failed)
	}
	return nil
}

func (l *Log) kick() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// submit adds body to the batch being collected and waits for its sync. done
// reports that the batch was processed (so body is no longer used); it is
// false when ctx ended first or body never joined a batch.
func (l *Log) submit(ctx context.Context, body []byte) (done bool, err error) {
	if n := len(body) + maxRecordOverhead; n > MaxLineBytes {
		// Written, the line would make the log unopenable (ParseLine, Open
		// and Verify reject lines this long): refuse the record instead.
		return true, fmt.Errorf("auditlog: record of about %d bytes is longer than %d: %w", n, MaxLineBytes, ErrInvalidRecord)
	}
	for {
		l.mu.Lock()
		if err := l.usable(); err != nil {
			l.mu.Unlock()
			return true, err
		}
		b := l.cur
		if len(b.bodies) >= l.opts.MaxPending {
			l.mu.Unlock()
			l.kick()
			select {
			case <-b.done: // wait for the writer to take and write the full batch
				continue
			case <-ctx.Done():
				return true, fmt.Errorf("auditlog: waiting to append: %w", ctx.Err())
			}
		}
		b.bodies = append(b.bodies, body)
		first := len(b.bodies) == 1
		l.mu.Unlock()
		if first {
			l.kick()
		}
		select {
		case <-b.done:
			return true, b.err
		case <-ctx.Done():
			return false, fmt.Errorf("auditlog: append not confirmed (the record may still be written): %w", ctx.Err())
		}
	}
}

// run is the writer goroutine.
func (l *Log) run() {
	defer close(l.closeCh)
	var tick <-chan time.Time
	if d := l.opts.CheckpointInterval; d > 0 {
		t := time.NewTicker(d)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-l.wake:
		case <-tick:
			// Seal what was added since the last checkpoint (nothing is
			// written when nothing was).
			l.mu.Lock()
			l.cur.checkpoint = true
			l.mu.Unlock()
		}
		// Yield before taking the batch: the callers that are runnable
		// now (under load, those woken by the last sync, encoding their
		// next record) run first and join this batch, so more of them
		// share its write and sync, and fewer syncs and wake-ups are
		// paid per record. When no caller is runnable (a lone caller, or
		// callers all waiting elsewhere) this returns at once and adds
		// no latency.
		runtime.Gosched()
		l.mu.Lock()
		b := l.cur
		l.cur = newBatch()
		failed := l.failed
		l.mu.Unlock()
		if failed != nil {
			b.err = fmt.Errorf("%w: %w", ErrFailed, failed)
		} else if err := l.writeBatch(b); err != nil {
			l.mu.Lock()
			l.failed = err
			l.mu.Unlock()
			var late *errAfterSync
			if errors.As(err, &late) {
				// The records are durable: their callers are answered
				// nil (the Gate's answer matches the log); later calls fail.
				b.lateErr = fmt.Errorf("%w: %w", ErrFailed, late.err)
			} else {
				b.err = fmt.Errorf("%w: %w", ErrFailed, err)
			}
		}
		if b.close {
			if l.w.f != nil {
				if err := l.w.f.Close(); err != nil && b.err == nil {
					b.err = fmt.Errorf("auditlog: close: %w", err)
				}
			}
			close(b.done)
			return
		}
		close(b.done)
	}
}

// writeBatch writes the records of b (and checkpoints as due), fsyncs, and
// rotates the file when it is full.
func (l *Log) writeBatch(b *batch) error {
	w := &l.w
	buf := w.buf[:0]
	var published [][]byte
	for _, body := range b.bodies {
		start := len(buf)
		buf = appendRecordLine(buf, w.seq, w.prev, body)
		h := tlog.RecordHash(buf[start:])
		buf = append(buf, '\n')
		if err := w.tree.add(h); err != nil {
			return err
		}
		w.prev = h
		w.seq++
		w.since++
		if w.since >= l.opts.CheckpointEvery {
			var err error
			if buf, err = l.appendCheckpoint(buf); err != nil {
				return err
			}
			published = append(published, w.lastSigned)
		}
	}
	if (b.checkpoint || b.close) && w.since > 0 {
		var err error
		if buf, err = l.appendCheckpoint(buf); err != nil {
			return err
		}
		published = append(published, w.lastSigned)
	}
	w.buf = buf
	if len(buf) > 0 {
		if err := l.writeSync(buf); err != nil {
			return err
		}
	}
	if len(b.bodies) > 0 { // counted once durable (Stats)
		l.mu.Lock()
		l.stats.Records += int64(len(b.bodies))
		l.stats.Batches++
		l.mu.Unlock()
	}
	b.signed = w.lastSigned
	// From here on the batch's records are durable: a failure fails the log
	// for later calls, not this batch.
	if len(published) > 0 {
		if err := l.publish(published[len(published)-1]); err != nil {
			return &errAfterSync{err}
		}
	}
	if w.fileSize >= l.opts.MaxFileBytes && !b.close {
		if err := l.rotate(); err != nil {
			return &errAfterSync{err}
		}
	}
	return nil
}

// writeSync appends buf to the current file and syncs it. When either
// fails, it cuts the file back to its size before (best effort): the
// records' callers are answered with an error and their decisions denied,
// so the file must not keep records of them (whole lines a partial write
// left, or lines a failed sync may or may not have made durable).
//
// A buf longer than maxWriteBytes is written in parts of at most that many
// bytes, each ending at a line end and synced before the next is written:
// a power cut then damages only the last part, so Open can tell zeros it
// left (zeroedWrite) from damage to records already synced.
func (l *Log) writeSync(buf []byte) error {
	w := &l.w
	before := w.fileSize
	var err error
	for rest := buf; len(rest) > 0 && err == nil; {
		part := rest
		if len(part) > maxWriteBytes {
			// Lines are at most maxWriteBytes long with their newline.
			end := bytes.LastIndexByte(part[:maxWriteBytes], '\n') + 1
			if end == 0 { // never: a longer line is not written
				end = len(part)
			}
			part = part[:end]
		}
		rest = rest[len(part):]
		n, werr := w.f.Write(part)
		w.fileSize += int64(n)
		if werr != nil {
			err = fmt.Errorf("auditlog: write %s: %w", w.f.Name(), werr)
		} else if serr := l.opts.syncData(w.f); serr != nil {
			err = fmt.Errorf("auditlog: fsync %s: %w", w.f.Name(), serr)
		}
	}
	if err != nil {
		if terr := w.f.Truncate(before); terr != nil {
			return errors.Join(err, fmt.Errorf("auditlog: cutting the failed write off: %w", terr))
		}
		w.fileSize = before
		if serr := l.opts.syncData(w.f); serr != nil {
			return errors.Join(err, fmt.Errorf("auditlog: cutting the failed write off: fsync: %w", serr))
		}
	}
	return err
}

// appendCheckpoint signs the current tree and appends a checkpoint line.
func (l *Log) appendCheckpoint(buf []byte) ([]byte, error) {
	w := &l.w
	root, err := w.tree.root()
	if err != nil {
		return buf, err
	}
	at := l.opts.Now().UTC().Truncate(time.Second)
	if y := at.Year(); y < 0 || y > 9999 {
		// RFC 3339 has four-digit years: a time outside them would be
		// written as a time line that neither Open nor Verify can read
		// back. Such a clock dates nothing.
		at = time.Time{}
	} else if at.Before(w.lastTime) {
		at = w.lastTime
	}
	signed, err := signCheckpoint(tlog.Tree{N: w.tree.n, Hash: root}, w.logID, at, l.opts.Signer)
	if err != nil {
		return buf, fmt.Errorf("auditlog: sign checkpoint: %w", err)
	}
	buf = appendCheckpointLine(buf, signed)
	buf = append(buf, '\n')
	w.lastSigned = signed
	if !at.IsZero() {
		w.lastTime = at
	}
	w.since = 0
	return buf, nil
}

// publish writes the latest checkpoint to the checkpoint file (atomically) and
// hands it to OnCheckpoint.
func (l *Log) publish(signed []byte) error {
	if err := writeFileAtomic(filepath.Join(l.dir, CheckpointFile), signed); err != nil {
		return err
	}
	if l.opts.OnCheckpoint != nil {
		l.opts.OnCheckpoint(append([]byte(nil), signed...))
	}
	return nil
}

// rotate seals the current file with a checkpoint and continues in the next.
func (l *Log) rotate() error {
	w := &l.w
	if w.since > 0 {
		buf, err := l.appendCheckpoint(w.buf[:0])
		if err != nil {
			return err
		}
		if err := l.writeSync(buf); err != nil {
			return err
		}
		if err := l.publish(w.lastSigned); err != nil {
			return err
		}
	}
	if err := w.f.Close(); err != nil {
		return fmt.Errorf("auditlog: close %s: %w", w.f.Name(), err)
	}
	w.f = nil
	return l.createFile(w.fileIndex + 1)
}

// createFile creates file number i and makes its directory entry durable.
func (l *Log) createFile(i int) error {
	name := filepath.Join(l.dir, fileName(i))
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("auditlog: create %s: %w", name, err)
	}
	if err := syncDir(l.dir); err != nil {
		f.Close()
		return err
	}
	l.w.f, l.w.fileIndex, l.w.fileSize = f, i, 0
	return nil
}

func fileName(i int) string { return fmt.Sprintf("audit-%06d.jsonl", i) }

// syncDir fsyncs a directory, making an entry created, renamed or removed
// in it durable. A variable so that tests can see which directories are
// synced.
var syncDir = func(dir string) error {
	if err := durable.SyncDir(dir); err != nil {
		return fmt.Errorf("auditlog: fsync directory %s: %w", dir, err)
	}
	return nil
}

func writeFileAtomic(name string, data []byte) error {
	tmp := name + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("auditlog: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("auditlog: write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("auditlog: fsync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("auditlog: close %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, name); err != nil {
		return fmt.Errorf("auditlog: %w", err)
	}
	return syncDir(filepath.Dir(name))
}
