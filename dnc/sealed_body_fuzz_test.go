package dnc

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// sealBody returns a whole snapshot file around body: a header whose
// count, prefixes, body_bytes and sha256 agree with body (as far as its
// array lengths can be read), sealed with its header SHA-256.
func sealBody(t testing.TB, body []byte) []byte {
	t.Helper()
	h := testHeader()
	h.Schema = SnapshotSchema
	if len(body) >= 24 {
		h.Prefixes = int(binary.LittleEndian.Uint64(body[8:]) & 0xffffffff)
		h.Count = int(binary.LittleEndian.Uint64(body[16:]) & 0xffffffff)
	}
	h.BodyBytes = int64(len(body))
	sum := sha256.Sum256(body)
	h.SHA256 = hex.EncodeToString(sum[:])
	js, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	return append(seal(js), body...)
}

// FuzzReadSealedBody fuzzes a snapshot's body behind valid header and body
// SHA-256s (which random bytes never have, so FuzzReadSnapshot stops at the
// body's hash): the structural checks (Set.validate) and the index built on
// load are reached. Neither reader panics, both accept and refuse the same
// files, and an accepted set answers every lookup, walk and sample without
// a panic and consistently: each number All yields is found by Contains,
// and the numbers next to it are found exactly when All yields them.
func FuzzReadSealedBody(f *testing.F) {
	for _, vs := range [][]uint64{cnMobiles(40, 5), nil, {12125550100, 12125550101, 447911123456, 8613800138000}} {
		b := writeTestSnapshot(f, vs)
		hlen := binary.LittleEndian.Uint32(b[12:16])
		f.Add(bytes.Clone(b[headLen(hlen):]))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > 1<<16 {
			return
		}
		file := sealBody(t, body)
		s, err := ReadSnapshot(bytes.NewReader(file))
		aligned := u64Bytes(make([]uint64, (len(file)+7)/8))[:len(file)]
		copy(aligned, file)
		m, merr := snapshotFromBytes(aligned)
		if (err == nil) != (merr == nil) {
			t.Fatalf("ReadSnapshot err %v, snapshotFromBytes err %v", err, merr)
		}
		if err != nil {
			return
		}
		for _, snap := range []*Snapshot{s, m} {
			members := map[uint64]bool{}
			snap.Set().All(func(v uint64) bool {
				members[v] = true
				return true
			})
			if len(members) != snap.Len() {
				t.Fatalf("All yields %d distinct numbers, Len %d", len(members), snap.Len())
			}
			for v := range members {
				if !snap.ContainsUint64(v) {
					t.Fatalf("member %d not found", v)
				}
				for _, w := range []uint64{v - 1, v + 1, v + suffixMod, v - suffixMod} {
					if snap.ContainsUint64(w) != members[w] {
						t.Fatalf("Contains(%d) = %v, All yields it: %v", w, !members[w], members[w])
					}
				}
			}
			for _, k := range []int{1, 3, 1000} {
				vs, err := snap.Sample(k)
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range vs {
					if !members[v] {
						t.Fatalf("Sample(%d) yields %d, not a member", k, v)
					}
				}
				if miss, err := snap.Missing(vs); err != nil || miss != 0 {
					t.Fatalf("Missing(own sample) = %d, %v", miss, err)
				}
			}
		}
	})
}

// A snapshot whose header seals a body shorter than the body's own
// 32-byte preamble (array lengths) is refused as corrupt by every reader:
// memory-mapped (OpenSnapshot, as `dialgate serve` loads and reloads its
// registry files, and `dnc info`) as in memory. OpenSnapshot read the
// lengths out of the short body and panicked (index out of range, not a
// memory fault, so re-raised: the process crashed).
func TestSnapshotShortSealedBody(t *testing.T) {
	for _, n := range []int{0, 8, 16, 24} {
		file := sealBody(t, make([]byte, n))
		rerr, oerr := readBoth(t, file)
		for _, err := range []error{rerr, oerr} {
			if !errors.Is(err, ErrCorruptSnapshot) {
				t.Errorf("body of %d bytes: err = %v, want ErrCorruptSnapshot", n, err)
			}
		}
	}
}

// ReadHeader, which `dnc build --accept-shrink-from FILE` reads a copy's
// version with, refuses the header of such a body as the full readers do.
func TestReadHeaderShortBody(t *testing.T) {
	for _, n := range []int{0, 8, 24} {
		if _, _, err := ReadHeader(bytes.NewReader(sealBody(t, make([]byte, n)))); !errors.Is(err, ErrCorruptSnapshot) || !strings.Contains(err.Error(), "body_bytes") {
			t.Errorf("body of %d bytes: ReadHeader err = %v, want ErrCorruptSnapshot naming body_bytes", n, err)
		}
	}
}
