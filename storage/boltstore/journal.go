package boltstore

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dialgate/dialgate/internal/durable"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/internal/countstate"
)

// The counters journal: append-only segment files next to the store file.
// See the comment at the top of counters.go for the format and the
// guarantees; this file holds the format and the writer, replay.go the
// reader, compact.go the compaction.

const (
	segMagic = "DGCNTJNL"
	// segVersion is the format of the segments this build writes: frames
	// in batches, each closed by a commit frame. Segments of format
	// segVersionNoCommit (schema version 3 and 4 files) have no commit
	// frames; replay reads them by the rule they were written under.
	segVersion         = 2
	segVersionNoCommit = 1
	journalIDLen       = 16
	segHeaderLen       = len(segMagic) + 4 + journalIDLen
	frameHeaderLen     = 8

	// maxFramePayload bounds a frame: a longer length field is damage.
	// Reserve refuses (ErrInvalid) a reservation that would not fit.
	maxFramePayload = 16 << 20

	frameReserve byte = 1
	frameRelease byte = 2
	frameForget  byte = 3
	frameCommit  byte = 4 // ends a batch (segment format 2); see appendCommit

	// A commit frame's payload: type | uint32 frames | uint64 bytes |
	// uint32 CRC-32C of those bytes (the batch's frames, back to back).
	commitPayloadLen = 1 + 4 + 8 + 4
	commitFrameLen   = frameHeaderLen + commitPayloadLen

	// commitEvery is the size of the batches compaction and migration
	// write (the journal's writer commits each write as one batch):
	// replay holds a batch in memory until its commit frame.
	commitEvery = 1 << 20

	segDigits = 10 // segment numbers are zero-padded: lexical order = numeric order

	// Temporary files, never read by replay (their names are not segment
	// names); replay removes them once the journal loaded.
	tmpRotate  = ".counters.new"
	tmpCompact = ".counters.compact"
	tmpMigrate = ".counters.migrate"
)

// DefaultSegmentSize is the size past which the counters journal starts a
// new segment file (Options.SegmentSize).
const DefaultSegmentSize = 32 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// segName is the file of segment n of the journal of the store at path.
func segName(path string, n uint64) string {
	return fmt.Sprintf("%s.counters.%0*d", path, segDigits, n)
}

// listSegments returns the numbers of the journal's segment files, in
// order. Other files (temporary ones, names that do not parse) are ignored.
func listSegments(path string) ([]uint64, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	prefix := base + ".counters."
	var out []uint64
	for _, e := range ents {
		name := e.Name()
		digits, ok := strings.CutPrefix(name, prefix)
		if !ok || len(digits) != segDigits || strings.Trim(digits, "0123456789") != "" {
			continue
		}
		n, err := strconv.ParseUint(digits, 10, 64)
		if err != nil || n == 0 {
			continue
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out, nil
}

// syncDir fsyncs the directory holding path, making a rename or a removal in
// it durable. A variable so that tests can see which directories are synced.
var syncDir = func(path string) error { return durable.SyncDir(filepath.Dir(path)) }

// segHeader returns a segment's header.
func segHeader(id []byte) []byte {
	b := make([]byte, 0, segHeaderLen)
	b = append(b, segMagic...)
	b = binary.BigEndian.AppendUint32(b, segVersion)
	return append(b, id...)
}

// beginFrame appends room for a frame header and returns where the frame
// starts; endFrame fills the header in once the payload is appended.
func beginFrame(b []byte) ([]byte, int) {
	return append(b, make([]byte, frameHeaderLen)...), len(b)
}

func endFrame(b []byte, start int) []byte {
	p := b[start+frameHeaderLen:]
	binary.BigEndian.PutUint32(b[start:], uint32(len(p)))
	binary.BigEndian.PutUint32(b[start+4:], crc32.Checksum(p, castagnoli))
	return b
}

// appendCommit appends the commit frame of a batch of frames frames, whose
// bytes (the batch's frames back to back, from the end of the previous
// commit frame or of the segment header) are n long and have CRC-32C crc.
//
// Why a commit frame. A batch is one write() and one fdatasync, and its
// Reserves return only after that fdatasync: a batch without its commit
// frame on disk was never acknowledged. A power cut during the write of a
// batch of several pages may leave any subset of its pages on disk (pages
// are written back in any order, and one not written back reads as zeros):
// a bad frame followed by good frames, which without batch boundaries
// cannot be told from damage to acknowledged frames. With them, replay of
// the last segment cuts off everything after its last valid commit frame —
// the one batch that can have been torn — and any bad frame before a valid
// commit frame is damage (storage.ErrCorrupt), since that commit frame's
// fdatasync covered it. A torn write leaves unwritten sectors zeroed, not
// garbage: when the last batch's own commit frame is intact, damage in the
// batch that no zeroed sector explains is refused too (see tailDamage).
func appendCommit(b []byte, frames uint32, n uint64, crc uint32) []byte {
	b, start := beginFrame(b)
	b = append(b, frameCommit)
	b = binary.BigEndian.AppendUint32(b, frames)
	b = binary.BigEndian.AppendUint64(b, n)
	b = binary.BigEndian.AppendUint32(b, crc)
	return endFrame(b, start)
}

// commitBatch appends the commit frame of the frames b[start:] (whole
// frames, as the append functions below write them).
func commitBatch(b []byte, start int) []byte {
	var frames uint32
	for p := start; p < len(b); p += frameHeaderLen + int(binary.BigEndian.Uint32(b[p:])) {
		frames++
	}
	return appendCommit(b, frames, uint64(len(b)-start), crc32.Checksum(b[start:], castagnoli))
}

// decodeCommit reads a commit frame's payload p (type byte included):
// ok is false if p is not one.
func decodeCommit(p []byte) (frames uint32, n uint64, crc uint32, ok bool) {
	if len(p) != commitPayloadLen || p[0] != frameCommit {
		return 0, 0, 0, false
	}
	return binary.BigEndian.Uint32(p[1:]), binary.BigEndian.Uint64(p[5:]), binary.BigEndian.Uint32(p[13:]), true
}

// batchWriter writes frames to w in batches of about commitEvery bytes,
// each closed by its commit frame (compaction, migration). close commits
// the last batch; written counts every byte written, commit frames too.
type batchWriter struct {
	w       *bufio.Writer
	frames  uint32
	n       uint64
	crc     uint32
	written int64
	buf     []byte
}

func newBatchWriter(w *bufio.Writer, written int64) *batchWriter {
	return &batchWriter{w: w, written: written}
}

// frame writes one whole frame.
func (bw *batchWriter) frame(f []byte) error {
	if _, err := bw.w.Write(f); err != nil {
		return err
	}
	bw.frames++
	bw.n += uint64(len(f))
	bw.crc = crc32.Update(bw.crc, castagnoli, f)
	bw.written += int64(len(f))
	if bw.n >= commitEvery {
		return bw.commit()
	}
	return nil
}

// commit writes the commit frame of the frames written since the last one,
// if any.
func (bw *batchWriter) commit() error {
	if bw.frames == 0 {
		return nil
	}
	bw.buf = appendCommit(bw.buf[:0], bw.frames, bw.n, bw.crc)
	if _, err := bw.w.Write(bw.buf); err != nil {
		return err
	}
	bw.written += int64(len(bw.buf))
	bw.frames, bw.n, bw.crc = 0, 0, 0
	return nil
}

// appendIDFrame appends a release or forget frame.
func appendIDFrame(b []byte, typ byte, seq uint64, id string) []byte {
	b, start := beginFrame(b)
	b = append(b, typ)
	b = binary.BigEndian.AppendUint64(b, seq)
	b = append(b, id...)
	return endFrame(b, start)
}

// appendReserveFrame appends the reserve frame of id, reserved at at (Unix
// ns) under limits with sequence seq.
func appendReserveFrame(b []byte, seq uint64, id string, at int64, limits []storage.Limit) []byte {
	b, start := beginFrame(b)
	b = append(b, frameReserve)
	b = binary.BigEndian.AppendUint64(b, seq)
	b = appendReservationLimits(b, id, at, limits)
	return endFrame(b, start)
}

// appendRecordFrame appends a reserve frame whose payload tail is rec, an
// encoded reservation (migration).
func appendRecordFrame(b []byte, seq uint64, rec []byte) []byte {
	b, start := beginFrame(b)
	b = append(b, frameReserve)
	b = binary.BigEndian.AppendUint64(b, seq)
	b = append(b, rec...)
	return endFrame(b, start)
}

// reserveFrameBound returns an upper bound of the size of id's reserve frame
// under limits.
func reserveFrameBound(id string, limits []storage.Limit) int {
	n := frameHeaderLen + 1 + 8 + 1 + 8 + 8 + 2*binary.MaxVarintLen64 + len(id)
	for _, l := range limits {
		n += 2*binary.MaxVarintLen64 + len(l.Key) + len(l.Member) + 8
	}
	return n
}

// errJournalClosed is the result of a write queued after Close began.
var errJournalClosed = errors.New("the counters journal is closed")

// journal is the writer of the counters journal: one goroutine owns the
// active segment and writes every batch of queued frames with one write()
// and one fdatasync, then wakes the batch's waiters (group commit, as the
// bbolt writes do: while one batch is written the next one fills, and no
// timer delays a write unless delay > 0).
type journal struct {
	path     string // the store file; segments are path.counters.<n>
	id       []byte // the journal id in every segment header (and in meta)
	segSize  int64
	delay    time.Duration
	maxBatch int
	idx      *countstate.State // for compaction: what is held, and how much

	mu      sync.Mutex
	queue   []*jbatch // batches not yet taken by the writer, oldest first
	closing bool
	err     error    // the first failed write, fsync or rotation: every later batch fails with it
	spare   [][]byte // buffers of written batches, for reuse
	wake    chan struct{}

	// The writer goroutine's own.
	f    *os.File
	size int64 // of the active segment

	// Segments and compaction: segMu guards segs and compacting, shared by
	// the writer (which appends segments) and the compaction (which
	// replaces the sealed ones, segs[:len(segs)-1], by one).
	segMu         sync.Mutex
	segs          []segment // oldest first; the last is the active one
	compacting    bool
	compactErr    error // the last compaction's failure, nil after a success
	compactFloor  int64 // sealed bytes under which no compaction starts
	compactions   int   // completed
	reserveBytes  atomic.Int64
	reserveFrames atomic.Int64

	stop     chan struct{} // closed by close: a running compaction gives up
	done     chan struct{} // closed when the writer has exited
	compactW sync.WaitGroup

	// pulse beats every pulseEvery while a write is stalled: waiters
	// bounded by a context look at it then (jbatch.waitCtx). busy is when
	// the writer began its current write (unix ns), 0 between writes.
	pulse *pulse
	busy  atomic.Int64

	// fault, when set (tests), is called before each write and fsync of a
	// batch; an error it returns is that write's error.
	fault func(op string) error
}

// segment is one segment file and its size.
type segment struct {
	n    uint64
	size int64
}

// jbatch is the frames of one write: every request queued into it waits for
// the same fdatasync.
type jbatch struct {
	buf  []byte
	n    int           // requests
	done chan struct{} // closed when err is set
	err  error
	// pulse is the journal's (nil for a batch failed at append, done
	// already): waitCtx looks at its context at each beat.
	pulse *pulse
}

func (b *jbatch) finish(err error) {
	b.err = err
	close(b.done)
}

// wait returns the batch's result once its frames are written and fsynced
// (or failed). Any number of goroutines may wait.
func (b *jbatch) wait() error {
	<-b.done
	return b.err
}

// errWaitAbandoned is waitCtx's error when the caller's context ended
// before the batch was written: the batch is still written (or fails, and
// stops the counters), the caller only stops waiting for it.
var errWaitAbandoned = errors.New("gave up waiting for the counters journal's write (its frames are still written)")

// waitCtx is wait bounded by ctx: when ctx ends first it returns an error
// wrapping errWaitAbandoned and ctx's error (a write that does not return —
// a stalled disk — must not hold a caller past its deadline: the
// storage.Counters contract, and the Gate's check timeout, rely on it).
// It looks at ctx.Err() when it starts and at every beat of the journal's
// pulse, never at ctx.Done(): the Gate's deadline context starts a timer on
// its first Done call, which every decision would pay for. The pulse beats
// only while a write has taken stallAfter or longer (a stalled disk): a
// healthy write answers its waiters first, and none is woken for nothing.
// So a caller gives up at most pulseEvery after its context ends or the
// write has been stalled stallAfter, whichever is later.
func (b *jbatch) waitCtx(ctx context.Context) error {
	select {
	case <-b.done:
		return b.err
	default:
	}
	for {
		if ctx.Err() != nil {
			return fmt.Errorf("%w: %w", errWaitAbandoned, context.Cause(ctx))
		}
		select {
		case <-b.done:
			return b.err
		case <-b.pulse.next():
		}
	}
}

// pulseEvery is how often a journal's pulse may beat; it beats while the
// writer has been in one write (and its rotation) stallAfter or longer.
const (
	pulseEvery = 10 * time.Millisecond
	stallAfter = 20 * time.Millisecond
)

// pulse is a broadcast beat: next returns a channel closed at the next beat.
type pulse struct{ ch atomic.Pointer[chan struct{}] }

func newPulse() *pulse {
	p := new(pulse)
	ch := make(chan struct{})
	p.ch.Store(&ch)
	return p
}

func (p *pulse) next() <-chan struct{} { return *p.ch.Load() }

func (p *pulse) beat() {
	ch := make(chan struct{})
	close(*p.ch.Swap(&ch))
}

// beat makes j.pulse beat every pulseEvery while the writer has been in a
// write stallAfter or longer, until the writer has exited (every batch is
// finished then: no waiter is left).
func (j *journal) beat() {
	t := time.NewTicker(pulseEvery)
	defer t.Stop()
	for {
		select {
		case <-j.done:
			j.pulse.beat()
			return
		case now := <-t.C:
			if since := j.busy.Load(); since != 0 && now.UnixNano()-since >= int64(stallAfter) {
				j.pulse.beat()
			}
		}
	}
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// startJournal starts the writer on f, the active segment (of size bytes),
// the last of segs.
func startJournal(path string, id []byte, f *os.File, segs []segment, idx *countstate.State, opts Options) *journal {
	j := &journal{
		path: path, id: id, segSize: opts.SegmentSize, delay: opts.MaxBatchDelay, maxBatch: opts.MaxBatchSize, idx: idx,
		wake: make(chan struct{}, 1), f: f, size: segs[len(segs)-1].size, segs: segs,
		compactFloor: opts.SegmentSize, stop: make(chan struct{}), done: make(chan struct{}), pulse: newPulse(),
	}
	go j.writer()
	go j.beat()
	return j
}

// append queues the frames fn appends to the current batch's buffer and
// returns the batch. It never blocks on I/O. Frames are written in the order
// append is called (callers call it under Store.mu, which orders it with
// the index change the frames record). fn must only append.
func (j *journal) append(fn func([]byte) []byte) *jbatch {
	j.mu.Lock()
	if j.err != nil || j.closing {
		err := j.err
		if err == nil {
			err = errJournalClosed
		}
		j.mu.Unlock()
		return &jbatch{done: closedChan, err: err}
	}
	var b *jbatch
	if n := len(j.queue); n > 0 && j.queue[n-1].n < j.maxBatch {
		b = j.queue[n-1]
	} else {
		b = &jbatch{done: make(chan struct{}), pulse: j.pulse}
		if k := len(j.spare); k > 0 {
			b.buf, j.spare = j.spare[k-1][:0], j.spare[:k-1]
		}
		j.queue = append(j.queue, b)
	}
	before := len(b.buf)
	b.buf = fn(b.buf)
	if len(b.buf) > before {
		b.n++
	}
	j.mu.Unlock()
	select {
	case j.wake <- struct{}{}:
	default:
	}
	return b
}

// writer writes the queued batches, one write and one fdatasync each, until
// close; it writes every batch queued before close first.
func (j *journal) writer() {
	defer close(j.done)
	// Every frame written was fsynced: a failed close loses nothing.
	defer func() { _ = j.f.Close() }()
	for {
		j.busy.Store(0)
		j.mu.Lock()
		for len(j.queue) == 0 && !j.closing {
			j.mu.Unlock()
			<-j.wake
			j.mu.Lock()
		}
		if len(j.queue) == 0 {
			j.mu.Unlock()
			return
		}
		j.mu.Unlock()
		if j.delay > 0 {
			time.Sleep(j.delay)
		}
		// Yield before taking the batch: callers that are runnable now
		// (under load, those the last write woke) join this batch, so more
		// reservations share its fdatasync. With none runnable this returns
		// at once.
		runtime.Gosched()
		j.mu.Lock()
		b := j.queue[0]
		j.queue[0] = nil
		j.queue = j.queue[1:]
		failed := j.err
		j.mu.Unlock()
		if failed != nil {
			b.finish(failed)
			continue
		}
		var err error
		j.busy.Store(time.Now().UnixNano())
		b.buf, err = j.write(b.buf)
		b.finish(err)
		j.mu.Lock()
		if len(j.spare) < 4 && cap(b.buf) <= 4<<20 {
			j.spare = append(j.spare, b.buf)
		}
		b.buf = nil
		j.mu.Unlock()
		if err != nil {
			j.fail(err)
			continue
		}
		if j.size >= j.segSize {
			if err := j.rotate(); err != nil {
				j.fail(fmt.Errorf("start a new journal segment: %w", err))
				continue
			}
		}
		j.maybeCompact()
	}
}

// write appends buf, a batch of whole frames, and its commit frame to the
// active segment and fdatasyncs it. It returns buf with the commit frame.
func (j *journal) write(buf []byte) ([]byte, error) {
	if len(buf) == 0 {
		return buf, nil
	}
	buf = commitBatch(buf, 0)
	return buf, j.writeCommitted(buf)
}

func (j *journal) writeCommitted(buf []byte) error {
	if fault := j.faultHook(); fault != nil {
		if err := fault("write"); err != nil {
			return err
		}
	}
	n, err := j.f.Write(buf)
	j.size += int64(n)
	j.segMu.Lock()
	j.segs[len(j.segs)-1].size = j.size
	j.segMu.Unlock()
	if err != nil {
		return fmt.Errorf("write %s: %w", j.f.Name(), err)
	}
	if fault := j.faultHook(); fault != nil {
		if err := fault("sync"); err != nil {
			return err
		}
	}
	if err := durable.SyncData(j.f); err != nil {
		return err
	}
	return nil
}

func (j *journal) faultHook() func(string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.fault
}

// fail records the journal's first failure: every queued and later batch
// fails with it (the writer never writes or fsyncs again: the index may be
// ahead of the file, and an fsync retried after a failure may report data
// durable that the kernel dropped). It reports whether err was the first.
func (j *journal) fail(err error) bool {
	j.mu.Lock()
	first := j.err == nil
	if first {
		j.err = err
	}
	q := j.queue
	j.queue = nil
	j.mu.Unlock()
	for _, b := range q {
		b.finish(j.err)
	}
	return first
}

// rotate seals the active segment and starts the next one. The new segment
// is written as a temporary file with its header, fsynced, renamed into
// place and its directory fsynced before any frame goes into it: a segment
// file replay sees always has a whole header, and frames acknowledged in it
// cannot vanish with its directory entry.
func (j *journal) rotate() error {
	j.segMu.Lock()
	n := j.segs[len(j.segs)-1].n + 1
	j.segMu.Unlock()
	f, err := createSegment(j.path, n, j.id, tmpRotate)
	if err != nil {
		return err
	}
	old := j.f
	j.f, j.size = f, int64(segHeaderLen)
	j.segMu.Lock()
	j.segs = append(j.segs, segment{n: n, size: j.size})
	j.segMu.Unlock()
	// The old segment's frames are fsynced; a failed close loses nothing.
	_ = old.Close()
	return nil
}

// createSegment creates segment n, holding only its header, durably (see
// rotate), and returns it open for appending.
func createSegment(path string, n uint64, id []byte, tmpSuffix string) (*os.File, error) {
	tmp := path + tmpSuffix
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(segHeader(id)); err != nil {
		f.Close()
		os.Remove(tmp)
		return nil, err
	}
	if err := durable.SyncData(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return nil, err
	}
	if err := os.Rename(tmp, segName(path, n)); err != nil {
		f.Close()
		os.Remove(tmp)
		return nil, err
	}
	if err := syncDir(path); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// close writes every batch queued so far, stops the writer and any
// compaction, and closes the active segment.
func (j *journal) close() {
	j.mu.Lock()
	j.closing = true
	j.mu.Unlock()
	select {
	case j.wake <- struct{}{}:
	default:
	}
	<-j.done
	close(j.stop)
	j.compactW.Wait()
}

// removeTemps removes the temporary files a crash may have left.
func removeTemps(path string) error {
	for _, suffix := range []string{tmpRotate, tmpCompact, tmpMigrate} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}
