package boltstore

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"

	"github.com/dialgate/dialgate/internal/durable"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/internal/countstate"
)

// replayed is what replaying the journal found.
type replayed struct {
	segs   []segment // every segment, oldest first (sizes after truncating a torn tail)
	seq    uint64    // the highest sequence seen
	tornAt int64     // where the last segment's torn tail starts, or -1
	// lastVersion is the last segment's format: the writer appends to a
	// segment of format segVersion only.
	lastVersion uint32
	reserves    int64 // reserve frames read, and their bytes: the average
	resBytes    int64 // size of a reserve frame, for compaction's estimate
}

// errBadHeader is a segment header that is missing, short or not ours.
var errBadHeader = errors.New("bad segment header")

// scanSegment reads a segment's header and then its frames from r, calling
// fn with each frame whose length and checksum are good (frame is the
// header and payload, valid until fn returns; off its offset in the
// segment), and returns the segment's format version.
//
// In a segment of format segVersionNoCommit, fn gets every frame up to the
// first bad one — incomplete, of length zero or over maxFramePayload, or
// with a bad checksum — whose offset is bad, or -1 if the segment ends at a
// frame boundary.
//
// In a segment of format segVersion, frames come in batches each closed by
// a commit frame, and fn gets a batch's frames only once its commit frame
// is read and valid: its frame count, length and CRC-32C match the frames
// since the previous commit frame (or the header). bad is then the end of
// the last valid commit frame (the header's end if none) when anything
// follows it — a bad frame, a commit frame that does not match its batch,
// or frames with no commit frame yet — or -1 if the segment ends there. fn
// never sees a frame after bad, nor a commit frame.
//
// Frames after the last valid commit frame are not replayed, though some
// may be intact: counting them would deny more (an uncommitted reserve
// frame is a Reserve that never returned, so no dial was allowed on it:
// counting it only errs on the safe side), but not counting them is exact
// and stable. Exact: the batch was never acknowledged, so the state without
// it is what every caller was told — that of a crash just before the
// write. Stable: which frames of a torn batch survive depends on the order
// the kernel wrote its pages back, and the caller cuts them off the file
// (the next write must start at a batch boundary), so counting them would
// make this Open count reservations that the next Open does not — the
// index would no longer follow from the file. And a torn batch may hold
// release frames too, which would un-count acknowledged reservations.
//
// size is the segment's size if known (it bounds the read buffer), or 0.
// A bad header is an error wrapping storage.ErrCorrupt; an error from fn
// stops the scan and is returned.
func scanSegment(r io.Reader, size int64, id []byte, fn func(frame []byte, off int64) error) (bad int64, version uint32, err error) {
	bufSize := 256 << 10
	if size > 0 && size < int64(bufSize) {
		bufSize = max(int(size), 16) // bufio's minimum
	}
	br := bufio.NewReaderSize(r, bufSize)
	hdr := make([]byte, segHeaderLen)
	if n, err := io.ReadFull(br, hdr); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return -1, 0, fmt.Errorf("%w: %w: %d bytes", storage.ErrCorrupt, errBadHeader, n)
		}
		return -1, 0, err
	}
	if !bytes.Equal(hdr[:len(segMagic)], []byte(segMagic)) {
		return -1, 0, fmt.Errorf("%w: %w: not a dialgate counters journal", storage.ErrCorrupt, errBadHeader)
	}
	version = binary.BigEndian.Uint32(hdr[len(segMagic):])
	if version != segVersion && version != segVersionNoCommit {
		return -1, version, fmt.Errorf("%w: %w: format version %d, this build reads %d and %d", storage.ErrCorrupt, errBadHeader, version, segVersionNoCommit, segVersion)
	}
	if !bytes.Equal(hdr[len(segMagic)+4:], id) {
		return -1, version, fmt.Errorf("%w: %w: the segment belongs to another store file (journal id %x, the store's is %x)", storage.ErrCorrupt, errBadHeader, hdr[len(segMagic)+4:], id)
	}
	off := int64(segHeaderLen)
	buf := make([]byte, 0, 4096)
	// next reads the frame at off into buf: ok false at a bad frame or
	// the end (end true if the segment ends exactly at off).
	next := func() (ok, end bool, err error) {
		buf = buf[:frameHeaderLen]
		if _, err := io.ReadFull(br, buf); err != nil {
			switch {
			case errors.Is(err, io.EOF):
				return false, true, nil
			case errors.Is(err, io.ErrUnexpectedEOF):
				return false, false, nil
			}
			return false, false, err
		}
		l := binary.BigEndian.Uint32(buf)
		if l == 0 || l > maxFramePayload {
			return false, false, nil
		}
		if cap(buf) < frameHeaderLen+int(l) {
			buf = append(make([]byte, 0, frameHeaderLen+int(l)), buf...)
		}
		buf = buf[:frameHeaderLen+int(l)]
		if _, err := io.ReadFull(br, buf[frameHeaderLen:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return false, false, nil
			}
			return false, false, err
		}
		if crc32.Checksum(buf[frameHeaderLen:], castagnoli) != binary.BigEndian.Uint32(buf[4:]) {
			return false, false, nil
		}
		return true, false, nil
	}
	if version == segVersionNoCommit {
		for {
			ok, end, err := next()
			switch {
			case err != nil:
				return -1, version, err
			case end:
				return -1, version, nil
			case !ok:
				return off, version, nil
			}
			if err := fn(buf, off); err != nil {
				return -1, version, err
			}
			off += int64(len(buf))
		}
	}
	var (
		batch  []byte // the open batch's frames, back to back
		start  = off  // where the open batch starts
		frames uint32
		crc    uint32
	)
	for {
		ok, end, err := next()
		switch {
		case err != nil:
			return -1, version, err
		case end && len(batch) == 0:
			return -1, version, nil
		case !ok:
			return start, version, nil
		}
		if buf[frameHeaderLen] != frameCommit {
			batch = append(batch, buf...)
			frames++
			crc = crc32.Update(crc, castagnoli, buf)
			off += int64(len(buf))
			continue
		}
		n, l, c, ok := decodeCommit(buf[frameHeaderLen:])
		if !ok || n == 0 || n != frames || l != uint64(len(batch)) || c != crc {
			return start, version, nil
		}
		for p := 0; p < len(batch); {
			f := batch[p : p+frameHeaderLen+int(binary.BigEndian.Uint32(batch[p:]))]
			if err := fn(f, start+int64(p)); err != nil {
				return -1, version, err
			}
			p += len(f)
		}
		off += int64(len(buf))
		batch, start, frames, crc = batch[:0], off, 0, 0
	}
}

// commitAfter returns the offset in tail of the first valid commit frame —
// a commit frame with a good checksum whose batch, the bytes before it in
// tail, holds its frame count of whole frames with its length and CRC-32C
// — or -1 if there is none. tail starts where the last segment's scan
// stopped (the end of its last valid commit frame): a valid commit frame
// after that means the frames before it were fdatasynced, so a bad frame
// there is damage, not a torn write.
func commitAfter(tail []byte) int {
	for p := 0; p+commitFrameLen <= len(tail); p++ {
		if binary.BigEndian.Uint32(tail[p:]) != commitPayloadLen {
			continue
		}
		payload := tail[p+frameHeaderLen : p+commitFrameLen]
		frames, n, crc, ok := decodeCommit(payload)
		if !ok || frames == 0 || n == 0 || n > uint64(p) || crc32.Checksum(payload, castagnoli) != binary.BigEndian.Uint32(tail[p+4:]) {
			continue
		}
		batch := tail[p-int(n) : p]
		if crc32.Checksum(batch, castagnoli) != crc {
			continue
		}
		var count uint32
		q := 0
		for q+frameHeaderLen <= len(batch) && count < frames {
			q += frameHeaderLen + int(binary.BigEndian.Uint32(batch[q:]))
			count++
		}
		if q == len(batch) && count == frames {
			return p
		}
	}
	return -1
}

// sectorSize is the unit a torn write zeroes: see tailDamage.
const sectorSize = 512

// selfValidCommit reports whether b starts with a commit frame whose own
// checksum is good (whatever its batch holds).
func selfValidCommit(b []byte) bool {
	return len(b) >= commitFrameLen && binary.BigEndian.Uint32(b) == commitPayloadLen && b[frameHeaderLen] == frameCommit &&
		crc32.Checksum(b[frameHeaderLen:commitFrameLen], castagnoli) == binary.BigEndian.Uint32(b[4:])
}

// tailDamage tells a torn write from damage in tail, the bytes after the
// last valid commit frame of the last segment (at offset base), which
// commitAfter found no valid batch in. It returns "" if tail can be what a
// power cut left of the last write — never acknowledged, to be cut — or
// else why it is damage, naming an offset.
//
// What a torn write leaves. The writer appends a batch and its commit frame
// with one write() and returns from Reserve only after the fdatasync that
// follows; it writes nothing more after a failed write or fdatasync. A
// power cut during that write may leave the file ending anywhere in it, and
// of the bytes the file holds, sectors the disk never got: they read as
// zeros (ext4 and xfs record a block allocated for an append as unwritten
// until its data is on disk, and zero the rest of a page past the end of
// the file when they write it, so a sector of the batch that shares a block
// with the previous batch and was not rewritten reads as zeros too). The
// commit frame is written last but pages reach the disk in any order, so it
// may be there when earlier sectors are not.
//
// Why 512-byte sectors. A disk writes a logical sector — 512 bytes, the
// smallest there is (4Kn disks and every file-system block are multiples of
// it) — whole or not at all, and a torn write leaves whole blocks or
// sectors unwritten, so the zeros it leaves fill whole 512-byte-aligned
// sectors of the file (the batch's part of its first, which it may share
// with the previous batch). A coarser unit (a 4 KiB page) would take the
// torn write of a disk with 1 KiB blocks or 512-byte sectors for damage; a
// finer one would take a few zeroed bytes — bit rot, a bad sector remapped
// over part of a frame — for a torn write. A sector that holds a byte of an
// intact commit frame was written, so its batch part is never taken for an
// unwritten one.
//
// The rule. A self-valid commit frame (its own checksum good) in tail that
// is not tail's last bytes, or whose recorded length does not reach back to
// tail's start, means a later write followed the batch — so the batch's
// fdatasync had returned and it was acknowledged — or that commit frames
// were damaged: damage. If tail ends with the last batch's self-valid
// commit frame, the writer wrote that whole batch: its frames are walked
// from its start, and each must check or overlap a zeroed sector, until
// one whose header lies in a zeroed sector (the frames after it cannot be
// located) — and one must overlap a zeroed sector; anything else is damage
// at the first frame that neither checks nor overlaps one. With no
// self-valid commit frame (the file ends in the batch, or its commit frame
// is torn or zeroed) tail is a torn write, as it always was.
//
// What stays unseen: bytes in a frame that also overlaps a zeroed sector
// (a length field damaged so that the frame reaches one, too), and frames
// after one whose header is zeroed, are not checked (their checksums cover
// unwritten bytes); such a batch is torn anyway, so it was never
// acknowledged. A whole sector zeroed by something other than a torn
// write reads as one, and is cut. A file system that can expose stale data
// after a crash (ext4 data=writeback) may leave non-zero garbage for a torn
// write: that is refused, and the counters stop until the operator looks.
func tailDamage(tail []byte, base int64) string {
	last := len(tail) - commitFrameLen
	for p := 0; p+commitFrameLen <= len(tail); p++ {
		if !selfValidCommit(tail[p:]) {
			continue
		}
		if p != last {
			return fmt.Sprintf("the batch at offset %d does not match a commit frame that is intact at offset %d, and %d bytes of a later write follow it (so it was acknowledged)", base, base+int64(p), last-p)
		}
		_, n, _, _ := decodeCommit(tail[p+frameHeaderLen : p+commitFrameLen])
		if n != uint64(p) {
			return fmt.Sprintf("the commit frame at offset %d, intact, records a batch of %d bytes, not the %d since the last valid commit frame at offset %d", base+int64(p), n, p, base)
		}
		return tornBatchDamage(tail[:p], base)
	}
	return ""
}

// tornBatchDamage checks batch, the last batch of the last segment (at
// offset base), whose intact commit frame follows it and which does not
// match it, by the rule of tailDamage: "" if zeroed sectors explain it.
func tornBatchDamage(batch []byte, base int64) string {
	end := base + int64(len(batch))
	first := base / sectorSize
	// zero[i]: sector first+i lies before the commit frame and its part of
	// the batch is all zeros.
	zero := make([]bool, end/sectorSize-first)
	for i := range zero {
		s := (first + int64(i)) * sectorSize
		zero[i] = allZero(batch[max(s, base)-base : s+sectorSize-base])
	}
	// overlaps reports whether batch[from:to] overlaps a zeroed sector.
	overlaps := func(from, to int) bool {
		for k := (base + int64(from)) / sectorSize; k*sectorSize < base+int64(to); k++ {
			if i := k - first; i < int64(len(zero)) && zero[i] {
				return true
			}
		}
		return false
	}
	badAt := func(p int) string {
		return fmt.Sprintf("bad frame at offset %d of the last batch (offset %d…%d), whose commit frame is intact: damage, not a torn write (which leaves whole sectors zeroed)", base+int64(p), base, end)
	}
	explained := false
	for p := 0; p < len(batch); {
		h := min(p+frameHeaderLen, len(batch))
		if overlaps(p, h) {
			explained = true // the frames from here on cannot be located
			break
		}
		if h-p < frameHeaderLen {
			return badAt(p)
		}
		l := int(binary.BigEndian.Uint32(batch[p:]))
		if l == 0 || l > maxFramePayload || l > len(batch)-h {
			return badAt(p)
		}
		q := h + l
		if crc32.Checksum(batch[h:q], castagnoli) != binary.BigEndian.Uint32(batch[p+4:]) {
			if !overlaps(p, q) {
				return badAt(p)
			}
			explained = true
		}
		p = q
	}
	if !explained {
		return fmt.Sprintf("the last batch (offset %d…%d) does not match its intact commit frame, and no zeroed sector explains it", base, end)
	}
	return ""
}

// allZero reports whether b holds only zeros.
func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// validFrameAfter reports whether any byte offset of tail after the first
// starts a frame with a plausible length and type and a good checksum: a
// bad frame followed by a good one is damage, not a torn write.
func validFrameAfter(tail []byte) bool {
	for p := 1; p+frameHeaderLen < len(tail); p++ {
		l := int(binary.BigEndian.Uint32(tail[p:]))
		if l == 0 || l > maxFramePayload || l > len(tail)-p-frameHeaderLen {
			continue
		}
		payload := tail[p+frameHeaderLen : p+frameHeaderLen+l]
		if t := payload[0]; t < frameReserve || t > frameForget {
			continue
		}
		if crc32.Checksum(payload, castagnoli) == binary.BigEndian.Uint32(tail[p+4:]) {
			return true
		}
	}
	return false
}

// applyFrame replays one frame's payload into idx and returns its sequence.
// A payload that does not decode is an error wrapping storage.ErrCorrupt.
func applyFrame(idx *countstate.State, p []byte) (uint64, error) {
	if len(p) < 9 {
		return 0, fmt.Errorf("%w: a frame of %d bytes", storage.ErrCorrupt, len(p))
	}
	seq := binary.BigEndian.Uint64(p[1:9])
	switch p[0] {
	case frameReserve:
		id, at, keys, err := decodeReservation(p[9:])
		if err != nil {
			return 0, err
		}
		idx.Restore(id, seq, at, keys)
	case frameRelease, frameForget:
		if len(p) == 9 {
			return 0, fmt.Errorf("%w: a release or forget frame with no id", storage.ErrCorrupt)
		}
		idx.Drop(string(p[9:]), seq)
	default:
		return 0, fmt.Errorf("%w: frame type %d", storage.ErrCorrupt, p[0])
	}
	return seq, nil
}

// replayJournal replays every segment of the journal of the store at path,
// in order, into idx: a reserve frame restores its reservation (a later one
// of the same id replaces it), a release or forget frame drops the
// reservation it names if it is still held with that sequence.
//
// What was never acknowledged is cut off the last segment: its offset is
// returned (tornAt) for the caller to truncate. In a segment of format 2
// (commit frames) that is everything after its last valid commit frame,
// provided no valid commit frame follows (a batch that follows was
// fdatasynced after the bad bytes, so they are damage) and it is what a
// torn write leaves — no intact commit frame, or one at the file's end
// whose batch fails only where sectors read as zeros, not non-zero garbage
// (see tailDamage); those frames are not replayed (see scanSegment). In a
// segment of format 1 (no commit frames) it is a bad frame at its end with
// no good frame after it.
// Anything else that does not read — a bad header, a bad or uncommitted
// frame elsewhere, a payload that does not decode, no segment at all — is
// an error wrapping storage.ErrCorrupt naming the segment. replayJournal
// never writes.
func replayJournal(path string, id []byte, idx *countstate.State) (replayed, error) {
	rep := replayed{tornAt: -1}
	nums, err := listSegments(path)
	if err != nil {
		return rep, err
	}
	if len(nums) == 0 {
		return rep, fmt.Errorf("%w: the counters journal (%s) is missing: it must be kept (and backed up) with the store file", storage.ErrCorrupt, segName(path, 1))
	}
	if nums[0] != 1 {
		return rep, fmt.Errorf("%w: %s, the first segment of the counters journal, is missing (its reservations would not be counted): restore it with the store file", storage.ErrCorrupt, segName(path, 1))
	}
	for i, n := range nums {
		name := segName(path, n)
		size, bad, version, err := replaySegment(name, id, idx, &rep)
		if err != nil {
			return rep, fmt.Errorf("%s: %w", name, err)
		}
		if i >= 2 && version == segVersion && n != nums[i-1]+1 {
			// Segment 1 is never removed and compaction removes the
			// segments after it oldest first (a suffix of them stays), so
			// only segment 1 may be followed by a gap; builds of schema 3
			// and 4 removed them in any order, leaving gaps between
			// segments of format 1 only (this build's first segment
			// follows the last of them).
			return rep, fmt.Errorf("%w: %s of the counters journal is missing before %s (its reservations would not be counted): restore it with the store file", storage.ErrCorrupt, segName(path, nums[i-1]+1), name)
		}
		rep.lastVersion = version
		if bad >= 0 {
			if i != len(nums)-1 {
				return rep, fmt.Errorf("%w: %s: bad or uncommitted frame at offset %d of a sealed segment", storage.ErrCorrupt, name, bad)
			}
			tail, err := readFrom(name, bad)
			if err != nil {
				return rep, fmt.Errorf("%s: %w", name, err)
			}
			if version == segVersionNoCommit {
				if validFrameAfter(tail) {
					return rep, fmt.Errorf("%w: %s: bad frame at offset %d followed by good frames", storage.ErrCorrupt, name, bad)
				}
			} else if at := commitAfter(tail); at >= 0 {
				return rep, fmt.Errorf("%w: %s: bad frame in the batch at offset %d, which the batch committed at offset %d follows", storage.ErrCorrupt, name, bad, bad+int64(at))
			} else if why := tailDamage(tail, bad); why != "" {
				return rep, fmt.Errorf("%w: %s: %s", storage.ErrCorrupt, name, why)
			}
			rep.tornAt, size = bad, bad
		}
		rep.segs = append(rep.segs, segment{n: n, size: size})
	}
	return rep, nil
}

// replaySegment replays one segment file; see scanSegment for bad and
// version.
func replaySegment(name string, id []byte, idx *countstate.State, rep *replayed) (size, bad int64, version uint32, err error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, -1, 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, -1, 0, err
	}
	bad, version, err = scanSegment(f, fi.Size(), id, func(frame []byte, off int64) error {
		seq, err := applyFrame(idx, frame[frameHeaderLen:])
		if err != nil {
			return fmt.Errorf("frame at offset %d: %w", off, err)
		}
		rep.seq = max(rep.seq, seq)
		if frame[frameHeaderLen] == frameReserve {
			rep.reserves++
			rep.resBytes += int64(len(frame))
		}
		return nil
	})
	return fi.Size(), bad, version, err
}

// readFrom returns the bytes of file name from off to its end.
func readFrom(name string, off int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return nil, err
	}
	return io.ReadAll(f)
}

// truncateTail cuts the torn tail off the last segment and fsyncs it.
func truncateTail(name string, at int64) error {
	f, err := os.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	err = f.Truncate(at)
	if err == nil {
		err = durable.SyncData(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
