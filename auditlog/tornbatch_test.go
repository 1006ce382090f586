package auditlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate/internal/durable"
)

// page is the block a filesystem allocates for a file's new data: a page
// of a batch the disk never got reads back as zeros.
const page = 4096

// bigBatchSnapshot writes `before` decisions, each acknowledged before the
// next, then n decisions in one group commit (the writer is held in the
// previous batch's sync while they queue), and returns the files of dir as
// a crash right after that batch leaves them, with the offset at which the
// big batch starts in log file 1.
func bigBatchSnapshot(t *testing.T, opts Options, before, n int) (snap map[string][]byte, batchStart int) {
	t.Helper()
	var hold atomic.Bool
	entered := make(chan string, 1)
	release := make(chan struct{})
	inner := opts.syncData
	if inner == nil {
		inner = durable.SyncData
	}
	opts.syncData = func(f *os.File) error {
		if hold.CompareAndSwap(true, false) {
			entered <- f.Name()
			<-release
		}
		return inner(f)
	}
	dir := t.TempDir()
	l := openTest(t, dir, opts)
	ctx := context.Background()
	for i := range before - 1 {
		if err := l.RecordDecision(ctx, sampleDecision(i)); err != nil {
			t.Fatal(err)
		}
	}
	// The last of them is written and then held in its sync: the file ends
	// where the big batch will start.
	hold.Store(true)
	var wg sync.WaitGroup
	errs := make(chan error, n+1)
	wg.Add(1)
	go func() { defer wg.Done(); errs <- l.RecordDecision(ctx, sampleDecision(before-1)) }()
	name := <-entered
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	batchStart = int(fi.Size())
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- l.RecordDecision(ctx, sampleDecision(before+i)) }()
	}
	for {
		l.mu.Lock()
		queued := len(l.cur.bodies)
		l.mu.Unlock()
		if queued == n {
			break
		}
		// The writer is held; the callers are encoding and queueing.
		<-time.After(time.Millisecond)
	}
	batches := l.Stats().Batches
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// The held batch is counted once its sync returns (Stats counts
	// durable batches): it and one batch of all the queued callers.
	if got := l.Stats().Batches - batches; got != 2 {
		t.Fatalf("%d batches from the held one on, want 2 (it, and one of the %d queued callers)", got, n)
	}
	snap = dirSnapshot(t, dir)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := snap[CheckpointFile]; ok {
		t.Fatalf("a checkpoint was published: it would sign records of the batch")
	}
	return snap, batchStart
}

// lineStart returns the offset of the line of b holding offset off.
func lineStart(b []byte, off int) int {
	return bytes.LastIndexByte(b[:off], '\n') + 1
}

// A power cut during the write of a batch of many pages can leave a later
// page of it on disk and an earlier one not (zeros: the file's unwritten
// new block). No caller of that batch was answered, and a batch is written
// only after the previous one's fdatasync: everything from the line
// holding the first zero to the end of the file is that batch's. Open
// reports it torn at that line's start; Repair cuts it off, saves it and
// records the cut; every line before it is kept, Verify passes, and new
// records chain onto the last kept line.
func TestLogZeroedPageOfLastBatch(t *testing.T) {
	k := newTestKeys(t, "test-log")
	opts := testOptions(k)
	snap, batchStart := bigBatchSnapshot(t, opts, 4, 40)
	log := snap[fileName(1)]
	if len(log)-batchStart < 4*page {
		t.Fatalf("the batch is %d bytes: fewer than 4 pages", len(log)-batchStart)
	}
	ctx := context.Background()
	// The block the previous batch ends in (its new part), then every
	// whole block of the batch up to, not including, the one holding the
	// last newline (that is a torn last line, TestLogCutAtEveryOffset).
	firstBlock := (batchStart + page - 1) / page * page
	zeroFrom := []int{batchStart}
	for p := firstBlock; p+page < len(log); p += page {
		zeroFrom = append(zeroFrom, p)
	}
	for _, from := range zeroFrom {
		to := min((from/page+1)*page, len(log))
		b := bytes.Clone(log)
		clear(b[from:to])
		dir := restore(t, snap, b)
		name := filepath.Join(dir, fileName(1))
		cut := lineStart(log, from)
		what := fmt.Sprintf("zeros at %d-%d (batch at %d, line at %d)", from, to, batchStart, cut)
		_, err := Open(ctx, dir, opts)
		var torn *TornError
		if !errors.As(err, &torn) {
			t.Fatalf("%s: Open: %v, want a *TornError", what, err)
		}
		if torn.File != name || torn.Offset != int64(cut) || torn.Bytes != int64(len(log)-cut) {
			t.Fatalf("%s: %+v, want %s torn at %d, %d bytes", what, torn, name, cut, len(log)-cut)
		}
		recs, err := Repair(ctx, dir, opts)
		if err != nil || len(recs) != 1 || recs[0].Offset != int64(cut) || recs[0].CutBytes != int64(len(log)-cut) {
			t.Fatalf("%s: Repair: %+v, %v", what, recs, err)
		}
		saved, err := os.ReadFile(filepath.Join(dir, recs[0].SavedAs))
		if err != nil || !bytes.Equal(saved, b[cut:]) {
			t.Fatalf("%s: the saved cut is not the bytes cut (%v)", what, err)
		}
		after, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(after, log[:cut]) || cut < batchStart {
			t.Fatalf("%s: the lines before the damaged one changed", what)
		}
		// New records chain onto the last kept line.
		l := openTest(t, dir, opts)
		if err := l.RecordDecision(ctx, sampleDecision(1000)); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		files, err := LogFiles(dir)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Verify(ctx, files, VerifyOptions{Verifiers: k.verifiers, Dir: dir})
		if err != nil {
			t.Fatalf("%s: Verify: %v", what, err)
		}
		kept := int64(bytes.Count(log[:cut], []byte("\n")))
		if rep.Records != kept+2 || rep.Repairs != 1 {
			t.Fatalf("%s: %d records, %d repairs; want the %d kept, a repair record and the new one", what, rep.Records, rep.Repairs, kept)
		}
		// Verify names the cut a torn write with zeroed blocks and counts
		// the whole records the saved bytes hold: the intact batch's lines
		// that lie wholly after the zeros.
		var whole int64
		for s := 0; s < len(log); {
			nl := bytes.IndexByte(log[s:], '\n')
			if s >= to && !bytes.Contains(log[s:s+nl], []byte(`"kind":"checkpoint"`)) {
				whole++
			}
			s += nl + 1
		}
		if len(rep.ZeroedWriteCuts) != 1 || rep.ZeroedWriteCuts[0].RepairRecord != recs[0] ||
			rep.ZeroedWriteCuts[0].WholeRecords != whole || rep.ZeroedWriteCuts[0].ZeroBytes != int64(to-from) || len(rep.WholeRecordCuts) != 0 {
			t.Fatalf("%s: ZeroedWriteCuts %+v, WholeRecordCuts %+v; want %+v holding %d whole records, %d zeros", what, rep.ZeroedWriteCuts, rep.WholeRecordCuts, recs[0], whole, to-from)
		}
	}
}

// Damage that no power cut leaves is refused, naming the file and the
// offset: the same block of the last batch overwritten with other bytes
// than zeros, zeros not on sector boundaries, and a zeroed block followed
// by more than one write's worth of the log (the writer never writes that
// much at once: the zeros are not in its last write).
func TestLogZeroedPageRefused(t *testing.T) {
	k := newTestKeys(t, "test-log")
	opts := testOptions(k)
	ctx := context.Background()
	refused := func(t *testing.T, snap map[string][]byte, b []byte, at int, what string) {
		t.Helper()
		dir := restore(t, snap, b)
		l, err := Open(ctx, dir, opts)
		if err == nil {
			l.Close()
			t.Fatalf("%s: Open started", what)
		}
		if !errors.Is(err, ErrCorrupt) || errors.Is(err, ErrTorn) {
			t.Fatalf("%s: %v, want ErrCorrupt", what, err)
		}
		for _, want := range []string{fileName(1), fmt.Sprint(at)} {
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("%s: %v does not name %s", what, err, want)
			}
		}
		if recs, err := Repair(ctx, dir, opts); err == nil || recs != nil {
			t.Fatalf("%s: Repair: %+v, %v", what, recs, err)
		}
		after, err := os.ReadFile(filepath.Join(dir, fileName(1)))
		if err != nil || !bytes.Equal(after, b) {
			t.Fatalf("%s: the log changed (%v)", what, err)
		}
	}
	snap, batchStart := bigBatchSnapshot(t, opts, 4, 40)
	log := snap[fileName(1)]
	p := (batchStart + page - 1) / page * page
	b := bytes.Clone(log)
	for i := p; i < p+page; i++ {
		b[i] = 'x'
	}
	refused(t, snap, b, lineStart(log, p), "a block of x")
	b = bytes.Clone(log)
	clear(b[p : p+page])
	b[p+page/2] = 'x'
	refused(t, snap, b, lineStart(log, p), "a zeroed block with one x")
	b = bytes.Clone(log)
	clear(b[p+100 : p+page])
	refused(t, snap, b, lineStart(log, p+100), "zeros from inside a sector")

	big, bigStart := bigBatchSnapshot(t, opts, 2, 1200)
	log = big[fileName(1)]
	if len(log)-bigStart <= maxWriteBytes+page {
		t.Fatalf("the batch is %d bytes: not more than one write", len(log)-bigStart)
	}
	p = (bigStart + page - 1) / page * page
	b = bytes.Clone(log)
	clear(b[p : p+page])
	refused(t, big, b, lineStart(log, p), "a zeroed block more than a write from the end")
}

// A batch longer than maxWriteBytes is written in parts, each at most that
// long, ending at a line end and synced before the next is written: what
// zeroedWrite relies on to tell a power cut's zeros (in the last write)
// from damage to synced records.
func TestLogWritesAtMostMaxWriteBytes(t *testing.T) {
	k := newTestKeys(t, "test-log")
	opts := testOptions(k)
	var sizes []int64
	opts.syncData = func(f *os.File) error {
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		sizes = append(sizes, fi.Size()) // the writer goroutine's
		return durable.SyncData(f)
	}
	snap, batchStart := bigBatchSnapshot(t, opts, 2, 1200)
	log := snap[fileName(1)]
	if len(log)-batchStart <= maxWriteBytes {
		t.Fatalf("the batch is %d bytes: not more than one write", len(log)-batchStart)
	}
	var prev int64
	parts := 0
	for _, s := range sizes {
		if s > int64(len(log)) {
			break // the closing checkpoint
		}
		if s-prev > maxWriteBytes || (s > 0 && log[s-1] != '\n') {
			t.Fatalf("a write from %d to %d: more than %d bytes, or not ending a line", prev, s, maxWriteBytes)
		}
		if prev >= int64(batchStart) {
			parts++
		}
		prev = s
	}
	if prev != int64(len(log)) || parts < 2 {
		t.Fatalf("syncs at %v: the batch from %d to %d not written in parts", sizes, batchStart, len(log))
	}
}

// A line missing from the middle of the log (or records out of order) is
// refused naming the file, the line and its offset, as a damaged line is:
// a block overwritten across several records can happen to leave one
// valid-looking record (a string opened in one record closed in a later
// one), and the refusal must still say where to look.
func TestOpenOutOfOrderNamesOffset(t *testing.T) {
	k := newTestKeys(t, "test-log")
	opts := testOptions(k)
	ctx := context.Background()
	dir := t.TempDir()
	l := openTest(t, dir, opts)
	for i := range 6 {
		if err := l.RecordDecision(ctx, sampleDecision(i)); err != nil {
			t.Fatal(err)
		}
	}
	snap := dirSnapshot(t, dir)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	log := snap[fileName(1)]
	ends := lineEnds(log)
	if len(ends) < 6 {
		t.Fatalf("%d lines, want 6 records at least", len(ends))
	}
	// Drop the line of record 2: the next line, at ends[1], holds record 3.
	b := append(bytes.Clone(log[:ends[1]]), log[ends[2]:]...)
	_, err := Open(ctx, restore(t, snap, b), opts)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open = %v, want ErrCorrupt", err)
	}
	for _, want := range []string{fileName(1) + ":3", fmt.Sprintf("(offset %d)", ends[1]), "record 3 where record 2 was expected"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open: %v does not name %q", err, want)
		}
	}
}
