package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/internal/countstate"
)

var jt0 = time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)

func lim1(key string) []storage.Limit {
	return []storage.Limit{{Key: key, Window: time.Hour, Max: 100}, {Key: "all", Window: 2 * time.Hour, Max: 100000}}
}

func mustOpen(t *testing.T, path string, opts Options) *Store {
	t.Helper()
	s, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustReserve(t *testing.T, s *Store, id string, at time.Time, l []storage.Limit) {
	t.Helper()
	if ok, _, err := s.Reserve(context.Background(), id, at, l); err != nil || !ok {
		t.Fatalf("Reserve %s = %v, %v", id, ok, err)
	}
}

// usages reads the usage of keys k0…k(n-1) and "all" at at.
func usages(t *testing.T, s *Store, n int, at time.Time) []int {
	t.Helper()
	var l []storage.Limit
	for i := range n {
		l = append(l, storage.Limit{Key: "k" + strconv.Itoa(i), Window: time.Hour, Max: 100})
	}
	l = append(l, storage.Limit{Key: "all", Window: 2 * time.Hour, Max: 100000})
	us, err := s.Usage(context.Background(), at, l)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int, len(us))
	for i, u := range us {
		out[i] = u.Count
	}
	return out
}

func segFiles(t *testing.T, path string) []uint64 {
	t.Helper()
	nums, err := listSegments(path)
	if err != nil {
		t.Fatal(err)
	}
	return nums
}

func lastSeg(t *testing.T, path string) string {
	t.Helper()
	nums := segFiles(t, path)
	return segName(path, nums[len(nums)-1])
}

func appendFile(t *testing.T, name string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// A torn tail (a frame cut short, a last frame with a bad checksum, zeros)
// was never acknowledged: Open cuts it off, the counters keep every frame
// before it, and the store is usable.
func TestTornTailTruncated(t *testing.T) {
	frame := appendReserveFrame(nil, 99, "torn", jt0.UnixNano(), lim1("k0"))
	badCRC := bytes.Clone(frame)
	badCRC[len(badCRC)-1] ^= 1
	for name, tail := range map[string][]byte{
		"cut header":   frame[:5],
		"cut payload":  frame[:len(frame)-3],
		"bad checksum": badCRC,
		"zeros":        make([]byte, 300),
		"zero length":  append(binary.BigEndian.AppendUint32(nil, 0), make([]byte, 20)...),
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "t.db")
			s := mustOpen(t, path, Options{})
			for i := range 5 {
				mustReserve(t, s, "id"+strconv.Itoa(i), jt0, lim1("k"+strconv.Itoa(i%2)))
			}
			s.Close()
			seg := lastSeg(t, path)
			fi, _ := os.Stat(seg)
			appendFile(t, seg, tail)
			s = mustOpen(t, path, Options{})
			if got := usages(t, s, 2, jt0); got[0] != 3 || got[1] != 2 || got[2] != 5 {
				t.Errorf("usage after a torn tail = %v, want [3 2 5]", got)
			}
			if fi2, _ := os.Stat(seg); fi2.Size() != fi.Size() {
				t.Errorf("segment is %d bytes after Open, want %d (the torn tail cut off)", fi2.Size(), fi.Size())
			}
			mustReserve(t, s, "after", jt0, lim1("k0"))
			s.Close()
			s = mustOpen(t, path, Options{})
			defer s.Close()
			if got := usages(t, s, 2, jt0); got[0] != 4 || got[2] != 6 {
				t.Errorf("usage after reopen = %v, want k0 4, all 6", got)
			}
		})
	}
}

// Damage anywhere but a torn tail stops the counters with ErrCorrupt, the
// rest of the store opens, and no journal file changes.
func TestCorruptJournalUntouched(t *testing.T) {
	type tc struct {
		segSize int64
		damage  func(t *testing.T, path string)
	}
	flip := func(off int) func(t *testing.T, path string) {
		return func(t *testing.T, path string) {
			name := segName(path, segFiles(t, path)[0])
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			b[off] ^= 0x40
			if err := os.WriteFile(name, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, c := range map[string]tc{
		"middle frame checksum": {0, flip(segHeaderLen + frameHeaderLen + 12)},
		"middle frame length":   {0, flip(segHeaderLen + 1)},
		"magic":                 {0, flip(2)},
		"journal id":            {0, flip(segHeaderLen - 1)},
		"sealed segment tail": {512, func(t *testing.T, path string) {
			nums := segFiles(t, path)
			if len(nums) < 2 {
				t.Fatalf("%d segments, want several", len(nums))
			}
			appendFile(t, segName(path, nums[0]), []byte{0, 0, 0, 9, 1})
		}},
		"missing journal": {0, func(t *testing.T, path string) {
			for _, n := range segFiles(t, path) {
				os.Remove(segName(path, n))
			}
		}},
		"undecodable payload": {0, func(t *testing.T, path string) {
			// A frame whose checksum is good but whose payload is no
			// reservation, in a batch whose commit frame is valid: never
			// a torn write.
			p := append([]byte{frameReserve}, make([]byte, 8+5)...)
			b, start := beginFrame(nil)
			b = endFrame(append(b, p...), start)
			appendFile(t, lastSeg(t, path), commitBatch(b, 0))
		}},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "c.db")
			s := mustOpen(t, path, Options{SegmentSize: c.segSize})
			for i := range 20 {
				mustReserve(t, s, "id"+strconv.Itoa(i), jt0, lim1("k"+strconv.Itoa(i%2)))
			}
			s.Close()
			c.damage(t, path)
			before := dirFiles(t, dir)
			s = mustOpen(t, path, Options{SegmentSize: c.segSize})
			ctx := context.Background()
			if _, err := s.Usage(ctx, jt0, lim1("k0")); !errors.Is(err, storage.ErrCorrupt) {
				t.Errorf("Usage = %v, want ErrCorrupt", err)
			}
			if ok, _, err := s.Reserve(ctx, "new", jt0, lim1("k0")); ok || !errors.Is(err, storage.ErrCorrupt) {
				t.Errorf("Reserve = %v, %v, want ErrCorrupt", ok, err)
			}
			if err := s.Release(ctx, "id1"); !errors.Is(err, storage.ErrCorrupt) {
				t.Errorf("Release = %v, want ErrCorrupt", err)
			}
			if _, err := s.ExpireCounters(ctx, jt0.Add(48*time.Hour)); !errors.Is(err, storage.ErrCorrupt) {
				t.Errorf("ExpireCounters = %v, want ErrCorrupt", err)
			}
			if err := s.AddDNC(ctx, testDNCEntry()); err != nil {
				t.Errorf("the rest of the store must work: AddDNC = %v", err)
			}
			s.Close()
			after := dirFiles(t, dir)
			for name, b := range before {
				if strings.Contains(name, ".counters") && after[name] != b {
					t.Errorf("%s changed", name)
				}
			}
			for name := range after {
				if _, ok := before[name]; !ok && strings.Contains(name, ".counters") {
					t.Errorf("%s was created", name)
				}
			}
		})
	}
}

// dirFiles returns every file of dir by name.
func dirFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

// noAutoCompact stops s from compacting on its own (tests then call
// compactNow).
func noAutoCompact(s *Store) {
	s.counters.j.segMu.Lock()
	s.counters.j.compactFloor = math.MaxInt64
	s.counters.j.segMu.Unlock()
}

// fill reserves n ids, 20 s apart, spread over keys k0…k9, releases every
// third and returns the instant of the last.
func fill(t *testing.T, s *Store, n int) time.Time {
	t.Helper()
	at := jt0
	for i := range n {
		at = jt0.Add(time.Duration(i) * 20 * time.Second)
		mustReserve(t, s, "id"+strconv.Itoa(i), at, lim1("k"+strconv.Itoa(i%10)))
		if i%3 == 0 {
			if err := s.Release(context.Background(), "id"+strconv.Itoa(i/2)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return at
}

// Rotation seals segments past SegmentSize; compaction merges the sealed
// ones into the first, keeping exactly the held reservations: a reopened
// store has the same usages, and the journal shrinks.
func TestRotationAndCompaction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	opts := Options{SegmentSize: 4096}
	s := mustOpen(t, path, opts)
	noAutoCompact(s)
	at := fill(t, s, 600)
	// Expire forgets the reservations older than two hours (the longest
	// window); counts are read from the last instant on (the index prunes
	// history, a replay does not need to).
	if _, err := s.ExpireCounters(context.Background(), at); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		mustReserve(t, s, "late"+strconv.Itoa(i), at, lim1("k"+strconv.Itoa(i%10)))
	}
	nBefore := len(segFiles(t, path))
	if nBefore < 5 {
		t.Fatalf("%d segments for 600 reservations of 4 KiB segments; want rotation", nBefore)
	}
	want := usages(t, s, 10, at)
	_, held := s.counters.idx.Size()
	if err := s.counters.j.compactNow(); err != nil {
		t.Fatal(err)
	}
	nAfter := segFiles(t, path)
	if len(nAfter) != 2 || nAfter[0] != 1 {
		t.Errorf("segments after compaction = %v, want the merged first one and the active one", nAfter)
	}
	if n := journalHeld(t, s); n != held {
		t.Errorf("the compacted journal replays %d reservations, the index holds %d", n, held)
	}
	fi, _ := os.Stat(segName(path, 1))
	// At most the held reservations' frames (the average rounded up) and
	// one commit frame (one a MiB).
	rb, rf := s.counters.j.reserveBytes.Load(), s.counters.j.reserveFrames.Load()
	if avg := (rb + rf - 1) / rf; fi.Size() > int64(held+1)*avg+int64(segHeaderLen+commitFrameLen) {
		t.Errorf("merged segment is %d bytes for %d held reservations of ≈ %d bytes", fi.Size(), held, avg)
	}
	mustReserve(t, s, "post", at, lim1("k3"))
	want[3]++
	want[10]++
	s.Close()
	s = mustOpen(t, path, opts)
	defer s.Close()
	if got := usages(t, s, 10, at); !equalInts(got, want) {
		t.Errorf("usages after compaction and reopen = %v, want %v", got, want)
	}
	if _, h := s.counters.idx.Size(); h != held+1 {
		t.Errorf("%d reservations after reopen, want %d", h, held+1)
	}
}

// Compaction starts on its own once the sealed segments hold more than
// twice the live bytes, and the journal stays bounded under churn.
func TestAutoCompactionBoundsJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	opts := Options{SegmentSize: 2048}
	s := mustOpen(t, path, opts)
	ctx := context.Background()
	for i := range 3000 {
		id := "id" + strconv.Itoa(i)
		mustReserve(t, s, id, jt0, lim1("k"+strconv.Itoa(i%10)))
		if i >= 20 {
			if err := s.Release(ctx, "id"+strconv.Itoa(i-20)); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitFor(t, func() bool {
		s.counters.j.segMu.Lock()
		defer s.counters.j.segMu.Unlock()
		return !s.counters.j.compacting
	})
	st := s.JournalStats()
	n, total, done, cerr := st.Segments, st.Bytes, st.Compactions, st.CompactErr
	t.Logf("%d segments, %d bytes, %d compactions, error %v", n, total, done, cerr)
	if done == 0 || cerr != nil {
		t.Errorf("%d compactions (error %v); want some", done, cerr)
	}
	if total > 16*2048 {
		t.Errorf("journal of %d bytes for 20 held reservations", total)
	}
	if files := segFiles(t, path); len(files) != n {
		t.Errorf("%d segment files, the journal lists %d", len(files), n)
	}
	want := usages(t, s, 10, jt0)
	s.Close()
	s = mustOpen(t, path, opts)
	defer s.Close()
	if got := usages(t, s, 10, jt0); !equalInts(got, want) || got[10] != 20 {
		t.Errorf("usages after reopen = %v, want %v (20 in all)", got, want)
	}
}

// A crash during compaction — before the rename (a temporary file left),
// or after it and before the other sealed segments are removed — replays to
// every reservation held.
func TestCompactionCrash(t *testing.T) {
	for _, stage := range []string{"before rename", "after rename"} {
		t.Run(stage, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.db")
			opts := Options{SegmentSize: 4096}
			s := mustOpen(t, path, opts)
			noAutoCompact(s)
			at := fill(t, s, 400)
			// Ids reserved again after their earlier reservation was
			// forgotten: the replay must keep the newer one.
			if _, err := s.ExpireCounters(context.Background(), at.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			later := at.Add(90 * time.Minute)
			for i := range 30 {
				mustReserve(t, s, "id"+strconv.Itoa(i*7), later, lim1("k"+strconv.Itoa(i%10)))
			}
			// Rotate so that the re-reservations are sealed too.
			for i := 0; len(segFiles(t, path)) < 12; i++ {
				mustReserve(t, s, "pad"+strconv.Itoa(i), later, lim1("k"+strconv.Itoa(i%10)))
			}
			want := usages(t, s, 10, later)
			_, held := s.counters.idx.Size()
			nums := segFiles(t, path)
			sealed := map[uint64][]byte{}
			for _, n := range nums[:len(nums)-1] {
				b, err := os.ReadFile(segName(path, n))
				if err != nil {
					t.Fatal(err)
				}
				sealed[n] = b
			}
			if err := s.counters.j.compactNow(); err != nil {
				t.Fatal(err)
			}
			s.Close()
			switch stage {
			case "before rename":
				// The old segments as they were, and a half-written
				// merged segment.
				for n, b := range sealed {
					if err := os.WriteFile(segName(path, n), b, 0o600); err != nil {
						t.Fatal(err)
					}
				}
				if err := os.WriteFile(path+tmpCompact, []byte("DGCNTJNL half"), 0o600); err != nil {
					t.Fatal(err)
				}
			case "after rename":
				// The merged segment under S1's name, S2…Sk not removed.
				for n, b := range sealed {
					if n != nums[0] {
						if err := os.WriteFile(segName(path, n), b, 0o600); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			s = mustOpen(t, path, opts)
			if got := usages(t, s, 10, later); !equalInts(got, want) {
				t.Errorf("usages after the crash = %v, want %v", got, want)
			}
			if _, h := s.counters.idx.Size(); h != held {
				t.Errorf("%d reservations after the crash, want %d", h, held)
			}
			if _, err := os.Stat(path + tmpCompact); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the temporary file of the interrupted compaction is still there: %v", err)
			}
			// And the next compaction, from that state, still keeps them.
			noAutoCompact(s)
			mustReserve(t, s, "seal", later, lim1("k1"))
			want[1]++
			want[10]++
			for n, i := len(segFiles(t, path)), 0; len(segFiles(t, path)) == n; i++ { // seal "seal"
				mustReserve(t, s, "seal"+strconv.Itoa(i), later, lim1("k2"))
				want[2]++
				want[10]++
			}
			if err := s.counters.j.compactNow(); err != nil {
				t.Fatal(err)
			}
			s.Close()
			s = mustOpen(t, path, opts)
			defer s.Close()
			if got := usages(t, s, 10, later); !equalInts(got, want) {
				t.Errorf("usages after a second compaction = %v, want %v", got, want)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// makeV2 writes a schema-2 store whose bucket counters.log holds recs (by
// sequence), as the schema-2 build wrote it.
func makeV2(t *testing.T, path string, recs map[uint64][]byte) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range append(buckets, bucketCounterLog) {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if err := meta.Put(metaSchema, []byte(SchemaName)); err != nil {
			return err
		}
		if err := meta.Put(metaVersion, []byte("2")); err != nil {
			return err
		}
		b := tx.Bucket(bucketCounterLog)
		for seq, v := range recs {
			if err := b.Put(seqKey(seq), v); err != nil {
				return err
			}
		}
		return b.SetSequence(uint64(len(recs)))
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}

func keys1(key string) []countstate.Recorded {
	return []countstate.Recorded{{Key: key, Window: time.Hour}, {Key: "all", Window: 2 * time.Hour}}
}

// Open migrates a schema-2 file: every record becomes a reserve frame with
// its sequence (a later record of an id replaces an earlier one), segment
// files an interrupted migration left are replaced, the bucket is dropped
// and the file says version 3.
func TestMigrateV2(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v2.db")
	makeV2(t, path, map[uint64][]byte{
		3: encodeReservation("a", jt0.UnixNano(), keys1("k0")),
		4: encodeReservation("b", jt0.UnixNano(), keys1("k1")),
		7: encodeReservation("a", jt0.Add(time.Minute).UnixNano(), keys1("k2")), // a reserved again
		9: encodeReservation("c", jt0.UnixNano(), keys1("k1")),
	})
	// An interrupted earlier migration's segments, and its temporary file.
	if err := os.WriteFile(segName(path, 1), []byte("half a segment"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(segName(path, 2), []byte("more"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+tmpMigrate, []byte("tmp"), 0o600); err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		s := mustOpen(t, path, Options{})
		at := jt0.Add(2 * time.Minute)
		want := [][]int{{0, 2, 1, 3}, {1, 1, 1, 3}}[round] // round 1: c released, d reserved
		if got := usages(t, s, 3, at); !equalInts(got, want) {
			t.Errorf("round %d: usages after migration = %v, want %v", round, got, want)
		}
		if round == 0 {
			if err := s.Release(context.Background(), "c"); err != nil {
				t.Fatal(err)
			}
			mustReserve(t, s, "d", at, lim1("k0"))
			if s.counters.seq != 10 {
				t.Errorf("next sequence after migration: last used %d, want 10 (after the highest migrated, 9)", s.counters.seq)
			}
		}
		err := s.db.View(func(tx *bolt.Tx) error {
			if tx.Bucket(bucketCounterLog) != nil {
				t.Errorf("round %d: bucket counters.log still present", round)
			}
			if v := string(tx.Bucket(bucketMeta).Get(metaVersion)); v != strconv.Itoa(SchemaVersion) {
				t.Errorf("round %d: version %q, want %d", round, v, SchemaVersion)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if nums := segFiles(t, path); len(nums) != 1 || nums[0] != 1 {
			t.Errorf("round %d: segments %v, want [1]", round, nums)
		}
		if _, err := os.Stat(path + tmpMigrate); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("round %d: temporary file left: %v", round, err)
		}
		s.Close()
	}
}

// A schema-2 file with a damaged record opens with its counters failing
// with ErrCorrupt, and is left exactly as it was (still version 2, no
// journal files).
func TestMigrateV2Damaged(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "v2.db")
	makeV2(t, path, map[uint64][]byte{
		1: encodeReservation("a", jt0.UnixNano(), keys1("k0")),
		2: {1, 2, 3},
	})
	before := dirFiles(t, dir)
	s := mustOpen(t, path, Options{})
	if _, err := s.Usage(context.Background(), jt0, lim1("k0")); !errors.Is(err, storage.ErrCorrupt) {
		t.Errorf("Usage = %v, want ErrCorrupt", err)
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := string(tx.Bucket(bucketMeta).Get(metaVersion)); v != "2" || tx.Bucket(bucketCounterLog) == nil {
			t.Errorf("the damaged file was migrated (version %q)", v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	after := dirFiles(t, dir)
	for name := range after {
		if _, ok := before[name]; !ok {
			t.Errorf("%s was created", name)
		}
	}
}

// A schema-1 file goes through schema 2 to the file journal.
func TestMigrateV1ToJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	writeV1(t, path, jt0)
	s := mustOpen(t, path, Options{})
	defer s.Close()
	if nums := segFiles(t, path); len(nums) != 1 {
		t.Errorf("segments %v, want one", nums)
	}
	if n := journalHeld(t, s); n != 3 {
		t.Errorf("the journal holds %d reservations, want 3", n)
	}
}

// A failed fdatasync poisons the counters: every later call fails with
// ErrUnavailable (the writer never fsyncs that file again), and a reopen
// reads what was durable.
func TestFailedSyncPoisons(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	s := mustOpen(t, path, Options{})
	ctx := context.Background()
	mustReserve(t, s, "before", jt0, lim1("k0"))
	j := s.counters.j
	calls := 0
	j.mu.Lock()
	j.fault = func(op string) error {
		calls++
		if op == "sync" {
			return errors.New("injected fdatasync failure")
		}
		return nil
	}
	j.mu.Unlock()
	if ok, _, err := s.Reserve(ctx, "x", jt0, lim1("k0")); ok || !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("Reserve with a failing fdatasync = %v, %v; want ErrUnavailable", ok, err)
	}
	if ok, _, err := s.Reserve(ctx, "y", jt0, lim1("k1")); ok || !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Reserve after = %v, %v; want ErrUnavailable", ok, err)
	}
	if err := s.Release(ctx, "before"); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Release after = %v; want ErrUnavailable", err)
	}
	if _, err := s.Usage(ctx, jt0, lim1("k0")); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Usage after = %v; want ErrUnavailable", err)
	}
	j.mu.Lock()
	if calls != 2 {
		t.Errorf("the writer called write/sync %d times, want 2 (one write, one failed sync, nothing after)", calls)
	}
	j.mu.Unlock()
	s.Close()
	s = mustOpen(t, path, Options{})
	defer s.Close()
	if got := usages(t, s, 1, jt0); got[0] < 1 {
		t.Errorf("usage after reopen = %v, want the acknowledged reservation", got)
	}
}

// MaxBatchSize bounds the requests one write takes.
func TestJournalMaxBatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.db")
	s := mustOpen(t, path, Options{MaxBatchSize: 3})
	defer s.Close()
	j := s.counters.j
	block := make(chan struct{})
	j.mu.Lock()
	j.fault = func(op string) error {
		if op == "write" {
			<-block
		}
		return nil
	}
	j.mu.Unlock()
	done := make(chan struct{})
	for i := range 10 {
		go func() {
			mustReserve(t, s, "id"+strconv.Itoa(i), jt0, lim1("k0"))
			done <- struct{}{}
		}()
	}
	ok := func() bool { // every reservation made, so every frame queued
		_, n := s.counters.idx.Size()
		return n == 10
	}
	for deadline := time.Now().Add(5 * time.Second); !ok() && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	j.mu.Lock()
	queued := 0
	for _, b := range j.queue {
		queued += b.n
		if b.n > 3 {
			t.Errorf("a batch of %d requests, MaxBatchSize 3", b.n)
		}
	}
	j.mu.Unlock()
	if queued < 7 {
		t.Errorf("%d requests queued behind the blocked write, want at least 7", queued)
	}
	close(block)
	for range 10 {
		<-done
	}
}

// FuzzJournalReplay: any bytes as a segment (after a good header of
// format 1 or 2, or not) replay without panicking, to a state or to
// ErrCorrupt; after cutting a torn tail, a second replay finds no torn tail
// and the same reservations, and a batch the writer appends there is
// replayed on top of them.
func FuzzJournalReplay(f *testing.F) {
	id := bytes.Repeat([]byte{7}, journalIDLen)
	var seg []byte
	seg = appendReserveFrame(seg, 1, "a", jt0.UnixNano(), lim1("k0"))
	seg = appendReserveFrame(seg, 2, "b", jt0.UnixNano(), []storage.Limit{{Key: "s", Member: "n1", Window: time.Hour, Max: 1}})
	seg = appendIDFrame(seg, frameRelease, 1, "a")
	seg = appendIDFrame(seg, frameForget, 2, "b")
	committed := commitBatch(bytes.Clone(seg[:len(seg)/2]), 0)
	committed = commitBatch(append(committed, seg[len(seg)/2:]...), len(committed))
	for _, format := range []uint32{segVersionNoCommit, segVersion} {
		f.Add(format, true, seg)
		f.Add(format, true, seg[:len(seg)-4])
		f.Add(format, true, append(bytes.Clone(seg), 0, 0, 0, 0, 0, 0, 0, 0, 0))
		f.Add(format, false, append(segHeader(id), seg...))
		f.Add(format, false, []byte("DGCNTJNL"))
		f.Add(format, true, []byte{})
		f.Add(format, true, committed)
		f.Add(format, true, committed[:len(committed)-1])
		f.Add(format, true, append(zeroed(committed, 0, 40), committed[40:]...))
		f.Add(format, true, append(bytes.Clone(committed), committed...))
	}
	f.Fuzz(func(t *testing.T, format uint32, withHeader bool, b []byte) {
		path := filepath.Join(t.TempDir(), "f.db")
		if withHeader {
			hdr := segHeader(id)
			binary.BigEndian.PutUint32(hdr[len(segMagic):], format)
			b = append(hdr, b...)
		}
		name := segName(path, 1)
		if err := os.WriteFile(name, b, 0o600); err != nil {
			t.Fatal(err)
		}
		idx := countstate.NewTracked()
		rep, err := replayJournal(path, id, idx)
		if err != nil {
			if !errors.Is(err, storage.ErrCorrupt) {
				t.Fatalf("replay error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if rep.tornAt >= 0 {
			if err := truncateTail(name, rep.tornAt); err != nil {
				t.Fatal(err)
			}
		}
		idx2 := countstate.NewTracked()
		rep2, err := replayJournal(path, id, idx2)
		if err != nil || rep2.tornAt >= 0 {
			t.Fatalf("after cutting the torn tail at %d: torn at %d, %v", rep.tornAt, rep2.tornAt, err)
		}
		k1, r1 := idx.Size()
		k2, r2 := idx2.Size()
		if k1 != k2 || r1 != r2 {
			t.Fatalf("replay before cutting the tail: %d keys %d ids; after: %d, %d", k1, r1, k2, r2)
		}
		// What the writer appends next (a batch, in the segment's format).
		next := appendReserveFrame(nil, rep.seq+1, "fuzz-next", jt0.UnixNano(), lim1("fuzz-key"))
		if rep.lastVersion == segVersion {
			next = commitBatch(next, 0)
		}
		appendFile(t, name, next)
		idx3 := countstate.NewTracked()
		rep3, err := replayJournal(path, id, idx3)
		if err != nil || rep3.tornAt >= 0 {
			t.Fatalf("after a batch appended at the cut: torn at %d, %v", rep3.tornAt, err)
		}
		if u := idx3.Usage(jt0, lim1("fuzz-key")); u[0].Count != 1 {
			t.Fatalf("the batch appended at the cut is not replayed: %+v", u)
		}
	})
}

// appendReservationLimits writes the bytes encodeReservation writes for the
// limits' keys.
func TestAppendReservationLimits(t *testing.T) {
	for _, l := range [][]storage.Limit{
		lim1("k"),
		{{Key: "a", Window: time.Minute, Max: 1}, {Key: "b", Member: "m", Window: time.Hour, Max: 1}, {Key: "a", Window: 24 * time.Hour, Max: 2}},
		{{Key: "x", Window: 5 * time.Minute, Max: 1}, {Key: "x", Window: 24 * time.Hour, Max: 2}, {Key: "x", Window: 30 * 24 * time.Hour, Max: 10}},
		// A check-only limit (the pause after a conversation) is never
		// recorded, and its window does not lengthen the record's expiry.
		{{Key: "x", Window: 5 * time.Minute, Max: 1}, {Key: "pause", Window: 7 * 24 * time.Hour, Max: 1, CheckOnly: true}, {Key: "x", Window: time.Hour, Max: 2}},
	} {
		got := appendReservationLimits(nil, "id-1", jt0.UnixNano(), l)
		want := encodeReservation("id-1", jt0.UnixNano(), countstate.Keys(l))
		if !bytes.Equal(got, want) {
			t.Errorf("limits %+v: %x, want %x", l, got, want)
		}
	}
}

func testDNCEntry() dnc.Entry {
	return dnc.Entry{Number: dialgate.MustParseNumber("+8613800138000"), Scope: dnc.MustParseScope("global"), List: "opt_out", AddedAt: jt0}
}
