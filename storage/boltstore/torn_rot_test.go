package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/internal/countstate"
)

// A torn write of the last batch leaves its bytes absent (the file ends
// early) or zero (sectors never written), its commit frame present or not.
// Bit rot leaves non-zero garbage: when the last batch's commit frame is
// intact and is the file's last bytes, the writer wrote the whole batch
// before it, so garbage in the batch that no zeroed sector explains is
// damage to a batch that may have been acknowledged — refused, not cut.

// batchFrames returns where each frame of the batch [start, end) of seg
// starts, its commit frame included.
func batchFrames(seg []byte, start, end int64) []int64 {
	var out []int64
	for p := start; p < end; p += frameHeaderLen + int64(binary.BigEndian.Uint32(seg[p:])) {
		out = append(out, p)
	}
	return out
}

// frameAt returns the start of the frame of frames holding off.
func frameAt(frames []int64, off int64) int64 {
	at := frames[0]
	for _, f := range frames {
		if f <= off {
			at = f
		}
	}
	return at
}

// sectorZeroed returns seg with the part of [start, end) in the 512-byte
// sector holding off zeroed: what a sector of the batch never written
// reads as.
func sectorZeroed(seg []byte, start, end, off int64) []byte {
	s := off / 512 * 512
	return zeroed(seg, max(s, start), min(s+512, end))
}

// wantRefused fails unless err wraps ErrCorrupt and names file and, with
// off ≥ 0, "offset off".
func wantRefused(t *testing.T, what string, err error, file string, off int64) {
	t.Helper()
	if !errors.Is(err, storage.ErrCorrupt) {
		t.Fatalf("%s: %v; want ErrCorrupt (damage, not a torn write)", what, err)
	}
	if !strings.Contains(err.Error(), filepath.Base(file)) {
		t.Fatalf("%s: error %q does not name the segment", what, err)
	}
	if off >= 0 && !strings.Contains(err.Error(), fmt.Sprintf("offset %d", off)) {
		t.Fatalf("%s: error %q does not name offset %d", what, err, off)
	}
}

// A bit flipped (non-zero garbage) anywhere in the frames of the last batch,
// whose commit frame is intact, is refused with ErrCorrupt naming the
// segment and the damaged frame's offset; through Open the counters stop
// (the checks deny) and the segment is left as it was. A bit flipped in the
// commit frame itself is a torn write, as before: cut.
func TestRotInLastBatchRefused(t *testing.T) {
	db, seg, start, end := tornBatchFixture(t, false)
	id, dir := seg[segHeaderLen-journalIDLen:segHeaderLen], t.TempDir()
	frames := batchFrames(seg, start, end)
	commit := end - commitFrameLen
	if frames[len(frames)-1] != commit {
		t.Fatalf("the batch's last frame is at %d, its commit frame at %d", frames[len(frames)-1], commit)
	}
	bounds := append([]int64(nil), frames...)
	for off := start; off < end; off++ {
		if !batchOffset(off, bounds) {
			continue
		}
		b := bytes.Clone(seg)
		b[off] ^= 0x10
		rep, us, file, err := replaySeg(t, dir, b, id)
		a, bs := heldAB(us)
		what := fmt.Sprintf("bit flipped at %d of the last batch (%d…%d, commit frame at %d)", off, start, end, commit)
		if off >= commit {
			if err != nil || rep.tornAt != start || a != tornA || bs != 0 {
				t.Fatalf("%s, in its commit frame: %v, torn at %d, held %d+%d; want cut at %d as torn", what, err, rep.tornAt, a, bs, start)
			}
			continue
		}
		wantRefused(t, what, err, file, frameAt(frames, off))
	}

	b := bytes.Clone(seg)
	b[start+frameHeaderLen+3] ^= 0x01
	s, path := openWith(t, db, b)
	_, err := s.Usage(context.Background(), jt0, tornLimits())
	s.Close()
	wantRefused(t, "Open with a bit flipped in the last batch", err, segName(path, 1), start)
	if got, rerr := os.ReadFile(segName(path, 1)); rerr != nil || !bytes.Equal(got, b) {
		t.Fatalf("segment 1 after a refused Open: %d bytes (%v), want it untouched (%d bytes)", len(got), rerr, len(b))
	}
}

// Sectors of the last batch never written read as zeros. Each 512-byte
// sector of it zeroed (the batch's part of it), each 4 KiB page, and every
// other page, its commit frame intact (unless the zeroed sector holds it):
// a torn write, cut at the batch's start; Open keeps the acknowledged
// reservations, cuts the file, and a reopen after a new reservation agrees.
func TestZeroedSectorsInLastBatchCut(t *testing.T) {
	db, seg, start, end := tornBatchFixture(t, false)
	id, dir := seg[segHeaderLen-journalIDLen:segHeaderLen], t.TempDir()
	check := func(what string, b []byte) {
		t.Helper()
		rep, us, _, err := replaySeg(t, dir, b, id)
		if a, bs := heldAB(us); err != nil || rep.tornAt != start || a != tornA || bs != 0 {
			t.Fatalf("%s: %v, torn at %d, held %d+%d; want cut at %d as torn, %d and 0 held", what, err, rep.tornAt, a, bs, start, tornA)
		}
	}
	for s := start / 512 * 512; s < end; s += 512 {
		check(fmt.Sprintf("sector at %d of the last batch (%d…%d) zeroed", s, start, end), sectorZeroed(seg, start, end, s))
	}
	for p := start / 4096 * 4096; p < end; p += 4096 {
		check(fmt.Sprintf("page at %d of the last batch (%d…%d) zeroed", p, start, end), zeroed(seg, max(p, start), min(p+4096, end-commitFrameLen)))
	}
	b := bytes.Clone(seg)
	for p := (start/4096 + 1) * 4096; p+4096 <= end-commitFrameLen; p += 2 * 4096 {
		clear(b[p : p+4096])
	}
	check("every other page of the last batch zeroed", b)

	mid := (start + end) / 2 / 512 * 512
	s, path := openWith(t, db, sectorZeroed(seg, start, end, mid))
	us, err := s.Usage(context.Background(), jt0, tornLimits())
	if a, bs := heldAB(us); err != nil || a != tornA || bs != 0 {
		s.Close()
		t.Fatalf("Open with sector %d of the last batch zeroed: %v, held %d+%d; want %d and 0", mid, err, a, bs, tornA)
	}
	checkCutThenGoesOn(t, s, path, start)
}

// Zeros that fill no whole sector of the batch are not what a torn write
// leaves (a device writes a 512-byte sector whole or not at all): a run of
// zeros inside a sector, or 512 of them across a sector boundary, in the
// last batch before its intact commit frame, is refused.
func TestUnalignedZerosInLastBatchRefused(t *testing.T) {
	_, seg, start, end := tornBatchFixture(t, false)
	id, dir := seg[segHeaderLen-journalIDLen:segHeaderLen], t.TempDir()
	commit := end - commitFrameLen
	tried := 0
	for off := start + 1; off < commit; off += 61 {
		if off%512 == 0 {
			continue
		}
		for name, b := range map[string][]byte{
			"zeros inside a sector":        zeroed(seg, off, min(off+100, (off/512+1)*512, commit)),
			"512 zeros across two sectors": zeroed(seg, off, min(off+512, commit)),
		} {
			if bytes.Equal(b, seg) || zeroSectorIn(b, start, commit) {
				continue // changes nothing, or happens to fill a sector
			}
			tried++
			_, _, file, err := replaySeg(t, dir, b, id)
			wantRefused(t, fmt.Sprintf("%s from %d of the last batch (%d…%d)", name, off, start, end), err, file, -1)
		}
	}
	if tried < 100 {
		t.Fatalf("%d cases tried, want at least 100", tried)
	}
}

// zeroSectorIn reports whether the part of [start, commit) in some 512-byte
// sector that holds no byte at or after commit is all zeros.
func zeroSectorIn(b []byte, start, commit int64) bool {
	for s := start / 512 * 512; s+512 <= commit; s += 512 {
		if !bytes.ContainsFunc(b[max(s, start):s+512], func(r rune) bool { return r != 0 }) {
			return true
		}
	}
	return false
}

// Garbage in a frame before a zeroed page of the last batch is located by
// the frames before it and refused: a zeroed page does not excuse damage
// where the frames can be read.
func TestRotBeforeZeroedPageRefused(t *testing.T) {
	_, seg, start, end := tornBatchFixture(t, false)
	id, dir := seg[segHeaderLen-journalIDLen:segHeaderLen], t.TempDir()
	frames := batchFrames(seg, start, end)
	page := (start/4096 + 1) * 4096
	if page+4096 > end-commitFrameLen {
		t.Fatalf("the batch (%d…%d) has no whole page after its first", start, end)
	}
	for _, f := range frames[:4] {
		if f+frameHeaderLen+int64(binary.BigEndian.Uint32(seg[f:])) > page {
			t.Fatalf("frame at %d reaches the zeroed page at %d", f, page)
		}
		b := zeroed(seg, page, page+4096)
		b[f+frameHeaderLen+1] ^= 0x40
		_, _, file, err := replaySeg(t, dir, b, id)
		wantRefused(t, fmt.Sprintf("a bit flipped in the frame at %d and the page at %d zeroed", f, page), err, file, f)
	}
}

// A batch whose intact commit frame a later write follows was acknowledged
// (the writer writes a batch only after the previous one's fdatasync
// returned), so damage in it — zeroed pages too — is refused, even when
// that later batch is torn itself (cut short, or zeroed before its intact
// commit frame).
func TestDamageBeforeTornBatchRefused(t *testing.T) {
	_, seg, start, end := tornBatchFixture(t, true)
	id, dir := seg[segHeaderLen-journalIDLen:segHeaderLen], t.TempDir()
	page := (start/4096 + 1) * 4096
	flipped := bytes.Clone(seg)
	flipped[start+frameHeaderLen+2] ^= 0x08
	for name, b := range map[string][]byte{
		"bit flipped, later batch cut short":                flipped[:end+10],
		"bit flipped, later batch zeroed before its commit": zeroed(flipped, end, int64(len(seg))-commitFrameLen),
		"page zeroed, later batch cut short":                zeroed(seg, page, page+4096)[:end+10],
		"page zeroed, later batch zeroed before its commit": zeroed(zeroed(seg, page, page+4096), end, int64(len(seg))-commitFrameLen),
	} {
		_, _, file, err := replaySeg(t, dir, b, id)
		wantRefused(t, fmt.Sprintf("%s (batch %d…%d)", name, start, end), err, file, -1)
	}
}

// FuzzLastBatchSectors: a last batch of frames of fuzzed sizes, its commit
// frame intact, with any set of its 512-byte sectors zeroed (as a torn
// write leaves them) is always cut as torn, never refused: replay keeps
// exactly the committed reservations. A byte changed in a frame that ends
// before the first zeroed sector (or anywhere, with none zeroed) is damage:
// refused with ErrCorrupt naming that frame's offset — unless the change
// is to its length and makes it reach a zeroed sector (see tailDamage).
func FuzzLastBatchSectors(f *testing.F) {
	id := bytes.Repeat([]byte{5}, journalIDLen)
	prefix := segHeader(id)
	prefix = commitBatch(appendReserveFrame(prefix, 1, "a", jt0.UnixNano(), lim1("a0")), segHeaderLen)
	n := len(prefix)
	prefix = appendReserveFrame(prefix, 2, "b", jt0.UnixNano(), lim1("a1"))
	prefix = commitBatch(appendReserveFrame(prefix, 3, "c", jt0.UnixNano(), lim1("a2")), n)
	f.Add(uint8(20), uint16(90), uint64(1), uint32(0), byte(0))
	f.Add(uint8(40), uint16(250), uint64(0b1010), uint32(0), byte(0))
	f.Add(uint8(40), uint16(250), uint64(0b1000), uint32(17), byte(0x20))
	f.Add(uint8(5), uint16(10), uint64(0), uint32(3), byte(1))
	f.Fuzz(func(t *testing.T, frames uint8, idLen uint16, mask uint64, flipAt uint32, flipVal byte) {
		k := int(frames%64) + 1
		var lims []storage.Limit
		start := len(prefix)
		seg := bytes.Clone(prefix)
		var starts []int
		for i := range k {
			starts = append(starts, len(seg))
			key := fmt.Sprintf("b%d", i)
			lims = append(lims, lim1(key)[0])
			seg = appendReserveFrame(seg, uint64(4+i), strings.Repeat("x", int(idLen%600))+key, jt0.UnixNano(), lim1(key))
		}
		seg = commitBatch(seg, start)
		commit := len(seg) - commitFrameLen
		firstZero := -1
		for i := 0; i < 64; i++ {
			s := (start/512 + i) * 512
			if s+512 > commit {
				break
			}
			if mask&(1<<i) != 0 {
				clear(seg[max(s, start) : s+512])
				if firstZero < 0 {
					firstZero = max(s, start)
				}
			}
		}
		flipped := -1
		if flipVal != 0 {
			o := start + int(flipAt%uint32(commit-start))
			seg[o] ^= flipVal
			flipped = o
		}
		path := filepath.Join(t.TempDir(), "f.db")
		if err := os.WriteFile(segName(path, 1), seg, 0o600); err != nil {
			t.Fatal(err)
		}
		idx := countstate.NewTracked()
		rep, err := replayJournal(path, id, idx)
		if flipped >= 0 {
			fs := starts[0]
			for _, p := range starts {
				if p <= flipped {
					fs = p
				}
			}
			fe := commit
			for _, p := range starts {
				if p > fs {
					fe = p
					break
				}
			}
			// The frame's extent by the length it now claims too (a
			// length flipped to reach a zeroed sector reads as torn).
			claimed := fs + frameHeaderLen + int(binary.BigEndian.Uint32(seg[fs:]))
			inZeroed := mask&(1<<(flipped/512-start/512)) != 0 && flipped/512 < commit/512
			zs := firstZero / 512 * 512 // the first zeroed sector
			if !inZeroed && (firstZero < 0 || fs+frameHeaderLen <= zs && (max(fe, claimed) <= zs || claimed > commit)) {
				if !errors.Is(err, storage.ErrCorrupt) || !strings.Contains(err.Error(), fmt.Sprintf("offset %d ", fs)) {
					t.Fatalf("byte %d (frame at %d…%d) changed, first zeroed sector at %d: torn at %d, %v; want ErrCorrupt naming offset %d", flipped, fs, fe, firstZero, rep.tornAt, err, fs)
				}
				return
			}
			if err != nil && !errors.Is(err, storage.ErrCorrupt) {
				t.Fatalf("replay error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if firstZero < 0 {
			if err != nil || rep.tornAt >= 0 {
				t.Fatalf("an intact batch: torn at %d, %v", rep.tornAt, err)
			}
			return
		}
		if err != nil || rep.tornAt != int64(start) {
			t.Fatalf("sectors zeroed (mask %b) in the last batch (%d…%d): torn at %d, %v; want cut at %d as torn", mask, start, commit, rep.tornAt, err, start)
		}
		for i, u := range idx.Usage(jt0, append([]storage.Limit{lim1("a0")[0], lim1("a1")[0], lim1("a2")[0]}, lims...)) {
			if want := i < 3; (u.Count == 1) != want {
				t.Fatalf("sectors zeroed (mask %b): limit %d counts %d, want only the committed a0…a2", mask, i, u.Count)
			}
		}
	})
}
