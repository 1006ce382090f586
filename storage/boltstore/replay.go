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
	segs     []segment // every segment, oldest first (sizes after truncating a torn tail)
	seq      uint64    // the highest sequence seen
	tornAt   int64     // where the last segment's torn tail starts, or -1
	reserves int64     // reserve frames read, and their bytes: the average
	resBytes int64     // size of a reserve frame, for compaction's estimate
}

// errBadHeader is a segment header that is missing, short or not ours.
var errBadHeader = errors.New("bad segment header")

// scanSegment reads a segment's header and then its frames from r, calling
// fn with each frame whose length and checksum are good (frame is the
// header and payload, valid until fn returns; off its offset in the
// segment). It returns the offset of the first bad frame — incomplete, of
// length zero or over maxFramePayload, or with a bad checksum — or -1 if
// the segment ends at a frame boundary. A bad header is an error wrapping
// storage.ErrCorrupt; an error from fn stops the scan and is returned.
func scanSegment(r io.Reader, id []byte, fn func(frame []byte, off int64) error) (bad int64, err error) {
	br := bufio.NewReaderSize(r, 256<<10)
	hdr := make([]byte, segHeaderLen)
	if n, err := io.ReadFull(br, hdr); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return -1, fmt.Errorf("%w: %w: %d bytes", storage.ErrCorrupt, errBadHeader, n)
		}
		return -1, err
	}
	if !bytes.Equal(hdr[:len(segMagic)], []byte(segMagic)) {
		return -1, fmt.Errorf("%w: %w: not a dialgate counters journal", storage.ErrCorrupt, errBadHeader)
	}
	if v := binary.BigEndian.Uint32(hdr[len(segMagic):]); v != segVersion {
		return -1, fmt.Errorf("%w: %w: format version %d, this build reads %d", storage.ErrCorrupt, errBadHeader, v, segVersion)
	}
	if !bytes.Equal(hdr[len(segMagic)+4:], id) {
		return -1, fmt.Errorf("%w: %w: the segment belongs to another store file (journal id %x, the store's is %x)", storage.ErrCorrupt, errBadHeader, hdr[len(segMagic)+4:], id)
	}
	off := int64(segHeaderLen)
	buf := make([]byte, 0, 4096)
	for {
		buf = buf[:frameHeaderLen]
		n, err := io.ReadFull(br, buf)
		switch {
		case errors.Is(err, io.EOF):
			return -1, nil
		case errors.Is(err, io.ErrUnexpectedEOF):
			return off, nil
		case err != nil:
			return -1, err
		}
		_ = n
		l := binary.BigEndian.Uint32(buf)
		if l == 0 || l > maxFramePayload {
			return off, nil
		}
		if cap(buf) < frameHeaderLen+int(l) {
			buf = append(make([]byte, 0, frameHeaderLen+int(l)), buf...)
		}
		buf = buf[:frameHeaderLen+int(l)]
		if _, err := io.ReadFull(br, buf[frameHeaderLen:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return off, nil
			}
			return -1, err
		}
		if crc32.Checksum(buf[frameHeaderLen:], castagnoli) != binary.BigEndian.Uint32(buf[4:]) {
			return off, nil
		}
		if err := fn(buf, off); err != nil {
			return -1, err
		}
		off += int64(len(buf))
	}
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
// A bad frame at the end of the last segment, with no good frame after it,
// is a torn write that was never acknowledged: its offset is returned
// (tornAt) for the caller to truncate. Anything else that does not read — a
// bad header, a bad frame elsewhere, a payload that does not decode, no
// segment at all — is an error wrapping storage.ErrCorrupt. replayJournal
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
		size, bad, err := replaySegment(name, id, idx, &rep)
		if err != nil {
			return rep, fmt.Errorf("%s: %w", name, err)
		}
		if bad >= 0 {
			if i != len(nums)-1 {
				return rep, fmt.Errorf("%w: %s: bad frame at offset %d of a sealed segment", storage.ErrCorrupt, name, bad)
			}
			tail, err := readFrom(name, bad)
			if err != nil {
				return rep, fmt.Errorf("%s: %w", name, err)
			}
			if validFrameAfter(tail) {
				return rep, fmt.Errorf("%w: %s: bad frame at offset %d followed by good frames", storage.ErrCorrupt, name, bad)
			}
			rep.tornAt, size = bad, bad
		}
		rep.segs = append(rep.segs, segment{n: n, size: size})
	}
	return rep, nil
}

// replaySegment replays one segment file; see scanSegment for bad.
func replaySegment(name string, id []byte, idx *countstate.State, rep *replayed) (size, bad int64, err error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, -1, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, -1, err
	}
	bad, err = scanSegment(f, id, func(frame []byte, off int64) error {
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
	return fi.Size(), bad, err
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
