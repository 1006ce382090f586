package boltstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/storage"
)

// tornOffsetsFrames is how many of the last frames of the journal the
// offset tests cut into and damage.
const tornOffsetsFrames = 4

// journalFixture writes n reservations, each on its own key k<i> and each
// acknowledged (Reserve returned) before the next, closes the store and
// returns the store file's and the last segment's bytes and the offset at
// which each frame ends.
func journalFixture(t *testing.T, n int) (db, seg []byte, ends []int64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f.db")
	s := mustOpen(t, path, Options{})
	for i := range n {
		mustReserve(t, s, "id"+strconv.Itoa(i), jt0, lim1("k"+strconv.Itoa(i)))
		fi, err := os.Stat(lastSeg(t, path))
		if err != nil {
			t.Fatal(err)
		}
		ends = append(ends, fi.Size())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := segFiles(t, path); len(got) != 1 {
		t.Fatalf("%d segments, want one", len(got))
	}
	var err error
	if db, err = os.ReadFile(path); err != nil {
		t.Fatal(err)
	}
	if seg, err = os.ReadFile(lastSeg(t, path)); err != nil {
		t.Fatal(err)
	}
	return db, seg, ends
}

// openWith writes db and seg as a store file and its only journal segment
// in a new directory and opens the store.
func openWith(t *testing.T, db, seg []byte) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f.db")
	if err := os.WriteFile(path, db, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(segName(path, 1), seg, 0o600); err != nil {
		t.Fatal(err)
	}
	return mustOpen(t, path, Options{}), path
}

// held returns which of the n keys k<i> hold a reservation, or the counters'
// error.
func held(s *Store, n int) ([]bool, error) {
	var l []storage.Limit
	for i := range n {
		l = append(l, lim1("k" + strconv.Itoa(i))[0])
	}
	us, err := s.Usage(context.Background(), jt0, l)
	if err != nil {
		return nil, err
	}
	out := make([]bool, n)
	for i, u := range us {
		out[i] = u.Count == 1
	}
	return out, nil
}

// A crash can leave the last segment cut at any byte of the frames written
// since the last fdatasync. Cut at each offset of the last frames, the
// store opens with exactly the reservations whose frames are complete — no
// complete frame dropped, no cut one counted — and the journal takes new
// reservations after them, which a second Open replays too.
func TestJournalCutAtEveryOffset(t *testing.T) {
	const n = 8
	db, seg, ends := journalFixture(t, n)
	from := ends[n-1-tornOffsetsFrames]
	for cut := from; cut <= int64(len(seg)); cut++ {
		s, path := openWith(t, db, seg[:cut])
		got, err := held(s, n)
		if err != nil {
			s.Close()
			t.Fatalf("cut at %d of %d: counters fail: %v; want the complete frames", cut, len(seg), err)
		}
		for i := range n {
			if want := ends[i] <= cut; got[i] != want {
				s.Close()
				t.Fatalf("cut at %d of %d: reservation %d (frame ending at %d) held %v, want %v", cut, len(seg), i, ends[i], got[i], want)
			}
		}
		mustReserve(t, s, "after", jt0, lim1("k0"))
		s.Close()
		s = mustOpen(t, path, Options{})
		u := usages(t, s, 1, jt0)
		s.Close()
		if want := 2; u[0] != want {
			t.Fatalf("cut at %d: after a new reservation and a reopen, k0 holds %d, want %d", cut, u[0], want)
		}
	}
}

// A byte damaged in a frame that a later complete frame follows is never a
// torn write: at every offset of the last frames but the newest, Open
// stops the counters with ErrCorrupt naming the segment (the checks then
// deny), and never replays the damaged frame nor drops it. A byte of the
// newest frame flipped before its intact commit frame is non-zero garbage,
// which no torn write leaves: refused too. Only a byte of the newest
// commit frame flipped reads as a write torn before its fdatasync: the
// newest batch is cut, every earlier reservation kept.
func TestJournalFlipAtEveryOffset(t *testing.T) {
	const n = 8
	db, seg, ends := journalFixture(t, n)
	for off := ends[n-1-tornOffsetsFrames]; off < int64(len(seg)); off++ {
		b := append([]byte(nil), seg...)
		b[off] ^= 0x10
		s, path := openWith(t, db, b)
		got, err := held(s, n)
		s.Close()
		last := off >= int64(len(seg))-commitFrameLen // in the newest commit frame
		switch {
		case err != nil:
			if !errors.Is(err, storage.ErrCorrupt) {
				t.Fatalf("flip at %d: %v, want ErrCorrupt", off, err)
			}
			if name := filepath.Base(segName(path, 1)); !strings.Contains(err.Error(), name) {
				t.Fatalf("flip at %d: error %q does not name %s", off, err, name)
			}
			if last {
				t.Fatalf("flip at %d in the newest commit frame: %v, want the newest batch cut as torn", off, err)
			}
		case !last:
			t.Fatalf("flip at %d (before the newest commit frame): opened with %v, want ErrCorrupt", off, got)
		default:
			for i := range n {
				if want := i < n-1; got[i] != want {
					t.Fatalf("flip at %d in the newest commit frame: reservation %d held %v, want %v", off, i, got[i], want)
				}
			}
		}
	}
}
