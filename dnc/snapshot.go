package dnc

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"runtime"
	"strings"
	"time"
	"unsafe"

	"github.com/dialgate/dialgate"
)

// SnapshotSchema is the schema name in every snapshot header.
const SnapshotSchema = "dialgate.dnc.snapshot.v2"

// snapshotMagic starts every snapshot file; formatVersion follows it.
//
// The file is: the preamble (snapshotMagic, formatVersion as a little-endian
// uint32, the header's length as a little-endian uint32), the header (JSON,
// Header), the header's SHA-256 (32 bytes: of the preamble and the header,
// Header.HeaderSHA256), zero bytes up to a multiple of 8, and the body (the
// set, whose SHA-256 is Header.SHA256). Format 1 had no header SHA-256.
const (
	snapshotMagic = "DIALDNC\n"
	formatVersion = 2
	maxHeaderLen  = 1 << 20
	blockSize     = 40 // bytes of one encoded block
)

// Snapshot errors. Every error from ReadSnapshot, ReadHeader and
// OpenSnapshot wraps ErrCorruptSnapshot when the file is damaged, truncated
// or inconsistent (its header, the header's SHA-256 or its body), and says
// which part failed.
var (
	ErrCorruptSnapshot = errors.New("dnc: corrupt snapshot")
	// ErrSnapshotTooNew is wrapped when a snapshot was written by a newer format.
	ErrSnapshotTooNew = errors.New("dnc: snapshot format too new")
	// ErrSnapshotTooOld is wrapped when a snapshot was written in format 1,
	// whose header (as_of, name, scope, count) no hash covers: an edited or
	// damaged header could not be told from the one built, so such a file
	// is refused; rebuild it from its lists with `dialgate dnc build`.
	ErrSnapshotTooOld = errors.New("dnc: snapshot format too old")
)

// Header describes a snapshot: what it holds, where it came from and when.
// It is stored as JSON at the start of the file.
type Header struct {
	// Schema is SnapshotSchema.
	Schema string `json:"schema"`
	// Name names the registry or list ("us-national", "cn-platform-finance").
	Name string `json:"name"`
	// Scope is the scope the list applies in ("global" when empty).
	Scope string `json:"scope,omitempty"`
	// Source says where the numbers came from (file names, registry download id).
	Source string `json:"source,omitempty"`
	// AsOf is the instant the registry data is current as of; staleness is
	// measured from it. Zero means CreatedAt. It may not lie after CreatedAt
	// (by more than FutureSkew): such a header is refused.
	AsOf time.Time `json:"as_of,omitzero"`
	// CreatedAt is when the snapshot was built.
	CreatedAt time.Time `json:"created_at"`
	// Count is the number of numbers in the snapshot.
	Count int `json:"count"`
	// Prefixes is the number of distinct prefixes (segments).
	Prefixes int `json:"prefixes"`
	// BodyBytes is the length of the body that follows the header.
	BodyBytes int64 `json:"body_bytes"`
	// SHA256 is the hex SHA-256 of the body.
	SHA256 string `json:"sha256"`
	// ShrinkFrom, when set, is the Version of the one copy of the registry
	// this copy may replace although it lists fewer numbers than a
	// reloader's shrink guard allows (`dialgate serve`'s
	// registry_max_shrink): the operator's record that the shrink is
	// intended (`dialgate dnc build --accept-shrink-from`). It names one
	// copy, so it accepts no shrink from any other.
	ShrinkFrom string `json:"shrink_from,omitempty"`

	// HeaderSHA256 is the hex SHA-256 of the preamble and the header's JSON
	// as written, stored after the JSON (not in it) and verified on every
	// read and open. WriteSnapshot and the readers fill it in; it is not
	// an input.
	HeaderSHA256 string `json:"-"`
}

// Version returns a short version string: the first 16 hex digits of SHA256.
func (h Header) Version() string {
	if len(h.SHA256) < 16 {
		return h.SHA256
	}
	return h.SHA256[:16]
}

// Effective returns AsOf, or CreatedAt when AsOf is zero.
func (h Header) Effective() time.Time {
	if h.AsOf.IsZero() {
		return h.CreatedAt
	}
	return h.AsOf
}

// Snapshot is a loaded registry snapshot: its header and its exact set. It is
// immutable and safe for concurrent use. A memory-mapped snapshot is unmapped
// when it becomes unreachable, so a snapshot swapped out while checks still
// read it stays valid for them.
type Snapshot struct {
	Header Header // the snapshot's header, with Count, Prefixes, BodyBytes and SHA256 filled in
	set    Set
	m      *mapping // the file a memory-mapped snapshot reads; nil in memory
}

// NewSnapshot returns an in-memory snapshot of set with header h; Count,
// Prefixes, BodyBytes and SHA256 are computed. A nil set is the empty set.
func NewSnapshot(h Header, set *Set) (*Snapshot, error) {
	if set == nil {
		set = &Set{}
	}
	hh, err := WriteSnapshot(io.Discard, h, set)
	if err != nil {
		return nil, err
	}
	return &Snapshot{Header: hh, set: *set}, nil
}

// Contains reports whether n is in the snapshot. A memory-mapped snapshot
// whose file was truncated under it faults here (SIGBUS, which ends the
// process); Lookup, which the Registry uses, turns that into an error.
func (s *Snapshot) Contains(n dialgate.Number) bool {
	ok := s.set.Contains(n.Uint64())
	runtime.KeepAlive(s)
	return ok
}

// ContainsUint64 reports whether the number with E.164 digits v is in the snapshot.
func (s *Snapshot) ContainsUint64(v uint64) bool {
	ok := s.set.Contains(v)
	runtime.KeepAlive(s)
	return ok
}

// Len returns the number of numbers in the snapshot.
func (s *Snapshot) Len() int { return s.set.Len() }

// Set returns the snapshot's set. The set stays valid while the Snapshot is
// reachable; keep the Snapshot, not only the Set.
func (s *Snapshot) Set() *Set { return &s.set }

// WriteSnapshot writes set to w as a snapshot file with header h. It fills in
// h's Schema, Count, Prefixes, BodyBytes, SHA256 and HeaderSHA256 and returns
// the header written. CreatedAt must be set by the caller (time is an input).
//
// The body is encoded twice in small pieces, once to hash it (the header,
// written first, holds its SHA-256) and once to write it: it is never held
// whole in memory, which at registry scale would double the memory of a
// build (about 2 bytes a number: gigabytes for 10⁹ numbers).
func WriteSnapshot(w io.Writer, h Header, set *Set) (Header, error) {
	if set == nil {
		set = &Set{}
	}
	if h.CreatedAt.IsZero() {
		return h, errors.New("dnc: snapshot header: created_at missing")
	}
	if err := checkAsOf(h); err != nil {
		return h, fmt.Errorf("dnc: snapshot header: %w", err)
	}
	if h.Scope != "" {
		if _, err := ParseScope(h.Scope); err != nil {
			return h, fmt.Errorf("dnc: snapshot header: %w", err)
		}
	}
	if err := checkShrinkFrom(h.ShrinkFrom); err != nil {
		return h, fmt.Errorf("dnc: snapshot header: %w", err)
	}
	sum := sha256.New()
	n, _ := writeBody(sum, set) // a hash never fails
	if want := int64(bodyLen(len(set.keys), set.Prefixes(), len(set.suffixes))); n != want {
		return h, fmt.Errorf("dnc: snapshot body: encoded %d bytes, its arrays need %d", n, want)
	}
	h.Schema = SnapshotSchema
	h.Count = set.Len()
	h.Prefixes = set.Prefixes()
	h.BodyBytes = n
	h.SHA256 = hex.EncodeToString(sum.Sum(nil))
	hj, err := json.Marshal(h)
	if err != nil {
		return h, fmt.Errorf("dnc: snapshot header: %w", err)
	}
	if len(hj) > maxHeaderLen {
		return h, fmt.Errorf("dnc: snapshot header: %d bytes, at most %d", len(hj), maxHeaderLen)
	}
	pre := make([]byte, 0, headLen(uint32(len(hj))))
	pre = append(pre, snapshotMagic...)
	pre = binary.LittleEndian.AppendUint32(pre, formatVersion)
	pre = binary.LittleEndian.AppendUint32(pre, uint32(len(hj)))
	pre = append(pre, hj...)
	hsum := sha256.Sum256(pre)
	pre = append(pre, hsum[:]...)
	for len(pre)%8 != 0 {
		pre = append(pre, 0)
	}
	h.HeaderSHA256 = hex.EncodeToString(hsum[:])
	if _, err := w.Write(pre); err != nil {
		return h, fmt.Errorf("dnc: write snapshot: %w", err)
	}
	if _, err := writeBody(w, set); err != nil {
		return h, fmt.Errorf("dnc: write snapshot: %w", err)
	}
	return h, nil
}

// bodyChunk is the size of the pieces writeBody encodes the body in.
const bodyChunk = 1 << 16

// bodyWriter encodes a body into w through a small buffer.
type bodyWriter struct {
	w   io.Writer
	buf []byte
	n   int64
	err error
}

// spill writes the buffer out when it is full (force: when it holds
// anything).
func (b *bodyWriter) spill(force bool) {
	if len(b.buf) == 0 || (!force && len(b.buf) < bodyChunk) {
		return
	}
	if b.err == nil {
		_, b.err = b.w.Write(b.buf)
	}
	b.n += int64(len(b.buf))
	b.buf = b.buf[:0]
}

func (b *bodyWriter) pad() {
	for (b.n+int64(len(b.buf)))%8 != 0 {
		b.buf = append(b.buf, 0)
	}
}

// writeBody writes the set's body to w, little-endian, 8-byte aligned:
// nkeys, nprefixes, nsuffixes, reserved (4×u64), keys, blocks, offsets, pad,
// suffixes, pad. It returns the bytes written.
func writeBody(w io.Writer, s *Set) (int64, error) {
	b := &bodyWriter{w: w, buf: make([]byte, 0, bodyChunk+64)}
	offsets := s.offsets
	if len(offsets) == 0 {
		offsets = []uint32{0}
	}
	b.buf = binary.LittleEndian.AppendUint64(b.buf, uint64(len(s.keys)))
	b.buf = binary.LittleEndian.AppendUint64(b.buf, uint64(s.Prefixes()))
	b.buf = binary.LittleEndian.AppendUint64(b.buf, uint64(len(s.suffixes)))
	b.buf = binary.LittleEndian.AppendUint64(b.buf, 0)
	for _, k := range s.keys {
		b.buf = binary.LittleEndian.AppendUint64(b.buf, k)
		b.spill(false)
	}
	for i := range s.blocks {
		bl := &s.blocks[i]
		b.buf = binary.LittleEndian.AppendUint32(b.buf, bl.base)
		b.buf = binary.LittleEndian.AppendUint32(b.buf, 0)
		for _, x := range bl.bits {
			b.buf = binary.LittleEndian.AppendUint64(b.buf, x)
		}
		b.spill(false)
	}
	for _, o := range offsets {
		b.buf = binary.LittleEndian.AppendUint32(b.buf, o)
		b.spill(false)
	}
	b.pad()
	for _, x := range s.suffixes {
		b.buf = binary.LittleEndian.AppendUint16(b.buf, x)
		b.spill(false)
	}
	b.pad()
	b.spill(true)
	return b.n, b.err
}

func align8(n uint64) uint64 { return (n + 7) &^ 7 }

func bodyLen(nkeys, nprefixes, nsuffixes int) int {
	return int(32 + 8*uint64(nkeys) + blockSize*uint64(nkeys) + align8(4*uint64(nprefixes+1)) + align8(2*uint64(nsuffixes)))
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorruptSnapshot, fmt.Sprintf(format, args...))
}

// ReadSnapshot reads a whole snapshot from r, verifies its header's SHA-256,
// its body's SHA-256 and its structure, and returns it. A damaged, truncated
// or inconsistent snapshot is an error wrapping ErrCorruptSnapshot; it never
// yields an empty or partial set.
func ReadSnapshot(r io.Reader) (*Snapshot, error) {
	h, _, err := ReadHeader(r)
	if err != nil {
		return nil, err
	}
	if err := checkBodyBytes(h.BodyBytes); err != nil {
		return nil, err
	}
	// Read the body into 8-byte aligned memory, in chunks, so a lying header
	// cannot make us allocate more than the file holds plus one chunk.
	var words []uint64
	const chunk = 1 << 24
	var got int64
	for got < h.BodyBytes {
		n := min(h.BodyBytes-got, chunk)
		words = append(words, make([]uint64, n/8)...)
		dst := u64Bytes(words)[got : got+n]
		if _, err := io.ReadFull(r, dst); err != nil {
			return nil, corrupt("body truncated at byte %d of %d: %v", got, h.BodyBytes, err)
		}
		got += n
	}
	var extra [1]byte
	if n, _ := r.Read(extra[:]); n != 0 {
		return nil, corrupt("trailing bytes after the body")
	}
	return newSnapshotFromBody(h, u64Bytes(words))
}

// ReadSnapshotFile reads the snapshot file at path into memory.
func ReadSnapshotFile(path string) (*Snapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dnc: %w", err)
	}
	defer f.Close()
	s, err := ReadSnapshot(bufioReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// ReadHeader reads and verifies a snapshot's preamble, header and header
// SHA-256 from r, without its body, and returns the header and the bytes
// read (r is then at the body). It does not verify the body: use it to look
// at a snapshot (its name, as_of, count, version), not to load one. A
// damaged header is an error wrapping ErrCorruptSnapshot that names the
// part that failed; a format-1 file wraps ErrSnapshotTooOld.
func ReadHeader(r io.Reader) (Header, int64, error) {
	var pre [16]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return Header{}, 0, corrupt("preamble: %v", err)
	}
	hlen, err := parsePreamble(pre[:])
	if err != nil {
		return Header{}, 0, err
	}
	n := headLen(hlen)
	head := make([]byte, n)
	copy(head, pre[:])
	if _, err := io.ReadFull(r, head[16:]); err != nil {
		return Header{}, 0, corrupt("header: %v", err)
	}
	h, err := decodeHead(head, hlen)
	if err != nil {
		return Header{}, 0, err
	}
	return h, int64(n), nil
}

// ReadHeaderFile reads and verifies the header of the snapshot file at path
// (ReadHeader): a look at a snapshot, not a load; its body is not read.
func ReadHeaderFile(path string) (Header, error) {
	f, err := os.Open(path)
	if err != nil {
		return Header{}, fmt.Errorf("dnc: %w", err)
	}
	defer f.Close()
	h, _, err := ReadHeader(f)
	if err != nil {
		return Header{}, fmt.Errorf("%s: %w", path, err)
	}
	return h, nil
}

// headLen is the length of a snapshot's preamble, header of hlen bytes,
// header SHA-256 and padding: the offset of its body.
func headLen(hlen uint32) uint64 { return align8(16 + uint64(hlen) + sha256.Size) }

// parsePreamble checks the magic and the format version of a snapshot's
// first 16 bytes and returns its header's length.
func parsePreamble(pre []byte) (uint32, error) {
	if string(pre[:8]) != snapshotMagic {
		return 0, corrupt("not a dialgate dnc snapshot (bad magic)")
	}
	v := binary.LittleEndian.Uint32(pre[8:12])
	if v > formatVersion {
		return 0, fmt.Errorf("%w: format %d, this build reads up to %d", ErrSnapshotTooNew, v, formatVersion)
	}
	if v == 1 {
		return 0, fmt.Errorf("%w: format 1 has no header SHA-256, so an edited or damaged as_of, name or scope cannot be told from the copy built; this build reads format %d only: rebuild the snapshot from its lists with `dialgate dnc build`",
			ErrSnapshotTooOld, formatVersion)
	}
	if v != formatVersion {
		return 0, corrupt("preamble: format version %d", v)
	}
	hlen := binary.LittleEndian.Uint32(pre[12:16])
	if hlen == 0 || hlen > maxHeaderLen {
		return 0, corrupt("preamble: header length %d out of range", hlen)
	}
	return hlen, nil
}

// decodeHead verifies head — a snapshot's first headLen(hlen) bytes:
// preamble, header JSON, header SHA-256, padding — and decodes its header.
// The SHA-256 is checked before the JSON is read: an edited header is
// reported as such, whatever it now says.
func decodeHead(head []byte, hlen uint32) (Header, error) {
	end := 16 + int(hlen)
	sum := sha256.Sum256(head[:end])
	if !bytes.Equal(sum[:], head[end:end+sha256.Size]) {
		return Header{}, corrupt("header SHA-256 does not match the preamble and header (the header was edited or damaged)")
	}
	for _, c := range head[end+sha256.Size:] {
		if c != 0 {
			return Header{}, corrupt("header padding is not zero")
		}
	}
	var h Header
	if err := decodeHeader(head[16:end], &h); err != nil {
		return Header{}, err
	}
	h.HeaderSHA256 = hex.EncodeToString(sum[:])
	return h, nil
}

func decodeHeader(b []byte, h *Header) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(h); err != nil {
		return corrupt("header: %v", err)
	}
	if h.Schema != SnapshotSchema {
		return corrupt("header: schema %q, want %q", h.Schema, SnapshotSchema)
	}
	if len(h.SHA256) != 64 {
		return corrupt("header: sha256 %q is not 64 hex digits", h.SHA256)
	}
	if _, err := hex.DecodeString(h.SHA256); err != nil {
		return corrupt("header: sha256: %v", err)
	}
	if h.Scope != "" {
		if _, err := ParseScope(h.Scope); err != nil {
			return corrupt("header: %v", err)
		}
	}
	if h.CreatedAt.IsZero() {
		return corrupt("header: created_at missing")
	}
	if err := checkBodyBytes(h.BodyBytes); err != nil {
		return err
	}
	if err := checkAsOf(*h); err != nil {
		return corrupt("header: %v", err)
	}
	if err := checkShrinkFrom(h.ShrinkFrom); err != nil {
		return corrupt("header: %v", err)
	}
	return nil
}

// checkShrinkFrom checks a header's shrink_from: empty, or a copy's
// Version (16 lower-case hex digits).
func checkShrinkFrom(v string) error {
	if v == "" {
		return nil
	}
	if len(v) != 16 || strings.Trim(v, "0123456789abcdef") != "" {
		return fmt.Errorf("shrink_from %q is not a snapshot version (16 lower-case hex digits)", v)
	}
	return nil
}

// checkAsOf refuses a header whose as_of lies after its created_at by more
// than FutureSkew: a copy's data cannot be current after the copy was built,
// and staleness is measured from as_of, so such a copy (a typo in the year,
// an edited header: the SHA-256 covers the body only) would be judged fresh
// for the profile's maximum age from an instant its data never reached.
func checkAsOf(h Header) error {
	if !h.AsOf.IsZero() && h.AsOf.After(h.CreatedAt.Add(FutureSkew)) {
		return fmt.Errorf("as_of %s is after created_at %s (a copy's data cannot be newer than the copy)",
			h.AsOf.UTC().Format(time.RFC3339), h.CreatedAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// checkBodyBytes refuses a header's body_bytes that no body has: shorter
// than its 32 bytes of array lengths, longer than 1 TiB, or not a multiple
// of 8.
func checkBodyBytes(n int64) error {
	if n < 32 || n > 1<<40 || n%8 != 0 {
		return corrupt("header: body_bytes %d out of range", n)
	}
	return nil
}

// newSnapshotFromBody verifies body (8-byte aligned) against h and builds the
// set as views into it (little-endian hosts) or copies (big-endian hosts).
func newSnapshotFromBody(h Header, body []byte) (*Snapshot, error) {
	if int64(len(body)) != h.BodyBytes {
		return nil, corrupt("body is %d bytes, header says %d", len(body), h.BodyBytes)
	}
	if err := checkBodyBytes(h.BodyBytes); err != nil {
		// Checked here, not only by ReadSnapshot: the memory-mapped path
		// reads the array lengths out of the first 32 bytes below, and a
		// shorter body under a matching SHA-256 panicked there.
		return nil, err
	}
	sum := sha256.Sum256(body)
	if hex.EncodeToString(sum[:]) != h.SHA256 {
		return nil, corrupt("body SHA-256 does not match the header")
	}
	nkeys := binary.LittleEndian.Uint64(body[0:])
	np := binary.LittleEndian.Uint64(body[8:])
	ns := binary.LittleEndian.Uint64(body[16:])
	if nkeys > uint64(len(body)) || np > uint64(len(body)) || ns > uint64(len(body)) || np > maxSetLen || ns > maxSetLen {
		return nil, corrupt("array lengths out of range")
	}
	if want := bodyLen(int(nkeys), int(np), int(ns)); want != len(body) {
		return nil, corrupt("body is %d bytes, its array lengths need %d", len(body), want)
	}
	if int(ns) != h.Count || int(np) != h.Prefixes {
		return nil, corrupt("header count %d / prefixes %d, body holds %d / %d", h.Count, h.Prefixes, ns, np)
	}
	off := uint64(32)
	var s Set
	s.keys = viewU64(body[off : off+8*nkeys])
	off += 8 * nkeys
	s.blocks = make([]block, nkeys)
	for i := range s.blocks {
		bb := body[off : off+blockSize]
		s.blocks[i].base = binary.LittleEndian.Uint32(bb)
		for w := range s.blocks[i].bits {
			s.blocks[i].bits[w] = binary.LittleEndian.Uint64(bb[8+8*w:])
		}
		s.blocks[i].fillCum()
		off += blockSize
	}
	s.offsets = viewU32(body[off : off+4*(np+1)])
	off += align8(4 * (np + 1))
	s.suffixes = viewU16(body[off : off+2*ns])
	s.count = int(ns)
	if err := s.validate(); err != nil {
		return nil, err
	}
	s.buildIndex()
	return &Snapshot{Header: h, set: s}, nil
}

// validate checks every structural invariant Contains relies on, so that a
// well-hashed but malformed file cannot make a lookup panic or lie.
func (s *Set) validate() error {
	var rank uint64
	for i, k := range s.keys {
		if k > maxKey {
			return corrupt("block key %d out of range", k)
		}
		if i > 0 && k <= s.keys[i-1] {
			return corrupt("block keys not strictly ascending at %d", i)
		}
		b := &s.blocks[i]
		if uint64(b.base) != rank {
			return corrupt("block %d rank %d, want %d", i, b.base, rank)
		}
		var c int
		for _, w := range b.bits {
			c += bits.OnesCount64(w)
		}
		if c == 0 {
			return corrupt("block %d is empty", i)
		}
		rank += uint64(c)
	}
	if rank != uint64(len(s.offsets)-1) {
		return corrupt("bitmaps hold %d prefixes, offsets %d", rank, len(s.offsets)-1)
	}
	if s.offsets[0] != 0 || uint64(s.offsets[len(s.offsets)-1]) != uint64(len(s.suffixes)) {
		return corrupt("offsets do not span the suffixes")
	}
	for r := 0; r+1 < len(s.offsets); r++ {
		a, b := s.offsets[r], s.offsets[r+1]
		if b <= a || uint64(b) > uint64(len(s.suffixes)) {
			return corrupt("prefix %d has an empty or out-of-range run", r)
		}
		run := s.suffixes[a:b]
		for j, x := range run {
			if x >= suffixMod {
				return corrupt("suffix %d out of range", x)
			}
			if j > 0 && x <= run[j-1] {
				return corrupt("suffixes of prefix %d not strictly ascending", r)
			}
		}
	}
	if len(s.keys) == 0 && len(s.suffixes) != 0 {
		return corrupt("suffixes without prefixes")
	}
	return nil
}

var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

func u64Bytes(w []uint64) []byte {
	if len(w) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&w[0])), len(w)*8)
}

func aligned(b []byte, a uintptr) bool {
	return len(b) == 0 || uintptr(unsafe.Pointer(&b[0]))%a == 0
}

func viewU64(b []byte) []uint64 {
	n := len(b) / 8
	if n == 0 {
		return nil
	}
	if littleEndian && aligned(b, 8) {
		return unsafe.Slice((*uint64)(unsafe.Pointer(&b[0])), n)
	}
	out := make([]uint64, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return out
}

func viewU32(b []byte) []uint32 {
	n := len(b) / 4
	if n == 0 {
		return nil
	}
	if littleEndian && aligned(b, 4) {
		return unsafe.Slice((*uint32)(unsafe.Pointer(&b[0])), n)
	}
	out := make([]uint32, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return out
}

func viewU16(b []byte) []uint16 {
	n := len(b) / 2
	if n == 0 {
		return nil
	}
	if littleEndian && aligned(b, 2) {
		return unsafe.Slice((*uint16)(unsafe.Pointer(&b[0])), n)
	}
	out := make([]uint16, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return out
}

// snapshotFromBytes decodes a whole snapshot file held in data (8-byte
// aligned, e.g. a memory mapping). The set views data; data must outlive it.
func snapshotFromBytes(data []byte) (*Snapshot, error) {
	if len(data) < 16 {
		return nil, corrupt("file is %d bytes", len(data))
	}
	hlen, err := parsePreamble(data[:16])
	if err != nil {
		return nil, err
	}
	start := headLen(hlen)
	if start > uint64(len(data)) {
		return nil, corrupt("header truncated")
	}
	h, err := decodeHead(data[:start], hlen)
	if err != nil {
		return nil, err
	}
	body := data[start:]
	if !aligned(body, 8) {
		return nil, corrupt("body not aligned")
	}
	return newSnapshotFromBody(h, body)
}

func bufioReader(f *os.File) io.Reader { return bufio.NewReaderSize(f, 1<<20) }
