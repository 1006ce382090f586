package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/internal/countstate"
)

// A group commit is one write() of many frames and one fdatasync. A power
// cut during the write of a batch that spans several pages can leave a
// later page of it on disk without an earlier one (the kernel writes pages
// back in any order; a page not yet written comes back zeroed). Nothing of
// that batch was acknowledged — its Reserves return after its fdatasync —
// so replay must cut the whole batch off, not stop the counters for good.

const (
	tornA = 6   // acknowledged reservations before the last batch, keys a<i>
	tornB = 100 // reservations of the last batch (one write), keys b<i>
)

// tornBatchFixture writes tornA reservations one by one, then tornB
// reservations that the journal writes as one batch (the writer is held
// while they queue), then, with later, one more reservation (key c), and
// closes the store. It returns the store file's and the only segment's
// bytes and where the batch of the b reservations starts and ends.
func tornBatchFixture(t *testing.T, later bool) (db, seg []byte, start, end int64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f.db")
	s := mustOpen(t, path, Options{})
	for i := range tornA - 1 {
		mustReserve(t, s, "a-reservation-"+strconv.Itoa(i), jt0, lim1("a"+strconv.Itoa(i)))
	}
	// The writer takes the next reservation and is held in its write; the
	// tornB reservations queue meanwhile into one batch.
	j := s.counters.j
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	j.mu.Lock()
	j.fault = func(op string) error {
		if op == "write" {
			once.Do(func() { close(entered); <-release })
		}
		return nil
	}
	j.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		mustReserve(t, s, "a-reservation-"+strconv.Itoa(tornA-1), jt0, lim1("a"+strconv.Itoa(tornA-1)))
	}()
	<-entered
	for i := range tornB {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mustReserve(t, s, "b-reservation-with-a-longer-id-"+strconv.Itoa(i), jt0, lim1("b"+strconv.Itoa(i)))
		}()
	}
	waitFor(t, func() bool { _, n := s.counters.idx.Size(); return n == tornA+tornB })
	// A reservation is in the index a moment before it joins the queue:
	// wait for the queue to hold all of them (it once held 99 of 100 when
	// looked at once, on a loaded machine).
	for deadline := time.Now().Add(5 * time.Second); ; {
		j.mu.Lock()
		nq, n := len(j.queue), 0
		if nq > 0 {
			n = j.queue[0].n
		}
		j.mu.Unlock()
		if nq == 1 && n == tornB {
			break
		}
		if nq > 1 || time.Now().After(deadline) {
			close(release)
			t.Fatalf("queued %d batches (the first of %d reservations), want one of %d reservations", nq, n, tornB)
		}
		time.Sleep(time.Millisecond)
	}
	// The held write is the last of the a reservations: once it is on
	// disk, the segment's size is where the b batch starts.
	var sized sync.Once
	j.mu.Lock()
	j.fault = func(op string) error {
		if op == "write" {
			sized.Do(func() {
				fi, err := os.Stat(lastSeg(t, path))
				if err != nil {
					t.Error(err)
					return
				}
				start = fi.Size()
			})
		}
		return nil
	}
	j.mu.Unlock()
	close(release)
	wg.Wait()
	fi, err := os.Stat(lastSeg(t, path))
	if err != nil {
		t.Fatal(err)
	}
	end = fi.Size()
	if later {
		mustReserve(t, s, "c-reservation", jt0, lim1("c"))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = os.ReadFile(path); err != nil {
		t.Fatal(err)
	}
	if seg, err = os.ReadFile(lastSeg(t, path)); err != nil {
		t.Fatal(err)
	}
	if n := end - start; start <= 0 || n < 2*4096 || end/4096-start/4096 < 2 {
		t.Fatalf("the b batch is at %d…%d; want one over at least three pages", start, end)
	}
	return db, seg, start, end
}

// tornLimits is every key of the fixture: a0…, b0….
func tornLimits() []storage.Limit {
	var l []storage.Limit
	for i := range tornA {
		l = append(l, lim1("a" + strconv.Itoa(i))[0])
	}
	for i := range tornB {
		l = append(l, lim1("b" + strconv.Itoa(i))[0])
	}
	return l
}

// heldAB returns how many of the a and of the b reservations counts holds.
func heldAB(counts []storage.Usage) (a, b int) {
	for i, u := range counts {
		if i < tornA {
			a += u.Count
		} else {
			b += u.Count
		}
	}
	return a, b
}

// replaySeg replays seg as the only segment of a journal with id, in dir,
// and returns what replay found, the counts of the fixture's keys and the
// segment's name.
func replaySeg(t *testing.T, dir string, seg []byte, id []byte) (replayed, []storage.Usage, string, error) {
	t.Helper()
	path := filepath.Join(dir, "r.db")
	if err := os.WriteFile(segName(path, 1), seg, 0o600); err != nil {
		t.Fatal(err)
	}
	idx := countstate.NewTracked()
	rep, err := replayJournal(path, id, idx)
	return rep, idx.Usage(jt0, tornLimits()), segName(path, 1), err
}

// zeroed returns seg with [from, to) zeroed.
func zeroed(seg []byte, from, to int64) []byte {
	b := bytes.Clone(seg)
	clear(b[from:min(to, int64(len(b)))])
	return b
}

// The crash review's case: the last batch's first page never reached the
// disk (zeroed), its later pages did. The store opens with exactly the
// acknowledged reservations, cuts the batch off (durably), and goes on.
func TestTornBatchFirstPageZeroed(t *testing.T) {
	db, seg, start, _ := tornBatchFixture(t, false)
	page := (start/4096 + 1) * 4096 // the first page boundary after the batch starts
	s, path := openWith(t, db, zeroed(seg, start, page))
	us, err := s.Usage(context.Background(), jt0, tornLimits())
	if err != nil {
		s.Close()
		t.Fatalf("counters after a torn last batch: %v; want the acknowledged reservations", err)
	}
	if a, b := heldAB(us); a != tornA || b != 0 {
		s.Close()
		t.Fatalf("held %d a and %d b reservations, want %d and 0 (the torn batch was never acknowledged)", a, b, tornA)
	}
	checkCutThenGoesOn(t, s, path, start)
}

// checkCutThenGoesOn checks that the store s, opened at path on a journal
// whose last batch was torn, cut segment 1 to start bytes (the batch's
// start), and that a reservation made after it is kept across a reopen.
// It closes s.
func checkCutThenGoesOn(t *testing.T, s *Store, path string, start int64) {
	t.Helper()
	fi, err := os.Stat(segName(path, 1))
	if err != nil || fi.Size() != start {
		s.Close()
		size := int64(-1)
		if fi != nil {
			size = fi.Size()
		}
		t.Fatalf("segment 1 after Open: %d bytes, %v; want it cut to %d bytes", size, err, start)
	}
	mustReserve(t, s, "after", jt0, lim1("b0"))
	s.Close()
	s = mustOpen(t, path, Options{})
	defer s.Close()
	us, err := s.Usage(context.Background(), jt0, tornLimits())
	if err != nil {
		t.Fatal(err)
	}
	if a, b := heldAB(us); a != tornA || b != 1 {
		t.Fatalf("after a new reservation and a reopen: held %d a and %d b, want %d and 1", a, b, tornA)
	}
}

// The same at every offset of the last batch: the segment cut there, with
// every later byte intact; and each of its 512-byte sectors and 4 KiB pages
// zeroed (the batch's part of the first). Replay keeps exactly the
// acknowledged reservations — never a frame of the torn batch, though most
// of them are intact — and cuts at the batch's start; damage that changes
// no byte keeps the batch. One byte flipped there is a torn write only in
// the commit frame (no longer intact, so the batch may never have been
// written whole); in the batch's frames, before an intact commit frame, it
// is non-zero garbage that no torn write leaves: refused with ErrCorrupt
// naming the frame (TestRotInLastBatchRefused has the reasons). Offsets as
// batchOffset says.
func TestTornBatchAtEveryOffset(t *testing.T) {
	_, seg, start, _ := tornBatchFixture(t, false)
	id, dir := seg[segHeaderLen-journalIDLen:segHeaderLen], t.TempDir()
	// Where each frame of the batch (its commit frame too) and each page
	// starts: the frames first.
	bounds := batchFrames(seg, start, int64(len(seg)))
	frames := len(bounds)
	for p := (start/4096 + 1) * 4096; p < int64(len(seg)); p += 4096 {
		bounds = append(bounds, p)
	}
	damages := map[string]func(off int64) []byte{
		"byte flipped": func(off int64) []byte { b := bytes.Clone(seg); b[off] ^= 0x10; return b },
		"sector zeroed": func(off int64) []byte {
			if off != start && off%512 != 0 {
				return nil // one case a sector
			}
			return zeroed(seg, off, (off/512+1)*512)
		},
		"cut": func(off int64) []byte { return seg[:off] },
		"page zeroed": func(off int64) []byte {
			if off != start && off%4096 != 0 {
				return nil // one case a page
			}
			return zeroed(seg, off, (off/4096+1)*4096)
		},
	}
	for name, damage := range damages {
		for off := start; off < int64(len(seg)); off++ {
			if !batchOffset(off, bounds) {
				continue
			}
			b := damage(off)
			if b == nil {
				continue
			}
			rep, us, file, err := replaySeg(t, dir, b, id)
			a, bs := heldAB(us)
			if name == "byte flipped" && off < int64(len(seg))-commitFrameLen {
				wantRefused(t, fmt.Sprintf("%s at %d of the last batch (%d…%d), before its intact commit frame", name, off, start, len(seg)), err, file, frameAt(bounds[:frames], off))
				continue
			}
			if int64(len(b)) == start { // cut at the batch's start: nothing torn
				if err != nil || rep.tornAt >= 0 || a != tornA || bs != 0 {
					t.Fatalf("%s at %d: %v, torn at %d, held %d+%d; want the a reservations only, nothing torn", name, off, err, rep.tornAt, a, bs)
				}
				continue
			}
			if bytes.Equal(b, seg) {
				if err != nil || rep.tornAt >= 0 || a != tornA || bs != tornB {
					t.Fatalf("%s at %d changes nothing: %v, torn at %d, held %d+%d; want all", name, off, err, rep.tornAt, a, bs)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s at %d of the last batch (%d…%d): %v; want it cut off as torn", name, off, start, len(seg), err)
			}
			if rep.tornAt != start || a != tornA || bs != 0 {
				t.Fatalf("%s at %d of the last batch (%d…%d): torn at %d, held %d a and %d b; want torn at %d, %d and 0", name, off, start, len(seg), rep.tornAt, a, bs, start, tornA)
			}
		}
	}
}

// batchOffset reports whether the offset tests try off: every offset with
// DIALGATE_TEST_EVERY_OFFSET set (as in package auditlog's), else every one
// from 3 bytes before a frame's or a page's start to its payload's first
// byte (a frame's length, checksum and type) and every 17th elsewhere: each
// offset replays a journal, and the batch has ≈ 10,000.
func batchOffset(off int64, bounds []int64) bool {
	if os.Getenv("DIALGATE_TEST_EVERY_OFFSET") != "" || off%17 == 0 {
		return true
	}
	for _, b := range bounds {
		if off >= b-3 && off <= b+frameHeaderLen {
			return true
		}
	}
	return false
}

// Damage before the last complete batch is never a torn write: the bytes
// after it were fdatasynced, so the damaged ones were too. Replay refuses
// with ErrCorrupt naming the segment and the offset, and counts nothing of
// it as absent.
func TestDamageBeforeLastBatchRefused(t *testing.T) {
	_, seg, start, _ := tornBatchFixture(t, false)
	id, dir := seg[segHeaderLen-journalIDLen:segHeaderLen], t.TempDir()
	for off := int64(segHeaderLen); off < start; off++ {
		for name, b := range map[string][]byte{
			"zeroed": zeroed(seg, off, off+1),
			"flipped": func() []byte {
				b := bytes.Clone(seg)
				b[off] ^= 0x01
				return b
			}(),
		} {
			if bytes.Equal(b, seg) {
				continue
			}
			_, _, file, err := replaySeg(t, dir, b, id)
			if !errors.Is(err, storage.ErrCorrupt) {
				t.Fatalf("byte %s at %d (before the last batch at %d): %v; want ErrCorrupt", name, off, start, err)
			}
			if !strings.Contains(err.Error(), filepath.Base(file)) || !strings.Contains(err.Error(), "offset ") {
				t.Fatalf("byte %s at %d: error %q does not name the segment and an offset", name, off, err)
			}
		}
	}
	// A batch's page zeroed (from off to the page's end or the batch's),
	// and a later batch intact after it: that batch's fdatasync came after
	// the damaged one's, so the damaged batch was acknowledged: damage, at
	// every offset of it.
	_, seg, start, end := tornBatchFixture(t, true)
	id = seg[segHeaderLen-journalIDLen : segHeaderLen]
	for off := start; off < end; off += 97 {
		_, _, file, err := replaySeg(t, dir, zeroed(seg, off, min((off/4096+1)*4096, end)), id)
		if !errors.Is(err, storage.ErrCorrupt) || !strings.Contains(err.Error(), filepath.Base(file)) {
			t.Fatalf("a page zeroed from %d in a batch (%d…%d) that a later batch follows: %v; want ErrCorrupt naming the segment", off, start, end, err)
		}
	}
}

// Frames of a batch whose commit frame is not on disk are never counted,
// though they are intact: their Reserves never returned, so no dial was
// allowed on them (see scanSegment), and the cut makes the file say the
// same at every later Open.
func TestUncommittedFramesNotCounted(t *testing.T) {
	db, seg, start, end := tornBatchFixture(t, false)
	if int64(len(seg)) != end {
		t.Fatalf("segment of %d bytes, the batch ends at %d", len(seg), end)
	}
	// Every frame of the batch, without its commit frame.
	s, path := openWith(t, db, seg[:end-commitFrameLen])
	for round := range 2 {
		us, err := s.Usage(context.Background(), jt0, tornLimits())
		if err != nil {
			s.Close()
			t.Fatal(err)
		}
		if a, b := heldAB(us); a != tornA || b != 0 {
			s.Close()
			t.Fatalf("open %d: held %d a and %d b reservations, want %d and 0", round, a, b, tornA)
		}
		s.Close()
		if fi, err := os.Stat(segName(path, 1)); err != nil || fi.Size() != start {
			t.Fatalf("open %d: segment 1 is %d bytes (%v), want %d", round, fi.Size(), err, start)
		}
		s = mustOpen(t, path, Options{})
	}
	s.Close()
}

// v1Segment returns a segment of format 1 (what builds of schema version 3
// and 4 wrote: frames, no commit frames) with journal id id and frames.
func v1Segment(id []byte, frames ...[]byte) []byte {
	b := append([]byte(segMagic), 0, 0, 0, segVersionNoCommit)
	b = append(b, id...)
	for _, f := range frames {
		b = append(b, f...)
	}
	return b
}

// storeJournalID returns the journal id recorded in the store file at path.
func storeJournalID(t *testing.T, path string) []byte {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var id []byte
	if err := db.View(func(tx *bolt.Tx) error { id = bytes.Clone(tx.Bucket(bucketMeta).Get(metaJournal)); return nil }); err != nil {
		t.Fatal(err)
	}
	return id
}

// schemaOf returns the schema version recorded in the store file at path.
func schemaOf(t *testing.T, path string) string {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v string
	if err := db.View(func(tx *bolt.Tx) error { v = string(tx.Bucket(bucketMeta).Get(metaVersion)); return nil }); err != nil {
		t.Fatal(err)
	}
	return v
}

// A store of schema version 3 (or 4), whose journal has no commit frames,
// opens as before: its frames are replayed by the old rule (a torn frame at
// the end is cut, a bad frame followed by good ones is damage). Its first
// read-write Open by this build raises the schema to 5 — an older build
// then refuses the file — and appends in a new segment with commit frames
// after the old one, which stays as it was.
func TestSchema3JournalOpens(t *testing.T) {
	const old = "3"
	fixture := func(t *testing.T, tail ...[]byte) (path string, seg []byte) {
		t.Helper()
		path = filepath.Join(t.TempDir(), "v3.db")
		s := mustOpen(t, path, Options{})
		s.Close()
		setVersion(t, path, old)
		frames := [][]byte{
			appendReserveFrame(nil, 1, "o0", jt0.UnixNano(), lim1("k0")),
			appendReserveFrame(nil, 2, "o1", jt0.UnixNano(), lim1("k1")),
			appendReserveFrame(nil, 3, "o2", jt0.UnixNano(), lim1("k1")),
			appendIDFrame(nil, frameRelease, 2, "o1"),
			appendReserveFrame(nil, 5, "o3", jt0.UnixNano(), lim1("k2")),
		}
		seg = v1Segment(storeJournalID(t, path), append(frames, tail...)...)
		if err := os.WriteFile(segName(path, 1), seg, 0o600); err != nil {
			t.Fatal(err)
		}
		return path, seg
	}
	want := []int{1, 1, 1, 3} // k0, k1, k2, all

	t.Run("torn tail", func(t *testing.T) {
		torn := appendReserveFrame(nil, 6, "o4", jt0.UnixNano(), lim1("k0"))
		path, seg := fixture(t, torn[:len(torn)-3])
		s := mustOpen(t, path, Options{})
		if got := usages(t, s, 3, jt0); !equalInts(got, want) {
			t.Errorf("usages = %v, want %v", got, want)
		}
		mustReserve(t, s, "n0", jt0, lim1("k2"))
		s.Close()
		b, err := os.ReadFile(segName(path, 1))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, seg[:len(seg)-len(torn)+3]) {
			t.Errorf("segment 1 after Open: %d bytes, want the old segment without its torn frame (%d bytes)", len(b), len(seg)-len(torn)+3)
		}
		if nums := segFiles(t, path); len(nums) != 2 {
			t.Fatalf("segments %v, want the old one and a new one with commit frames", nums)
		}
		if b, err := os.ReadFile(segName(path, 2)); err != nil || !bytes.Equal(b[:segHeaderLen], segHeader(storeJournalID(t, path))) || len(b) <= segHeaderLen {
			t.Errorf("segment 2: %v; want format %d holding the new reservation", err, segVersion)
		}
		if v := schemaOf(t, path); v != strconv.Itoa(schemaCommitFrames) {
			t.Errorf("schema version %s after Open, want %d", v, schemaCommitFrames)
		}
		s = mustOpen(t, path, Options{})
		if got := usages(t, s, 3, jt0); !equalInts(got, []int{1, 1, 2, 4}) {
			t.Errorf("usages after reopen = %v, want [1 1 2 4]", got)
		}
		s.Close()
		if nums := segFiles(t, path); len(nums) != 2 {
			t.Errorf("segments %v after a second Open, want [1 2]", nums)
		}
		// A build that reads up to version 4 refuses the file.
		db, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		err = db.View(func(tx *bolt.Tx) error { return checkSchemaUpTo(tx, 4) })
		if !errors.Is(err, storage.ErrSchemaTooNew) || !strings.Contains(err.Error(), "version 5") {
			t.Fatalf("a version 4 build opening the file: %v, want ErrSchemaTooNew naming version 5", err)
		}
	})

	t.Run("bad frame then good", func(t *testing.T) {
		// The old rule for a segment without commit frames: damage.
		bad := appendReserveFrame(nil, 6, "o4", jt0.UnixNano(), lim1("k0"))
		bad[len(bad)-1] ^= 1
		path, _ := fixture(t, bad, appendReserveFrame(nil, 7, "o5", jt0.UnixNano(), lim1("k0")))
		before := dirFiles(t, filepath.Dir(path))
		s := mustOpen(t, path, Options{})
		_, err := s.Usage(context.Background(), jt0, lim1("k0"))
		s.Close()
		if !errors.Is(err, storage.ErrCorrupt) || !strings.Contains(err.Error(), filepath.Base(segName(path, 1))) {
			t.Fatalf("Usage = %v, want ErrCorrupt naming segment 1", err)
		}
		after := dirFiles(t, filepath.Dir(path))
		for name, b := range after {
			if strings.Contains(name, ".counters") && before[name] != b {
				t.Errorf("%s changed or was created", name)
			}
		}
		if v := schemaOf(t, path); v != old {
			t.Errorf("schema version %s after refusing the journal, want %s (nothing written)", v, old)
		}
	})
}

// FuzzTornBatchTail: after committed batches, any bytes that hold no
// commit frame with a good checksum — whatever else they hold: zeros, good
// frames, bad ones — are a torn batch: replay keeps exactly the committed
// reservations and cuts at the end of the last commit frame. Bytes that do
// hold one replay to a state or to ErrCorrupt, never to a panic.
func FuzzTornBatchTail(f *testing.F) {
	id := bytes.Repeat([]byte{3}, journalIDLen)
	prefix := segHeader(id)
	prefix = commitBatch(appendReserveFrame(prefix, 1, "a", jt0.UnixNano(), lim1("a0")), segHeaderLen)
	n := len(prefix)
	prefix = appendReserveFrame(prefix, 2, "b", jt0.UnixNano(), lim1("a1"))
	prefix = appendReserveFrame(prefix, 3, "c", jt0.UnixNano(), lim1("a2"))
	prefix = commitBatch(appendIDFrame(prefix, frameRelease, 3, "c"), n)
	frames := appendReserveFrame(nil, 4, "d", jt0.UnixNano(), lim1("b0"))
	frames = appendReserveFrame(frames, 5, "e", jt0.UnixNano(), lim1("b1"))
	f.Add(frames)
	f.Add(commitBatch(bytes.Clone(frames), 0)[:len(frames)+commitFrameLen-1])
	f.Add(append(make([]byte, 30), frames[30:]...))
	f.Add(append(make([]byte, 30), commitBatch(bytes.Clone(frames), 0)[30:]...))
	f.Add(make([]byte, 4096))
	f.Fuzz(func(t *testing.T, tail []byte) {
		if len(tail) == 0 {
			return
		}
		path := filepath.Join(t.TempDir(), "f.db")
		if err := os.WriteFile(segName(path, 1), append(bytes.Clone(prefix), tail...), 0o600); err != nil {
			t.Fatal(err)
		}
		idx := countstate.NewTracked()
		rep, err := replayJournal(path, id, idx)
		if hasCommitFrame(tail) {
			if err != nil && !errors.Is(err, storage.ErrCorrupt) {
				t.Fatalf("replay error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if err != nil || rep.tornAt != int64(len(prefix)) {
			t.Fatalf("a tail without a commit frame: torn at %d (want %d), %v", rep.tornAt, len(prefix), err)
		}
		l := append(lim1("a0")[:1], lim1("a1")[0], lim1("a2")[0], lim1("b0")[0], lim1("b1")[0])
		got := []int{}
		for _, u := range idx.Usage(jt0, l) {
			got = append(got, u.Count)
		}
		if !equalInts(got, []int{1, 1, 0, 0, 0}) {
			t.Fatalf("a tail without a commit frame: counts %v, want [1 1 0 0 0] (the committed batches only)", got)
		}
	})
}

// hasCommitFrame reports whether b holds, at any offset, a frame of a
// commit frame's length and type with a good checksum.
func hasCommitFrame(b []byte) bool {
	for p := 0; p+commitFrameLen <= len(b); p++ {
		if binary.BigEndian.Uint32(b[p:]) == commitPayloadLen && b[p+frameHeaderLen] == frameCommit &&
			crc32.Checksum(b[p+frameHeaderLen:p+commitFrameLen], castagnoli) == binary.BigEndian.Uint32(b[p+4:]) {
			return true
		}
	}
	return false
}
