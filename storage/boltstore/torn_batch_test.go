package boltstore

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

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
	j.mu.Lock()
	if len(j.queue) != 1 || j.queue[0].n != tornB {
		j.mu.Unlock()
		close(release)
		t.Fatalf("queued %d batches, want one of %d reservations", len(j.queue), tornB)
	}
	j.mu.Unlock()
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
	if fi, err := os.Stat(segName(path, 1)); err != nil || fi.Size() != start {
		s.Close()
		t.Fatalf("segment 1 after Open: %v, %v; want it cut to %d bytes", fi.Size(), err, start)
	}
	mustReserve(t, s, "after", jt0, lim1("b0"))
	s.Close()
	s = mustOpen(t, path, Options{})
	defer s.Close()
	us, err = s.Usage(context.Background(), jt0, tornLimits())
	if err != nil {
		t.Fatal(err)
	}
	if a, b := heldAB(us); a != tornA || b != 1 {
		t.Fatalf("after a new reservation and a reopen: held %d a and %d b, want %d and 1", a, b, tornA)
	}
}

// The same at every offset of the last batch: one byte flipped, or the
// segment cut there; a sector (512 bytes) zeroed from every eighth offset,
// with every later byte intact; and each of its pages zeroed. Replay keeps
// exactly the acknowledged reservations — never a frame of the torn batch,
// though most of them are intact — and cuts at the batch's start; damage
// that changes no byte keeps the batch.
func TestTornBatchAtEveryOffset(t *testing.T) {
	_, seg, start, _ := tornBatchFixture(t, false)
	id, dir := seg[segHeaderLen-journalIDLen:segHeaderLen], t.TempDir()
	damages := map[string]func(off int64) []byte{
		"byte flipped": func(off int64) []byte { b := bytes.Clone(seg); b[off] ^= 0x10; return b },
		"sector zeroed": func(off int64) []byte {
			if (off-start)%8 != 0 {
				return nil
			}
			return zeroed(seg, off, off+512)
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
			b := damage(off)
			if b == nil {
				continue
			}
			rep, us, _, err := replaySeg(t, dir, b, id)
			a, bs := heldAB(us)
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
