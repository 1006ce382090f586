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
// whatever it holds, provided no valid commit frame follows (a batch that
// follows was fdatasynced after the bad bytes, so they are damage); those
// frames are not replayed (see scanSegment). In a segment of format 1 (no
// commit frames) it is a bad frame at its end with no good frame after it.
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
	for i, n := range nums {
		name := segName(path, n)
		size, bad, version, err := replaySegment(name, id, idx, &rep)
		if err != nil {
			return rep, fmt.Errorf("%s: %w", name, err)
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
