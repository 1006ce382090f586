package boltstore

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// Open raises a version 3 or 4 file to 5 and then starts a segment with
// commit frames after the old one. A crash can stop it between any two of
// those steps; each state the disk can then hold opens with the old
// reservations counted, continues the journal in one segment with commit
// frames, and replays the same after the next Open.
func TestSchemaRaiseCrashPoints(t *testing.T) {
	frames := [][]byte{
		appendReserveFrame(nil, 1, "o0", jt0.UnixNano(), lim1("k0")),
		appendReserveFrame(nil, 2, "o1", jt0.UnixNano(), lim1("k1")),
		appendIDFrame(nil, frameRelease, 2, "o1"),
		appendReserveFrame(nil, 4, "o2", jt0.UnixNano(), lim1("k1")),
	}
	for _, tc := range []struct {
		name string
		// crash leaves the disk as a crash at that point would, on a
		// version 4 file with segment 1 of format 1 (frames above).
		crash func(t *testing.T, path string, id []byte)
	}{
		{"before the raise", func(t *testing.T, path string, id []byte) {}},
		{"after the raise", func(t *testing.T, path string, id []byte) {
			setVersion(t, path, strconv.Itoa(schemaCommitFrames))
		}},
		{"during the new segment's creation", func(t *testing.T, path string, id []byte) {
			setVersion(t, path, strconv.Itoa(schemaCommitFrames))
			if err := os.WriteFile(path+tmpRotate, segHeader(id)[:5], 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"after the new segment's creation", func(t *testing.T, path string, id []byte) {
			setVersion(t, path, strconv.Itoa(schemaCommitFrames))
			if err := os.WriteFile(segName(path, 2), segHeader(id), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "v4.db")
			s := mustOpen(t, path, Options{})
			s.Close()
			setVersion(t, path, "4")
			id := storeJournalID(t, path)
			if err := os.WriteFile(segName(path, 1), v1Segment(id, frames...), 0o600); err != nil {
				t.Fatal(err)
			}
			tc.crash(t, path, id)

			s = mustOpen(t, path, Options{})
			if got, want := usages(t, s, 2, jt0), []int{1, 1, 2}; !equalInts(got, want) {
				s.Close()
				t.Fatalf("usages = %v, want %v", got, want)
			}
			mustReserve(t, s, "n0", jt0, lim1("k0"))
			s.Close()
			if v := schemaOf(t, path); v != strconv.Itoa(schemaCommitFrames) {
				t.Errorf("schema version %s, want %d", v, schemaCommitFrames)
			}
			if nums := segFiles(t, path); len(nums) != 2 {
				t.Errorf("segments %v, want the old one and one with commit frames", nums)
			}
			if _, err := os.Stat(path + tmpRotate); !os.IsNotExist(err) {
				t.Errorf("temporary segment %s left: %v", path+tmpRotate, err)
			}
			s = mustOpen(t, path, Options{})
			defer s.Close()
			if got, want := usages(t, s, 2, jt0), []int{2, 1, 3}; !equalInts(got, want) {
				t.Fatalf("usages after a reopen = %v, want %v", got, want)
			}
		})
	}
}
