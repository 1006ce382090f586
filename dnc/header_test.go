package dnc

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// readBoth reads b with ReadSnapshot and, written to a file, with
// OpenSnapshot (memory-mapped where the platform allows), and returns both
// errors.
func readBoth(t *testing.T, b []byte) (readErr, openErr error) {
	t.Helper()
	s, readErr := ReadSnapshot(bytes.NewReader(b))
	if readErr == nil && s == nil {
		t.Fatal("ReadSnapshot returned neither a snapshot nor an error")
	}
	path := filepath.Join(t.TempDir(), "h.dnc")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	_, openErr = OpenSnapshot(path)
	return readErr, openErr
}

// The header (as_of, created_at, name, scope, count, the body's SHA-256) was
// outside every hash: the body's SHA-256 is in it and covers only the body.
// An as_of moved later by one digit (bit rot, a careless edit, a copy tool)
// made a stale copy look fresh for a month, and a changed name or scope made
// a copy serve as a list it is not. Every byte before the body is now
// covered by the header's own SHA-256, checked on every read and open.
func TestSnapshotHeaderTamper(t *testing.T) {
	h := testHeader()
	h.AsOf = time.Date(2026, 10, 30, 0, 0, 0, 0, time.UTC) // a month old at created_at
	var buf bytes.Buffer
	if _, err := WriteSnapshot(&buf, h, NewSet(cnMobiles(300, 21))); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if _, err := ReadSnapshot(bytes.NewReader(data)); err != nil {
		t.Fatalf("the untouched copy: %v", err)
	}
	edit := func(from, to string) []byte {
		t.Helper()
		if len(from) != len(to) {
			t.Fatalf("edit %q → %q changes the length", from, to)
		}
		b := slices.Clone(data)
		i := bytes.Index(b, []byte(from))
		if i < 0 {
			t.Fatalf("%q not in the header", from)
		}
		copy(b[i:], to)
		return b
	}
	cases := map[string][]byte{
		// Still before created_at: only a hash over the header catches it.
		"as_of a month later": edit(`"as_of":"2026-10-30`, `"as_of":"2026-11-30`),
		"created_at":          edit(`"created_at":"2026-12-01`, `"created_at":"2026-12-02`),
		"name":                edit(`"name":"cn-test"`, `"name":"cn-tesz"`),
		"scope":               edit(`"scope":"global"`, `"scope":"GLOBAL"`),
		"source":              edit(`"source":"unit test"`, `"source":"unit tesz"`),
	}
	// One bit of the header's own SHA-256.
	hlen := binary.LittleEndian.Uint32(data[12:16])
	sum := slices.Clone(data)
	sum[16+hlen+5] ^= 0x01
	cases["header checksum"] = sum
	// The zero padding between the header and the body.
	if pad := align8(16+uint64(hlen)+32) - (16 + uint64(hlen) + 32); pad > 0 {
		p := slices.Clone(data)
		p[16+hlen+32] = 1
		cases["padding"] = p
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			readErr, openErr := readBoth(t, b)
			for _, err := range []error{readErr, openErr} {
				if !errors.Is(err, ErrCorruptSnapshot) {
					t.Fatalf("a snapshot with its %s edited: err = %v, want ErrCorruptSnapshot", name, err)
				}
				if !strings.Contains(err.Error(), "header") {
					t.Fatalf("error %q does not say the header failed", err)
				}
			}
		})
	}
}

// The header's SHA-256 is written, returned by WriteSnapshot and read back.
func TestSnapshotHeaderSHA256(t *testing.T) {
	var buf bytes.Buffer
	hw, err := WriteSnapshot(&buf, testHeader(), NewSet(cnMobiles(50, 22)))
	if err != nil {
		t.Fatal(err)
	}
	if len(hw.HeaderSHA256) != 64 {
		t.Fatalf("WriteSnapshot header_sha256 %q, want 64 hex digits", hw.HeaderSHA256)
	}
	s, err := ReadSnapshot(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if s.Header != hw {
		t.Fatalf("read header %+v, written %+v", s.Header, hw)
	}
	if v := binary.LittleEndian.Uint32(buf.Bytes()[8:12]); v != formatVersion || formatVersion < 2 {
		t.Fatalf("format version %d written, formatVersion %d", v, formatVersion)
	}
}

// A format-1 snapshot (no header checksum) is refused with an error that
// says to rebuild it: its header cannot be told from an edited one.
func TestSnapshotFormat1Refused(t *testing.T) {
	v1 := formatV1(t, testHeader(), cnMobiles(40, 23))
	readErr, openErr := readBoth(t, v1)
	for _, err := range []error{readErr, openErr} {
		if !errors.Is(err, ErrSnapshotTooOld) {
			t.Fatalf("format-1 snapshot: err = %v, want ErrSnapshotTooOld", err)
		}
		if !strings.Contains(err.Error(), "dialgate dnc build") {
			t.Fatalf("error %q does not say to rebuild with dialgate dnc build", err)
		}
	}
}

// formatV1 returns the bytes of a format-1 snapshot of vs: the format-2
// file with version 1 in its preamble and no header checksum.
func formatV1(t testing.TB, h Header, vs []uint64) []byte {
	t.Helper()
	var buf bytes.Buffer
	hh, err := WriteSnapshot(&buf, h, NewSet(slices.Clone(vs)))
	if err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	hlen := binary.LittleEndian.Uint32(b[12:16])
	body := b[len(b)-int(hh.BodyBytes):]
	json := b[16 : 16+hlen]
	json = bytes.Replace(json, []byte(`"dialgate.dnc.snapshot.v2"`), []byte(`"dialgate.dnc.snapshot.v1"`), 1)
	out := []byte(snapshotMagic)
	out = binary.LittleEndian.AppendUint32(out, 1)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(json)))
	out = append(out, json...)
	for len(out)%8 != 0 {
		out = append(out, 0)
	}
	return append(out, body...)
}

// FuzzReadHeader: the header parser (preamble, JSON, header checksum,
// padding) never panics, and whatever it accepts is exactly what the full
// readers accept as a header.
func FuzzReadHeader(f *testing.F) {
	good := writeTestSnapshot(f, cnMobiles(20, 24))
	f.Add(good)
	f.Add(good[:40])
	hlen := binary.LittleEndian.Uint32(good[12:16])
	f.Add(good[:16+hlen+32])
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := ReadHeader(bytes.NewReader(b))
		if err != nil {
			if !errors.Is(err, ErrCorruptSnapshot) && !errors.Is(err, ErrSnapshotTooNew) && !errors.Is(err, ErrSnapshotTooOld) {
				t.Fatalf("ReadHeader error %v wraps none of the snapshot errors", err)
			}
			return
		}
		if n%8 != 0 || n > int64(len(b)) {
			t.Fatalf("ReadHeader read %d bytes of %d", n, len(b))
		}
		if len(h.HeaderSHA256) != 64 || len(h.SHA256) != 64 || h.Schema != SnapshotSchema {
			t.Fatalf("accepted header %+v", h)
		}
		if s, err := ReadSnapshot(bytes.NewReader(b)); err == nil && s.Header != h {
			t.Fatalf("ReadHeader %+v, ReadSnapshot %+v", h, s.Header)
		}
	})
}

// seal returns a format-2 head around the header JSON js: preamble, js, its
// SHA-256 and padding, as WriteSnapshot writes them.
func seal(js []byte) []byte {
	b := []byte(snapshotMagic)
	b = binary.LittleEndian.AppendUint32(b, formatVersion)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(js)))
	b = append(b, js...)
	sum := sha256.Sum256(b)
	b = append(b, sum[:]...)
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	return b
}

// FuzzReadSealedHeader fuzzes the header's JSON behind a valid header
// SHA-256 (which random bytes almost never have), so the JSON checks —
// schema, sha256, scope, created_at, as_of, shrink_from, unknown keys — are
// reached: they never panic, and an accepted header is well formed.
func FuzzReadSealedHeader(f *testing.F) {
	good := writeTestSnapshot(f, cnMobiles(20, 25))
	hlen := binary.LittleEndian.Uint32(good[12:16])
	f.Add(slices.Clone(good[16 : 16+hlen]))
	f.Add([]byte(`{"schema":"dialgate.dnc.snapshot.v2","name":"x","created_at":"2026-12-01T00:00:00Z","count":0,"prefixes":0,"body_bytes":40,"sha256":"` + strings.Repeat("0", 64) + `","shrink_from":"0123456789abcdef"}`))
	f.Add([]byte(`{"schema":"dialgate.dnc.snapshot.v2","as_of":"2027-01-01T00:00:00Z","created_at":"2026-12-01T00:00:00Z"}`))
	f.Fuzz(func(t *testing.T, js []byte) {
		if len(js) == 0 || len(js) > maxHeaderLen {
			return
		}
		h, n, err := ReadHeader(bytes.NewReader(seal(js)))
		if err != nil {
			if !errors.Is(err, ErrCorruptSnapshot) {
				t.Fatalf("error %v does not wrap ErrCorruptSnapshot", err)
			}
			if !strings.Contains(err.Error(), "header") {
				t.Fatalf("error %q does not say the header failed", err)
			}
			return
		}
		if uint64(n) != headLen(uint32(len(js))) {
			t.Fatalf("read %d bytes, head is %d", n, headLen(uint32(len(js))))
		}
		if h.Schema != SnapshotSchema || len(h.SHA256) != 64 || h.CreatedAt.IsZero() || checkAsOf(h) != nil || checkShrinkFrom(h.ShrinkFrom) != nil {
			t.Fatalf("accepted header %+v", h)
		}
	})
}

// A header's shrink_from names one copy by its Version: anything else is
// refused when written (and, behind a valid header SHA-256, when read:
// FuzzReadSealedHeader).
func TestSnapshotShrinkFrom(t *testing.T) {
	for _, v := range []string{"0123456789ABCDEF", "0123456789abcde", "0123456789abcdefg", "zz23456789abcdef"} {
		h := testHeader()
		h.ShrinkFrom = v
		if _, err := WriteSnapshot(&bytes.Buffer{}, h, nil); err == nil || !strings.Contains(err.Error(), "shrink_from") {
			t.Errorf("shrink_from %q: err = %v, want an error naming shrink_from", v, err)
		}
	}
	h := testHeader()
	h.ShrinkFrom = "0123456789abcdef"
	var buf bytes.Buffer
	if _, err := WriteSnapshot(&buf, h, NewSet(cnMobiles(10, 26))); err != nil {
		t.Fatal(err)
	}
	s, err := ReadSnapshot(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if s.Header.ShrinkFrom != h.ShrinkFrom {
		t.Fatalf("shrink_from read back %q, want %q", s.Header.ShrinkFrom, h.ShrinkFrom)
	}
}
