package dnc

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cnMobiles returns n distinct synthetic Chinese mobile numbers (as Uint64
// keys) spread over the 130–199 network codes, deterministic for seed.
func cnMobiles(n int, seed uint64) []uint64 {
	r := rand.New(rand.NewPCG(seed, 1))
	seen := make(map[uint64]struct{}, n)
	out := make([]uint64, 0, n)
	for len(out) < n {
		v := 86_000_000_000_00 + 13_000_000_000 + r.Uint64N(7_000_000_000)
		if _, ok := seen[v]; ok {
			continue
		}
		seen[v] = struct{}{}
		out = append(out, v)
	}
	return out
}

func TestSetContains(t *testing.T) {
	vs := cnMobiles(50_000, 1)
	// Add a dense segment and edge suffixes.
	for i := uint64(0); i < 10000; i += 3 {
		vs = append(vs, 8613900130000+i) // every third number of 号段 1390013
	}
	vs = append(vs, 8613800138000, 8613800130000, 8613800139999, 12125550100, 12125550199)
	set := NewSet(slices.Clone(vs))
	in := make(map[uint64]bool, len(vs))
	for _, v := range vs {
		in[v] = true
	}
	if set.Len() != len(in) {
		t.Fatalf("Len = %d, want %d", set.Len(), len(in))
	}
	for v := range in {
		if !set.Contains(v) {
			t.Fatalf("Contains(%d) = false for a member", v)
		}
	}
	r := rand.New(rand.NewPCG(2, 2))
	for i := 0; i < 200_000; i++ {
		v := 8613000000000 + r.Uint64N(7_000_000_000)
		if set.Contains(v) != in[v] {
			t.Fatalf("Contains(%d) = %v, want %v", v, !in[v], in[v])
		}
	}
	for _, v := range []uint64{8613800138001, 8613800129999, 12125550101, 1, 999_999_999_999_999} {
		if set.Contains(v) != in[v] {
			t.Errorf("Contains(%d) wrong", v)
		}
	}
	var got []uint64
	set.All(func(v uint64) bool { got = append(got, v); return true })
	want := make([]uint64, 0, len(in))
	for v := range in {
		want = append(want, v)
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("All returned %d values, want %d in order", len(got), len(want))
	}
	var empty Set
	if empty.Contains(8613800138000) || empty.Len() != 0 {
		t.Fatal("zero Set not empty")
	}
}

func TestSetBuilderErrors(t *testing.T) {
	var b SetBuilder
	if err := b.Add(8613800138001); err != nil {
		t.Fatal(err)
	}
	if err := b.Add(8613800138001); err != nil {
		t.Fatalf("duplicate: %v", err)
	}
	if err := b.Add(8613800138000); !errors.Is(err, ErrUnsorted) {
		t.Fatalf("descending add: got %v, want ErrUnsorted", err)
	}
	for _, v := range []uint64{0, 1_000_000_000_000_000} {
		if err := b.Add(v); err == nil {
			t.Errorf("Add(%d) accepted", v)
		}
	}
}

func testHeader() Header {
	return Header{Name: "cn-test", Scope: "global", Source: "unit test",
		CreatedAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), AsOf: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)}
}

func writeTestSnapshot(t testing.TB, vs []uint64) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := WriteSnapshot(&buf, testHeader(), NewSet(slices.Clone(vs))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSnapshotRoundTrip(t *testing.T) {
	vs := cnMobiles(20_000, 3)
	data := writeTestSnapshot(t, vs)
	path := filepath.Join(t.TempDir(), "s.dnc")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	read, err := ReadSnapshot(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	mapped, err := OpenSnapshot(path)
	if err != nil {
		t.Fatal(err)
	}
	fromFile, err := ReadSnapshotFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Snapshot{read, mapped, fromFile} {
		if s.Header.Count != len(vs) || s.Len() != len(vs) || s.Header.Name != "cn-test" || len(s.Header.SHA256) != 64 {
			t.Fatalf("header %+v", s.Header)
		}
		for _, v := range vs {
			if !s.ContainsUint64(v) {
				t.Fatalf("snapshot lost %d", v)
			}
		}
		if s.ContainsUint64(vs[0]+1) && !slices.Contains(vs, vs[0]+1) {
			t.Fatal("snapshot invents a number")
		}
	}
}

func TestSnapshotCorrupt(t *testing.T) {
	data := writeTestSnapshot(t, cnMobiles(500, 4))
	cases := map[string][]byte{
		"empty":      nil,
		"magic":      append([]byte("XIALDNC\n"), data[8:]...),
		"truncated":  data[:len(data)-9],
		"header cut": data[:20],
		"trailing":   append(slices.Clone(data), 0),
	}
	flip := slices.Clone(data)
	flip[len(flip)-3] ^= 0x40
	cases["body bit flip"] = flip
	hdr := slices.Clone(data)
	i := bytes.Index(hdr, []byte(`"count":500`))
	copy(hdr[i:], `"count":501`)
	cases["header count"] = hdr
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := ReadSnapshot(bytes.NewReader(b))
			if err == nil || s != nil {
				t.Fatalf("ReadSnapshot accepted a %s file", name)
			}
			if !errors.Is(err, ErrCorruptSnapshot) {
				t.Fatalf("error %v does not wrap ErrCorruptSnapshot", err)
			}
			path := filepath.Join(t.TempDir(), "c.dnc")
			os.WriteFile(path, b, 0o644)
			if s, err := OpenSnapshot(path); err == nil || s != nil {
				t.Fatalf("OpenSnapshot accepted a %s file", name)
			}
		})
	}
	// A newer format is a distinct error.
	nv := slices.Clone(data)
	nv[8] = 9
	if _, err := ReadSnapshot(bytes.NewReader(nv)); !errors.Is(err, ErrSnapshotTooNew) {
		t.Fatalf("future format: %v", err)
	}
}

func FuzzReadSnapshot(f *testing.F) {
	good := writeTestSnapshot(f, cnMobiles(40, 5))
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(writeTestSnapshot(f, nil))
	f.Add(formatV1(f, testHeader(), cnMobiles(10, 5))) // refused: no header SHA-256
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ReadSnapshot(bytes.NewReader(b))
		// The memory-mapped path (OpenSnapshot) parses the file in place:
		// it must accept and refuse exactly what ReadSnapshot does.
		aligned := u64Bytes(make([]uint64, (len(b)+7)/8))[:len(b)]
		copy(aligned, b)
		m, merr := snapshotFromBytes(aligned)
		if (err == nil) != (merr == nil) {
			t.Fatalf("ReadSnapshot err %v, snapshotFromBytes err %v", err, merr)
		}
		if err != nil {
			if s != nil || m != nil {
				t.Fatal("snapshot returned with an error")
			}
			return
		}
		if m.Header != s.Header || m.Len() != s.Len() {
			t.Fatalf("headers or lengths differ: %+v / %+v", m.Header, s.Header)
		}
		// Accepted: it must be exactly what its header says, and self-consistent.
		if s.Len() != s.Header.Count {
			t.Fatalf("Len %d, header count %d", s.Len(), s.Header.Count)
		}
		n := 0
		s.Set().All(func(v uint64) bool {
			n++
			if !s.ContainsUint64(v) {
				t.Fatalf("member %d not found", v)
			}
			return true
		})
		if n != s.Len() {
			t.Fatalf("All yields %d, Len %d", n, s.Len())
		}
	})
}

func TestBuildSetExternal(t *testing.T) {
	vs := cnMobiles(30_000, 6)
	var sb strings.Builder
	sb.WriteString("# registry copy\n\n")
	for i, v := range vs {
		sb.WriteString("+" + strconv.FormatUint(v, 10) + "\n")
		if i%7 == 0 { // duplicates across chunks
			sb.WriteString(strconv.FormatUint(v, 10) + "\r\n")
		}
	}
	csv := "number,name\n\"+8613800138000\",x\n8613800138001,y\n"
	set, st, err := BuildSet(context.Background(), []Source{{"a.txt", strings.NewReader(sb.String())}, {"b.csv", strings.NewReader(csv)}},
		BuildOptions{ChunkNumbers: 4096, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if st.Runs < 5 {
		t.Fatalf("expected spilled runs, got %d", st.Runs)
	}
	want := len(vs) + 2
	if set.Len() != want || st.Distinct != want {
		t.Fatalf("Len %d Distinct %d, want %d", set.Len(), st.Distinct, want)
	}
	for _, v := range append(vs, 8613800138000, 8613800138001) {
		if !set.Contains(v) {
			t.Fatalf("lost %d", v)
		}
	}
	if st.Skipped != 3 { // comment, blank, CSV header
		t.Fatalf("Skipped = %d, want 3", st.Skipped)
	}
}

// TestSetIndexKinds checks both block indexes against a map: the directory
// (keys of one numbering plan, dense) and the hash table (keys far apart),
// including block key 0 and the largest key.
func TestSetIndexKinds(t *testing.T) {
	dense := cnMobiles(20_000, 11)
	sparse := append(cnMobiles(5_000, 12), 1, 9999, 10000, 2_559_999, 12125550100, 447700900123, 999_999_999_999_999, 999_999_999_990_000)
	for _, tc := range []struct {
		name    string
		vs      []uint64
		wantDir bool
	}{
		{"directory", dense, true},
		{"hash", sparse, false},
		{"one", []uint64{8613800138000}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set := NewSet(slices.Clone(tc.vs))
			if got := set.dir != nil; got != tc.wantDir {
				t.Fatalf("directory index = %v, want %v (%d keys)", got, tc.wantDir, len(set.keys))
			}
			// The snapshot reader derives the same index.
			snap, err := ReadSnapshot(bytes.NewReader(writeTestSnapshot(t, tc.vs)))
			if err != nil {
				t.Fatal(err)
			}
			in := map[uint64]bool{}
			for _, v := range tc.vs {
				in[v] = true
			}
			probe := func(v uint64) {
				if got := set.Contains(v); got != in[v] {
					t.Fatalf("Contains(%d) = %v, want %v", v, got, in[v])
				}
				if got := snap.ContainsUint64(v); got != in[v] {
					t.Fatalf("snapshot Contains(%d) = %v, want %v", v, got, in[v])
				}
			}
			r := rand.New(rand.NewPCG(3, 3))
			for _, v := range tc.vs {
				probe(v)
				probe(v + 1)
				probe(v - 1)
				probe(v ^ (1 << r.IntN(40)))
			}
			for range 100_000 {
				probe(8613000000000 + r.Uint64N(7_000_000_000))
				probe(1 + r.Uint64N(999_999_999_999_999))
			}
			for _, v := range []uint64{0, 1, 2, 10_000, 999_999_999_999_999, 1 << 63, ^uint64(0)} {
				probe(v)
			}
		})
	}
}

// A copy's data cannot be current after the copy was built: a header whose
// as_of lies after its created_at (a typo in --as-of, an edited header; the
// header is not covered by the body's SHA-256) would be judged fresh for the
// profile's maximum age from that later instant, long after the data it
// holds was too old. Such a header is refused when written and when read.
func TestSnapshotAsOfAfterCreatedAt(t *testing.T) {
	h := testHeader() // created 2026-12-01, as of 2026-11-30
	bad := h
	bad.AsOf = h.CreatedAt.AddDate(1, 0, 0)
	if _, err := WriteSnapshot(&bytes.Buffer{}, bad, NewSet([]uint64{8613800138000})); err == nil || !strings.Contains(err.Error(), "as_of") {
		t.Fatalf("WriteSnapshot with as_of a year after created_at: err = %v, want an error naming as_of", err)
	}
	// Clock skew up to FutureSkew is tolerated.
	skewed := h
	skewed.AsOf = h.CreatedAt.Add(FutureSkew)
	if _, err := WriteSnapshot(&bytes.Buffer{}, skewed, nil); err != nil {
		t.Fatalf("as_of FutureSkew after created_at: %v", err)
	}
	// An edited header: as_of moved a year on, same length.
	data := writeTestSnapshot(t, []uint64{8613800138000})
	i := bytes.Index(data, []byte(`"as_of":"2026-11-30`))
	if i < 0 {
		t.Fatal("as_of not found in the header")
	}
	copy(data[i:], `"as_of":"2027-11-30`)
	path := filepath.Join(t.TempDir(), "edited.dnc")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSnapshot(bytes.NewReader(data)); !errors.Is(err, ErrCorruptSnapshot) {
		t.Fatalf("ReadSnapshot of a header with as_of after created_at: %v, want ErrCorruptSnapshot", err)
	}
	if _, err := OpenSnapshot(path); !errors.Is(err, ErrCorruptSnapshot) {
		t.Fatalf("OpenSnapshot of a header with as_of after created_at: %v, want ErrCorruptSnapshot", err)
	}
}

// TestWriteSnapshotStreamsBody covers the memory a snapshot's write takes:
// at registry scale the body is gigabytes (about 2 bytes a number), and
// encoding it whole before hashing and writing it doubled the peak of
// `dialgate dnc build` (the set and its copy). The body is hashed and
// written in small pieces: the write allocates far less than the body.
func TestWriteSnapshotStreamsBody(t *testing.T) {
	set := NewSet(cnMobiles(1_000_000, 11))
	var buf bytes.Buffer
	h, err := WriteSnapshot(&buf, testHeader(), set)
	if err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	h2, err := WriteSnapshot(io.Discard, testHeader(), set)
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&ms)
	if got := ms.TotalAlloc - before; got > uint64(h.BodyBytes)/8 {
		t.Errorf("WriteSnapshot allocated %d bytes for a body of %d", got, h.BodyBytes)
	}
	if h2 != h {
		t.Errorf("headers differ: %+v / %+v", h2, h)
	}
	// What it wrote is the snapshot: it reads back, the same set.
	s, err := ReadSnapshot(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if s.Header != h || s.Len() != set.Len() {
		t.Fatalf("read back %+v (%d numbers), wrote %+v (%d)", s.Header, s.Len(), h, set.Len())
	}
	n := 0
	set.All(func(v uint64) bool {
		if !s.ContainsUint64(v) {
			t.Fatalf("%d lost", v)
		}
		n++
		return true
	})
	if n != set.Len() {
		t.Fatalf("All gave %d of %d", n, set.Len())
	}
	// A nil set is the empty set, as for WriteSnapshot: no panic.
	if e, err := NewSnapshot(testHeader(), nil); err != nil || e.Len() != 0 || e.Header.Count != 0 {
		t.Errorf("NewSnapshot(nil) = %+v, %v", e, err)
	}
	// A failing writer is an error, never a short file taken as written.
	if _, err := WriteSnapshot(&failAfter{n: 1 << 12}, testHeader(), set); err == nil {
		t.Fatal("a writer failing mid-body: no error")
	}
}

// failAfter is a writer that fails once n bytes were written.
type failAfter struct{ n int }

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k := f.n
		f.n = 0
		return k, io.ErrShortWrite
	}
	f.n -= len(p)
	return len(p), nil
}
