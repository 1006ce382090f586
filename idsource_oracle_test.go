package dialgate

import (
	"crypto/aes"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"testing"
)

// idSourceOracle is newIDSource as it was before its cipher blocks were
// pooled (both on the heap for every id), from a given seed: the test
// oracle of the decision ids.
func idSourceOracle(t *testing.T, seed [24]byte) func() string {
	block, err := aes.NewCipher(seed[:16])
	if err != nil {
		t.Fatal(err)
	}
	prefix := binary.BigEndian.Uint64(seed[16:])
	var n atomic.Uint64
	return func() string {
		var in, out [aes.BlockSize]byte
		binary.BigEndian.PutUint64(in[:8], prefix)
		binary.BigEndian.PutUint64(in[8:], n.Add(1))
		block.Encrypt(out[:], in[:])
		var id [3 + 26]byte
		copy(id[:], "dg-")
		idEncoding.Encode(id[3:], out[:])
		return string(id[:])
	}
}

// TestIDSourceOracle: from the same seed, the pooled id source gives the
// oracle's ids in the same order, for several seeds, and distinct ids to
// concurrent callers (run with -race).
func TestIDSourceOracle(t *testing.T) {
	for s := range 8 {
		var seed [24]byte
		for i := range seed {
			seed[i] = byte(s*31 + i*7)
		}
		got, err := newIDSourceSeed(seed)
		if err != nil {
			t.Fatal(err)
		}
		want := idSourceOracle(t, seed)
		for i := range 5000 {
			if g, w := got(), want(); g != w {
				t.Fatalf("seed %d, id %d: %q, the oracle says %q", s, i, g, w)
			}
		}
	}
	ids, err := newIDSource()
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu   sync.Mutex
		seen = map[string]bool{}
		wg   sync.WaitGroup
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 500 {
				id := ids()
				mu.Lock()
				if seen[id] {
					t.Errorf("id %q given twice", id)
				}
				seen[id] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}
