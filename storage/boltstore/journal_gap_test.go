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

// Segment numbers tell a lost segment from what compaction leaves: segment
// 1 is never removed (migration writes it, compaction renames the merged
// segment over it), and compaction removes the segments after it oldest
// first, each unlink durable before the next, so the segments after the
// one following segment 1 are consecutive. A journal missing segment 1, or
// a segment between two later ones (a file lost, a backup restored
// without it), held acknowledged reservations that replay would silently
// not count (every cap they filled open again): the counters fail with
// ErrCorrupt naming the missing segment, and no file changes.
func TestMissingSegmentRefused(t *testing.T) {
	for name, pick := range map[string]func(nums []uint64) uint64{
		"segment 1":         func(nums []uint64) uint64 { return nums[0] },
		"a segment between": func(nums []uint64) uint64 { return nums[3] },
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "g.db")
			opts := Options{SegmentSize: 1024}
			s := mustOpen(t, path, opts)
			noAutoCompact(s)
			for i := 0; len(segFiles(t, path)) < 7; i++ {
				mustReserve(t, s, "id"+strconv.Itoa(i), jt0, lim1("k"+strconv.Itoa(i%3)))
			}
			s.Close()
			nums := segFiles(t, path)
			gone := pick(nums)
			if err := os.Remove(segName(path, gone)); err != nil {
				t.Fatal(err)
			}
			before := dirFiles(t, dir)
			s = mustOpen(t, path, opts)
			_, err := s.Usage(context.Background(), jt0, lim1("k0"))
			if ok, _, rerr := s.Reserve(context.Background(), "new", jt0, lim1("k0")); ok || rerr == nil {
				t.Errorf("Reserve without segment %d = %v, %v; want ErrCorrupt", gone, ok, rerr)
			}
			s.Close()
			if !errors.Is(err, storage.ErrCorrupt) || !strings.Contains(err.Error(), filepath.Base(segName(path, gone))) {
				t.Fatalf("Usage with segment %d of %v gone = %v; want ErrCorrupt naming it", gone, nums, err)
			}
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

// What compaction leaves is not a lost segment: the merged segment 1 and
// any suffix of the segments it merged (a crash between its unlinks) —
// here segment 1 merged, 2 removed, the later sealed ones not — replays to every
// reservation held. So do gaps between segments of format 1 (schema 3 and
// 4 builds removed the merged segments in any order), followed by the
// format-2 segment this build starts after them.
func TestCompactionLeftoversAreNoGap(t *testing.T) {
	t.Run("suffix", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "l.db")
		opts := Options{SegmentSize: 1024}
		s := mustOpen(t, path, opts)
		noAutoCompact(s)
		for i := 0; len(segFiles(t, path)) < 6; i++ {
			mustReserve(t, s, "id"+strconv.Itoa(i), jt0, lim1("k"+strconv.Itoa(i%3)))
		}
		want := usages(t, s, 3, jt0)
		nums := segFiles(t, path)
		saved := map[uint64][]byte{}
		for _, n := range nums[2 : len(nums)-1] { // the sealed segments after 2
			b, err := os.ReadFile(segName(path, n))
			if err != nil {
				t.Fatal(err)
			}
			saved[n] = b
		}
		if err := s.counters.j.compactNow(); err != nil {
			t.Fatal(err)
		}
		s.Close()
		for n, b := range saved {
			if err := os.WriteFile(segName(path, n), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		s = mustOpen(t, path, opts)
		defer s.Close()
		if got := usages(t, s, 3, jt0); !equalInts(got, want) {
			t.Fatalf("usages with segments %v = %v, want %v", segFiles(t, path), got, want)
		}
	})
	t.Run("format 1", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "v3.db")
		s := mustOpen(t, path, Options{})
		s.Close()
		setVersion(t, path, "3")
		id := storeJournalID(t, path)
		for n, f := range map[uint64][]byte{
			1: appendReserveFrame(nil, 1, "o1", jt0.UnixNano(), lim1("k0")),
			3: appendReserveFrame(nil, 3, "o3", jt0.UnixNano(), lim1("k1")),
			6: appendReserveFrame(nil, 6, "o6", jt0.UnixNano(), lim1("k2")),
		} {
			if err := os.WriteFile(segName(path, n), v1Segment(id, f), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		for round := range 2 {
			s = mustOpen(t, path, Options{})
			if got := usages(t, s, 3, jt0); !equalInts(got, []int{1 + round, 1, 1, 3 + round}) {
				t.Errorf("round %d: usages = %v, want [%d 1 1 %d]", round, got, 1+round, 3+round)
			}
			if round == 0 {
				mustReserve(t, s, "n0", jt0, lim1("k0"))
			}
			s.Close()
		}
		if nums := segFiles(t, path); len(nums) != 4 || nums[3] != 7 {
			t.Errorf("segments %v, want [1 3 6 7]", nums)
		}
	})
}
