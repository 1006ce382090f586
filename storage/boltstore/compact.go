package boltstore

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"

	"github.com/dialgate/dialgate/internal/durable"
)

// Compaction merges every sealed segment (all but the active one) into one,
// keeping only the reserve frames of reservations the index still holds.
//
// Why it is correct. Let S1…Sk be the sealed segments (S1 the oldest) and A
// the active segment and any later ones.
//
//   - A release or forget frame is queued after the index change it records,
//     and that change comes after the Reserve that queued the reservation's
//     frame (journal order == index order, under Store.mu). So a release or
//     forget frame in S1…Sk targets a reserve frame in S1…Sk, and a
//     reservation whose release or forget frame was written there is not
//     held any more when compaction checks it: its reserve frame is dropped
//     with the release. Dropping every release and forget frame of S1…Sk
//     therefore changes nothing a replay would hold.
//   - A reserve frame is kept iff the index holds its id with its sequence
//     (sequences are unique, so an older reservation of a reused id is never
//     mistaken for the newer one). A reservation held when checked and
//     released later has its release frame queued later: in A, which
//     compaction does not touch, so a replay still drops it. A reservation
//     not held when checked was released, forgotten or expired in the index
//     already; if the frame recording that has not reached the disk when
//     the process dies, the reservation is gone after restart although its
//     Release (or the Reserve that pruned it) never returned — the outcome
//     of a Release that completed, which a caller that saw no answer must
//     allow for anyway. No reservation that is still held is ever dropped.
//   - The merged segment is written to a temporary file, fsynced, and
//     renamed over S1; the directory is fsynced; then S2…Sk are removed.
//     A crash before the rename leaves S1…Sk intact (the temporary file is
//     ignored by replay and removed at the next Open). A crash after the
//     rename and before the removals leaves C (the merged S1), S2…Sk, A:
//     replay reads C's kept frames, then S2…Sk again in order. Every frame
//     of S2…Sk is replayed at its original place after C: a reservation
//     kept in C whose frame is in Sj is restored again with identical
//     content (last wins); a reservation of Sj not in C is restored and
//     then dropped by its release or forget frame (in Sj…Sk, or in A),
//     exactly as in the original replay; a release or forget of a sequence
//     that is not held is ignored. An id restored from C and then found
//     in Sj with an older sequence is replaced by it and then by its newer
//     frame again, since the newer frame follows in Sj…Sk (C's frame came
//     from one of them, or from S1, in which case no older frame of the id
//     is in S2…Sk). So the replay holds every reservation held at the
//     compaction, and held when the process died. The next compaction
//     merges C and S2…Sk again, dropping the duplicates.
//
// Compaction takes no lock for long: it reads files that nothing writes any
// more, and checks its frames against the index in chunks of compactChunk
// under the index's lock (one map lookup each). A failed compaction leaves
// the sealed segments as they were and is remembered (journal.compactErr);
// the next one starts once another segment's worth of bytes is sealed.
const compactChunk = 4096

// errCompactStopped is a compaction that gave up because the store closed.
var errCompactStopped = errors.New("compaction stopped: the store is closing")

// maybeCompact starts a compaction in the background if none runs and the
// sealed segments hold more than twice the estimated live bytes (held
// reservations × the average reserve frame) and at least compactFloor.
// Only the writer calls it.
func (j *journal) maybeCompact() {
	j.segMu.Lock()
	defer j.segMu.Unlock()
	if j.compacting || len(j.segs) < 2 {
		return
	}
	var sealed int64
	for _, s := range j.segs[:len(j.segs)-1] {
		sealed += s.size
	}
	if sealed < j.compactFloor || sealed <= 2*j.liveEstimate() {
		return
	}
	j.compacting = true
	segs := slices.Clone(j.segs[:len(j.segs)-1])
	j.compactW.Add(1)
	go func() {
		defer j.compactW.Done()
		err := j.compact(segs)
		j.segMu.Lock()
		defer j.segMu.Unlock()
		j.compacting = false
		j.compactErr = err
		if err != nil {
			// Try again once another segment's worth is sealed.
			j.compactFloor = sealed + j.segSize
		} else {
			j.compactions++
		}
	}()
}

// liveEstimate is the bytes a journal of the held reservations would take.
func (j *journal) liveEstimate() int64 {
	avg := int64(128)
	if n := j.reserveFrames.Load(); n > 0 {
		avg = j.reserveBytes.Load() / n
	}
	_, held := j.idx.Size()
	return int64(held)*avg + int64(segHeaderLen)
}

// compactNow runs a compaction of the sealed segments now (tests), unless
// one is running.
func (j *journal) compactNow() error {
	j.segMu.Lock()
	if j.compacting || len(j.segs) < 2 {
		j.segMu.Unlock()
		return nil
	}
	j.compacting = true
	segs := slices.Clone(j.segs[:len(j.segs)-1])
	j.segMu.Unlock()
	err := j.compact(segs)
	j.segMu.Lock()
	j.compacting = false
	j.compactErr = err
	if err == nil {
		j.compactions++
	}
	j.segMu.Unlock()
	return err
}

// compact merges segs (the sealed segments, oldest first) into one; see
// the comment above for why each step is safe.
func (j *journal) compact(segs []segment) (err error) {
	tmp := j.path + tmpCompact
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("compact the counters journal: %w", err)
	}
	renamed := false
	defer func() {
		if !renamed {
			out.Close()
			os.Remove(tmp)
		}
		if err != nil {
			err = fmt.Errorf("compact the counters journal: %w", err)
		}
	}()
	w := bufio.NewWriterSize(out, 1<<20)
	if _, err := w.Write(segHeader(j.id)); err != nil {
		return err
	}
	// The merged segment is in batches with commit frames, as the writer's
	// segments are: it is sealed, and replay refuses a sealed segment with
	// frames after its last commit frame.
	bw := newBatchWriter(w, int64(segHeaderLen))

	var (
		frames []byte // the chunk's reserve frames, back to back
		ends   []int  // where each frame of frames ends
		ids    []string
		tags   []uint64
		held   = make([]bool, compactChunk)
	)
	flush := func() error {
		select {
		case <-j.stop:
			return errCompactStopped
		default:
		}
		j.idx.HeldTags(ids, tags, held[:len(ids)])
		start := 0
		for i, end := range ends {
			if held[i] {
				if err := bw.frame(frames[start:end]); err != nil {
					return err
				}
			}
			start = end
		}
		frames, ends, ids, tags = frames[:0], ends[:0], ids[:0], tags[:0]
		return nil
	}
	for _, s := range segs {
		name := segName(j.path, s.n)
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		bad, _, err := scanSegment(f, s.size, j.id, func(frame []byte, off int64) error {
			p := frame[frameHeaderLen:]
			if p[0] != frameReserve {
				return nil
			}
			id, err := reservationID(p[9:])
			if err != nil {
				return fmt.Errorf("frame at offset %d: %w", off, err)
			}
			frames = append(frames, frame...)
			ends = append(ends, len(frames))
			ids = append(ids, id)
			tags = append(tags, binary.BigEndian.Uint64(p[1:9]))
			if len(ids) == compactChunk {
				return flush()
			}
			return nil
		})
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if bad >= 0 {
			return fmt.Errorf("%s: bad frame at offset %d of a sealed segment", name, bad)
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if err := bw.commit(); err != nil {
		return err
	}
	written := bw.written
	if err := w.Flush(); err != nil {
		return err
	}
	if err := durable.SyncData(out); err != nil {
		return err
	}
	if err := out.Close(); err != nil {
		renamed = true // closed; only the file is left to remove
		os.Remove(tmp)
		return err
	}
	renamed = true
	first := segName(j.path, segs[0].n)
	if err := os.Rename(tmp, first); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := syncDir(j.path); err != nil {
		// The rename may not be durable, but either S1 or the merged
		// segment replays correctly with S2…Sk: keep them.
		return err
	}
	// Remove S2…Sk oldest first, each unlink made durable before the next,
	// and stop at the first failure: a crash or an error then leaves the
	// newest of them (a suffix), never an older segment without the newer
	// ones — replayed after the merged segment, an older segment alone could
	// bring back a reservation a newer one released, or (without Restore's
	// sequence check) replace a newer reservation of the same id.
	removed := 0
	var rerr error
	for _, s := range segs[1:] {
		if err := os.Remove(segName(j.path, s.n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			rerr = err
			break
		}
		removed++
		if err := syncDir(j.path); err != nil {
			rerr = err
			break
		}
	}
	j.segMu.Lock()
	last := slices.IndexFunc(j.segs, func(s segment) bool { return s.n == segs[len(segs)-1].n })
	kept := append([]segment{{n: segs[0].n, size: written}}, segs[1+removed:]...)
	j.segs = append(kept, j.segs[last+1:]...)
	j.segMu.Unlock()
	return rerr
}

// reservationID reads the id of an encoded reservation (see counters.go)
// without decoding the rest.
func reservationID(rec []byte) (string, error) {
	if len(rec) < 17 {
		return "", fmt.Errorf("a reservation of %d bytes", len(rec))
	}
	r := reader{b: rec[17:]}
	id := r.str()
	if r.err != nil || id == "" {
		return "", fmt.Errorf("a reservation with no readable id")
	}
	return id, nil
}

// JournalStats is the state of a store's counter journal: what an operator
// watches so that a journal that stopped compacting is seen before it fills
// the disk (a full disk stops the counters, and every dial then denies).
type JournalStats struct {
	Segments    int   // segment files, the one being appended to included
	Bytes       int64 // their total size
	Compactions int   // compactions completed since Open
	CompactErr  error // the last compaction's failure; nil after a success or before any
}

// JournalStats reports the counter journal's segments and compactions. A
// store whose counters failed to load has no journal: the zero JournalStats.
func (s *Store) JournalStats() JournalStats {
	j := s.counters.j
	if j == nil {
		return JournalStats{}
	}
	j.segMu.Lock()
	defer j.segMu.Unlock()
	st := JournalStats{Segments: len(j.segs), Compactions: j.compactions, CompactErr: j.compactErr}
	for _, sg := range j.segs {
		st.Bytes += sg.size
	}
	return st
}
