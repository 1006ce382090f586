package boltstore_test

import (
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/boltstore"
)

// A damaged journal record must not be read as absent: that would count one
// call fewer and let a capped dial through. The store still opens (its other
// domains are intact), but Usage and Reserve fail with ErrCorrupt (the
// frequency check then denies).
func TestCorruptCounterRecordIsNotAbsent(t *testing.T) {
	for name, damage := range map[string]func(v []byte) []byte{
		"short":     func([]byte) []byte { return []byte{1, 2, 3} },
		"version":   func(v []byte) []byte { v[0] = 9; return v },
		"truncated": func(v []byte) []byte { return v[:len(v)-3] },
		"expiry":    func(v []byte) []byte { v[12]++; return v },
		"trailing":  func(v []byte) []byte { return append(v, 0) },
	} {
		t.Run(name, func(t *testing.T) {
			path := validFile(t) // one reservation under key "k", window 1h, max 1
			damageFirstReservation(t, path, damage)
			before := snapshotDir(t, filepath.Dir(path))
			s, err := boltstore.Open(path, boltstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			lim := []storage.Limit{{Key: "k", Window: time.Hour, Max: 1}}
			ctx := context.Background()
			if us, err := s.Usage(ctx, tRef.Add(time.Minute), lim); !errors.Is(err, storage.ErrCorrupt) {
				t.Errorf("Usage over a damaged record = %+v, %v; want ErrCorrupt", us, err)
			}
			if ok, us, err := s.Reserve(ctx, "b", tRef.Add(time.Minute), lim); ok || !errors.Is(err, storage.ErrCorrupt) {
				t.Errorf("Reserve over a damaged record = %v, %+v, %v; want ErrCorrupt", ok, us, err)
			}
			if _, err := s.ExpireCounters(ctx, tRef.Add(48*time.Hour)); !errors.Is(err, storage.ErrCorrupt) {
				t.Errorf("ExpireCounters over a damaged record = %v; want ErrCorrupt (it must not delete what it cannot read)", err)
			}
			s.Close()
			if after := snapshotDir(t, filepath.Dir(path)); !maps.Equal(after, before) {
				t.Errorf("Open or Close changed the journal of a store whose counters are damaged")
			}
		})
	}
}

// damageFirstReservation rewrites the reservation in the first frame of
// segment 1 of the store at path with damage, and fixes the frame's length
// and checksum and the commit frame of its batch (the frame after it), so
// that the frame reads, its batch is committed, and its payload does not
// decode. Layout: header of 28 bytes, then frames: uint32 length | uint32
// CRC-32C | payload; a reserve payload is type 1 | uint64 seq |
// reservation, a commit payload type 4 | uint32 frames | uint64 bytes |
// uint32 CRC-32C of the batch's frames.
func damageFirstReservation(t *testing.T, path string, damage func([]byte) []byte) {
	t.Helper()
	name := path + ".counters.0000000001"
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	const hdr = 28
	l := binary.BigEndian.Uint32(b[hdr:])
	payload := b[hdr+8 : hdr+8+int(l)]
	if payload[0] != 1 {
		t.Fatalf("first frame has type %d, want a reserve (1)", payload[0])
	}
	rest := b[hdr+8+int(l):]
	const commitLen = 8 + 17
	if len(rest) < commitLen || binary.BigEndian.Uint32(rest) != 17 || rest[8] != 4 {
		t.Fatalf("the first frame is not followed by the commit frame of its batch")
	}
	rest = rest[commitLen:]
	castagnoli := crc32.MakeTable(crc32.Castagnoli)
	p := append(append([]byte(nil), payload[:9]...), damage(append([]byte(nil), payload[9:]...))...)
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(p)))
	frame = binary.BigEndian.AppendUint32(frame, crc32.Checksum(p, castagnoli))
	frame = append(frame, p...)
	commit := []byte{4}
	commit = binary.BigEndian.AppendUint32(commit, 1)
	commit = binary.BigEndian.AppendUint64(commit, uint64(len(frame)))
	commit = binary.BigEndian.AppendUint32(commit, crc32.Checksum(frame, castagnoli))
	out := append([]byte(nil), b[:hdr]...)
	out = append(out, frame...)
	out = binary.BigEndian.AppendUint32(out, uint32(len(commit)))
	out = binary.BigEndian.AppendUint32(out, crc32.Checksum(commit, castagnoli))
	out = append(append(out, commit...), rest...)
	if err := os.WriteFile(name, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// snapshotDir returns the contents of every file in dir whose name has
// ".counters", by name.
func snapshotDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range ents {
		if !strings.Contains(e.Name(), ".counters") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}
