package boltstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/storage"
)

// bucketComplaints holds complaints: key = id, value = JSON of complaint.Complaint.
var bucketComplaints = []byte("complaints")

// bucketComplaintIndex lists complaints in the listing order, for
// ListComplaintsAfter without a callee: one empty-valued key per complaint,
//
//	placed   = 0x01 | uint64 Unix seconds of ReceivedAt, sign bit flipped | uint32 nanoseconds | id
//	unplaced = 0x00 | id
//
// both big-endian, so that keys sort as (receipt instant, id in byte order)
// over every instant a time.Time holds. A complaint whose JSON does not say
// when it was received (it does not decode) is unplaced: every page reads
// it first, and fails on it as a scan would. The index is written in the
// transaction of every complaint write; Open builds it when metaComplaintIndex
// is missing (a file of an older build) and rebuilds it when it does not
// hold one key per complaint (an older build added complaints since).
var bucketComplaintIndex = []byte("complaints.by_receipt")

// metaComplaintIndex marks bucketComplaintIndex complete: Open writes it in
// the transaction that builds the index, after the index.
var metaComplaintIndex = []byte("complaints.by_receipt")

// complaintIndexFormat is metaComplaintIndex's value: the key layout above.
// A file whose marker says otherwise has its index rebuilt.
const complaintIndexFormat = "1"

const (
	idxUnplaced = 0x00
	idxPlaced   = 0x01
	idxPrefix   = 1 + 8 + 4 // tag, seconds, nanoseconds
)

// bucketComplaintCallee lists each callee's complaints in the listing
// order, for ListComplaints and ListComplaintsAfter with a callee filter
// (complaint.RecordingHolds asks one on every recording registration): one
// empty-valued key per complaint,
//
//	placed   = 0x01 | uvarint length of Callee | Callee (or its SHA-256) | receipt index key (0x01 | seconds | nanoseconds | id)
//	unplaced = 0x00 | id
//
// The length prefix makes a callee's keys a range no other callee's key
// falls in ("h:1" and "h:10" included), ordered as the receipt index. A
// callee longer than calleeInKey bytes (a bbolt key holds at most 32 KiB)
// is written as its SHA-256 after its length; a listing checks each
// complaint's callee in any case (complaint.Filter.Matches). A
// complaint whose JSON does not decode, or that names no callee, may be
// about anyone: it is unplaced, and every callee's listing reads it first
// and fails on it. Written and built as bucketComplaintIndex is, but an
// entry under one callee whose complaint names another, or names none or
// no longer decodes, is not rebuilt away: no build changes a complaint's
// callee behind the index, so its callee was damaged, that callee's
// listing fails on it (see complaintPage), and the entry is the only
// trace of whom it was about (RepairComplaint keeps that callee).
var bucketComplaintCallee = []byte("complaints.by_callee")

// metaComplaintCallee marks bucketComplaintCallee complete, as
// metaComplaintIndex marks the receipt index.
var metaComplaintCallee = []byte("complaints.by_callee")

// complaintCalleeFormat is metaComplaintCallee's value: the key layout above.
const complaintCalleeFormat = "1"

// bucketComplaintsReplaced keeps, as evidence, the damaged complaints
// RepairComplaint replaced: key = an 8-byte big-endian sequence number then
// the complaint's id, value = the bytes that were stored, verbatim. Nothing
// reads it; an operator inspects it with the bbolt tool (docs/deploy.md).
// Older builds ignore it.
var bucketComplaintsReplaced = []byte("complaints.replaced")

// complaintIndex is one of the complaint index buckets.
type complaintIndex struct {
	bucket, marker []byte
	format         string
	// key is a sound complaint's key.
	key func(c complaint.Complaint) []byte
	// stored is the key of the complaint stored as raw under id (raw may
	// be damaged).
	stored func(id, raw []byte) []byte
	// prefix, when set, is the start of every key a listing with filter f
	// reads (the callee's).
	prefix func(f complaint.Filter) []byte
}

var (
	byReceipt = complaintIndex{
		bucket: bucketComplaintIndex, marker: metaComplaintIndex, format: complaintIndexFormat,
		key:    func(c complaint.Complaint) []byte { return receiptKey(c.ReceivedAt, c.ID) },
		stored: storedIndexKey,
	}
	byCallee = complaintIndex{
		bucket: bucketComplaintCallee, marker: metaComplaintCallee, format: complaintCalleeFormat,
		key:    func(c complaint.Complaint) []byte { return calleeKey(c.Callee, c.ReceivedAt, c.ID) },
		stored: storedCalleeKey,
		prefix: func(f complaint.Filter) []byte { return calleePrefix(f.Callee) },
	}
	complaintIndexes = []complaintIndex{byReceipt, byCallee}
)

// errIndexStale is an index entry that disagrees with the complaints
// bucket: the listing rebuilds the index and reads again.
var errIndexStale = errors.New("the complaint index disagrees with the complaints")

var complaints = table[complaint.Complaint]{
	bucket: bucketComplaints, what: "complaint",
	id:       func(c complaint.Complaint) string { return c.ID },
	validate: complaint.Complaint.Validate,
	stored:   complaint.Complaint.ValidateStored,
	notFound: complaint.ErrNotFound, exists: complaint.ErrExists, invalid: complaint.ErrInvalid,
	indexes: []tableIndex[complaint.Complaint]{
		{bucket: byReceipt.bucket, key: byReceipt.key},
		{bucket: byCallee.bucket, key: byCallee.key},
	},
}

// receiptKey is the index key of a complaint received at t with id.
func receiptKey(t time.Time, id string) []byte {
	return appendReceiptKey(make([]byte, 0, idxPrefix+len(id)), t, id)
}

func appendReceiptKey(k []byte, t time.Time, id string) []byte {
	k = append(k, idxPlaced)
	k = binary.BigEndian.AppendUint64(k, uint64(t.Unix())^(1<<63))
	k = binary.BigEndian.AppendUint32(k, uint32(t.Nanosecond()))
	return append(k, id...)
}

// calleeInKey is the longest callee the callee index keys hold as it is;
// a longer one is keyed by its SHA-256.
const calleeInKey = 1024

// calleePrefix starts every callee index key of callee's complaints.
func calleePrefix(callee string) []byte {
	k := make([]byte, 0, 1+binary.MaxVarintLen64+min(len(callee), calleeInKey)+idxPrefix+16)
	k = append(k, idxPlaced)
	k = binary.AppendUvarint(k, uint64(len(callee)))
	if len(callee) > calleeInKey {
		sum := sha256.Sum256([]byte(callee))
		return append(k, sum[:]...)
	}
	return append(k, callee...)
}

// calleeKey is the callee index key of a complaint about callee received
// at t with id.
func calleeKey(callee string, t time.Time, id string) []byte {
	return appendReceiptKey(calleePrefix(callee), t, id)
}

// storedIndexKey is the index key of the complaint stored as raw under id:
// placed by its received_at when that decodes, unplaced otherwise.
func storedIndexKey(id, raw []byte) []byte {
	var v struct {
		ReceivedAt time.Time `json:"received_at"`
	}
	if json.Unmarshal(raw, &v) != nil {
		return append([]byte{idxUnplaced}, id...)
	}
	return receiptKey(v.ReceivedAt, string(id))
}

// storedCalleeKey is the callee index key of the complaint stored as raw
// under id: placed by its callee and received_at when those decode and it
// names a callee, unplaced otherwise.
func storedCalleeKey(id, raw []byte) []byte {
	var v struct {
		Callee     string    `json:"callee"`
		ReceivedAt time.Time `json:"received_at"`
	}
	if json.Unmarshal(raw, &v) != nil || v.Callee == "" {
		return append([]byte{idxUnplaced}, id...)
	}
	return calleeKey(v.Callee, v.ReceivedAt, string(id))
}

// buildIndex (re)builds the index ix from the complaints bucket within tx
// and marks it complete, last. bbolt commits a transaction whole or not at
// all, so a crash leaves the previous state (no marker: built at the next
// Open) or the complete index. A rebuild of the callee index keeps each
// entry of the old one under a callee whose complaint names another
// (damagedCallees): the complaint is then in the index twice, the index
// holds more entries than there are complaints, and Open rebuilds it
// (keeping the entry again) until the complaint is repaired.
func buildIndex(tx *bolt.Tx, ix complaintIndex) error {
	// Keys put in order: bbolt splits a bucket's pages at commit, so keys
	// put out of order into a new bucket are each inserted into one node
	// holding all the others (quadratic: seconds at 30,000 complaints).
	var keys [][]byte
	err := tx.Bucket(bucketComplaints).ForEach(func(id, raw []byte) error {
		keys = append(keys, ix.stored(id, raw))
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(keys, bytes.Compare)
	if old := tx.Bucket(ix.bucket); old != nil {
		if m := tx.Bucket(bucketMeta).Get(ix.marker); ix.prefix != nil && (m == nil || string(m) == ix.format) {
			kept, err := damagedCallees(old, tx.Bucket(bucketComplaints), ix, keys)
			if err != nil {
				return err
			}
			if len(kept) > 0 {
				keys = append(keys, kept...)
				slices.SortFunc(keys, bytes.Compare)
			}
		}
		if err := tx.DeleteBucket(ix.bucket); err != nil {
			return err
		}
	}
	idx, err := tx.CreateBucket(ix.bucket)
	if err != nil {
		return err
	}
	idx.FillPercent = 1 // written whole, in order: fill its pages
	for _, k := range keys {
		if err := idx.Put(k, nil); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketMeta).Put(ix.marker, []byte(ix.format))
}

// damagedCallees returns the keys of the callee index old (in the layout
// complaintCalleeFormat) that list a stored complaint under a callee other
// than the one it names, or under a callee when it names none or does not
// decode: the trace of a damaged callee, which a rebuild must not drop
// (see complaintPage, RepairComplaint). built is the new index's keys, in
// order: a key in it is where its complaint belongs, and decodes nothing.
func damagedCallees(old, byID *bolt.Bucket, ix complaintIndex, built [][]byte) ([][]byte, error) {
	var out [][]byte
	err := old.ForEach(func(k, _ []byte) error {
		if len(k) == 0 || k[0] != idxPlaced {
			return nil
		}
		if _, ok := slices.BinarySearchFunc(built, k, bytes.Compare); ok {
			return nil
		}
		callee, id, ok := calleeEntry(k)
		if !ok {
			return nil
		}
		raw := byID.Get(id)
		if raw == nil {
			return nil
		}
		// A complaint that no longer decodes, or names no callee, is
		// unplaced: its entry under a callee is the trace of whom it was
		// about, kept as well (RepairComplaint refuses another callee).
		if own := ix.stored(id, raw); own[0] != idxPlaced || !bytes.HasPrefix(own, callee) {
			out = append(out, bytes.Clone(k))
		}
		return nil
	})
	return out, err
}

// calleeEntry splits a placed callee index key into its callee's part
// (calleePrefix) and the complaint's id; ok is false for any other key.
func calleeEntry(k []byte) (callee, id []byte, ok bool) {
	if len(k) == 0 || k[0] != idxPlaced {
		return nil, nil, false
	}
	n, w := binary.Uvarint(k[1:])
	if w <= 0 {
		return nil, nil, false
	}
	size := sha256.Size // a callee longer than calleeInKey
	if n <= calleeInKey {
		size = int(n)
	}
	end := 1 + w + size
	if len(k) <= end+idxPrefix {
		return nil, nil, false
	}
	return k[:end], k[end+idxPrefix:], true
}

// ensureComplaintIndex builds each complaint index within Open's
// transaction when the file has none that is complete (a file of an older
// build), or when it does not hold one entry per complaint (an older
// build, which does not know the index, added complaints since; no build
// removes one). Counting walks the pages of the buckets and decodes
// nothing.
func ensureComplaintIndex(tx *bolt.Tx) error {
	n := -1
	for _, ix := range complaintIndexes {
		idx := tx.Bucket(ix.bucket)
		if string(tx.Bucket(bucketMeta).Get(ix.marker)) == ix.format && idx != nil {
			if n < 0 {
				n = tx.Bucket(bucketComplaints).Stats().KeyN
			}
			if idx.Stats().KeyN == n {
				continue
			}
		}
		if err := buildIndex(tx, ix); err != nil {
			return fmt.Errorf("build the complaint index %s: %w", ix.bucket, err)
		}
	}
	return nil
}

// CreateComplaint implements complaint.Store; durable before it returns.
func (s *Store) CreateComplaint(ctx context.Context, c complaint.Complaint) error {
	return tableCreate(ctx, s, "CreateComplaint", complaints, c)
}

// GetComplaint implements complaint.Store.
func (s *Store) GetComplaint(ctx context.Context, id string) (complaint.Complaint, error) {
	return tableGet(ctx, s, "GetComplaint", complaints, id)
}

// UpdateComplaint implements complaint.Store; durable before it returns. fn
// may run more than once if the group commit is retried. An update that
// changes ReceivedAt moves the complaint in the index, in the same
// transaction.
func (s *Store) UpdateComplaint(ctx context.Context, id string, fn func(*complaint.Complaint) error) error {
	return tableUpdate(ctx, s, "UpdateComplaint", complaints, id, fn)
}

// lastReplaced returns a copy of the damaged bytes the latest repair of the
// complaint id replaced (bucketComplaintsReplaced, keyed by the repair's
// sequence number then the id), or nil when it was never repaired. It reads
// the bucket whole (a repair is rare).
func lastReplaced(rb *bolt.Bucket, id []byte) []byte {
	var last []byte
	c := rb.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(k) == 8+len(id) && bytes.Equal(k[8:], id) {
			last = v
		}
	}
	return bytes.Clone(last)
}

// RepairComplaint implements complaint.Repairer; durable before it
// returns. The same repair again, the complaint stored still exactly c
// (complaint.Complaint.Equal) and the bytes a repair replaced kept, is a
// retry: it returns those bytes again and changes nothing. The complaint stored under c.ID is damaged when it does not
// decode or fails ValidateStored, or when the callee index lists it under
// another callee than the one its bytes name (the trace of a damaged
// callee, see complaintPage): such a trace is whom the complaint was
// about, and c must name that callee; without a trace, c must name the
// callee the damaged bytes do, when they name one. In one transaction the
// stored bytes are copied, verbatim, to bucketComplaintsReplaced, c is
// stored, and every entry of the id in both indexes (the trace, an
// unplaced entry, an entry the damaged bytes placed) is replaced by c's;
// finding them reads both indexes whole (a repair is rare).
func (s *Store) RepairComplaint(ctx context.Context, c complaint.Complaint) ([]byte, error) {
	const op = "RepairComplaint"
	if err := s.domainArgs(ctx, op); err != nil {
		return nil, err
	}
	if err := c.ValidateRepair(); err != nil {
		return nil, err
	}
	var (
		replaced []byte
		derr     error
	)
	err := s.batch(op, func(tx *bolt.Tx) error {
		replaced, derr = nil, nil
		b, id := tx.Bucket(bucketComplaints), []byte(c.ID)
		raw := b.Get(id)
		if raw == nil {
			derr = fmt.Errorf("boltstore: complaint %s: %w", c.ID, complaint.ErrNotFound)
			return nil
		}
		entries := make([][][]byte, len(complaintIndexes))
		for i, ix := range complaintIndexes {
			var err error
			if entries[i], err = complaintEntries(tx.Bucket(ix.bucket), ix, id); err != nil {
				return err
			}
		}
		// traces: the callee index's entries under another callee than
		// the one the stored bytes name (any callee, when they name none).
		own := byCallee.stored(id, raw)
		var traces [][]byte
		for i, ix := range complaintIndexes {
			for _, k := range entries[i] {
				callee, _, ok := calleeEntry(k)
				if ix.prefix != nil && ok && (own[0] != idxPlaced || !bytes.HasPrefix(own, callee)) {
					traces = append(traces, callee)
				}
			}
		}
		if cur, err := complaints.decode(id, raw); err == nil && len(traces) == 0 {
			// The same repair again (its answer or record lost): the
			// bytes it replaced, kept, answered again; nothing changed.
			if prev := lastReplaced(tx.Bucket(bucketComplaintsReplaced), id); prev != nil && cur.Equal(c) {
				replaced = prev
				return nil
			}
			derr = fmt.Errorf("boltstore: complaint %s: %w", c.ID, complaint.ErrNotDamaged)
			return nil
		}
		// Whom the complaint is about, when the file still says: a trace,
		// else the callee the damaged bytes name (no trace: not damaged).
		known := traces
		if callee, _, ok := calleeEntry(own); ok && len(traces) == 0 {
			known = [][]byte{callee}
		}
		want := calleePrefix(c.Callee)
		for _, callee := range known {
			if !bytes.Equal(callee, want) {
				derr = fmt.Errorf("boltstore: complaint %s: %w: %s, but the complaint is about %s (the callee index lists it under "+
					"that callee, or its stored bytes name it): a repair keeps the callee whose recordings it holds", c.ID, complaint.ErrOtherCallee, c.Callee, calleeOfKey(callee))
				return nil
			}
		}
		rb := tx.Bucket(bucketComplaintsReplaced)
		seq, err := rb.NextSequence()
		if err != nil {
			return err
		}
		if err := rb.Put(append(binary.BigEndian.AppendUint64(nil, seq), id...), bytes.Clone(raw)); err != nil {
			return err
		}
		replaced = bytes.Clone(raw)
		if err := complaints.put(b, c); err != nil {
			return err
		}
		for i, ix := range complaintIndexes {
			idx := tx.Bucket(ix.bucket)
			for _, k := range entries[i] {
				if err := idx.Delete(k); err != nil {
					return err
				}
			}
			if err := idx.Put(ix.key(c), nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, derr
	}
	return replaced, nil
}

// complaintEntries returns the keys of the index ix (its bucket idx) that
// list the complaint id, placed or not, in order.
func complaintEntries(idx *bolt.Bucket, ix complaintIndex, id []byte) ([][]byte, error) {
	var out [][]byte
	err := idx.ForEach(func(k, _ []byte) error {
		var of []byte
		switch {
		case len(k) == 0:
		case k[0] == idxUnplaced:
			of = k[1:]
		case ix.prefix == nil && len(k) >= idxPrefix:
			of = k[idxPrefix:]
		case ix.prefix != nil:
			_, of, _ = calleeEntry(k)
		}
		if of != nil && bytes.Equal(of, id) {
			out = append(out, bytes.Clone(k))
		}
		return nil
	})
	return out, err
}

// calleeOfKey renders the callee of a callee index key's callee part
// (calleePrefix): the callee itself, or its SHA-256 for a long one.
func calleeOfKey(callee []byte) string {
	n, w := binary.Uvarint(callee[1:])
	if n > calleeInKey {
		return fmt.Sprintf("a callee of %d bytes with SHA-256 %x", n, callee[1+w:])
	}
	return fmt.Sprintf("%q", callee[1+w:])
}

// ListComplaints implements complaint.Store. With a callee in f it seeks
// that callee's complaints in the callee index (complaintList) and decodes
// those only; otherwise it scans every complaint.
func (s *Store) ListComplaints(ctx context.Context, f complaint.Filter) ([]complaint.Complaint, error) {
	if f.Callee != "" {
		return s.complaintList(ctx, "ListComplaints", byCallee, f, complaint.Position{}, 0)
	}
	out, err := tableList(ctx, s, "ListComplaints", complaints, f.Matches)
	complaint.SortComplaints(out)
	return out, err
}

// ListComplaintsAfter implements complaint.Store. It seeks the receipt index
// (the callee index for a callee in f) to the later of after and f.From and
// reads complaints in order until it has limit that match f or passes f.To:
// a page with the zero filter decodes limit complaints (plus any that do
// not decode at all, which fail it). A damaged complaint fails the page
// that reads it. An index entry that disagrees with its complaint (a file
// an older build wrote to, changing a receipt) rebuilds the index and
// reads the page again, except an entry under a callee whose complaint
// names another: it fails the page (storage.ErrCorrupt).
func (s *Store) ListComplaintsAfter(ctx context.Context, f complaint.Filter, after complaint.Position, limit int) ([]complaint.Complaint, error) {
	const op = "ListComplaintsAfter"
	if err := complaint.ValidateLimit(limit); err != nil {
		return nil, err
	}
	ix := byReceipt
	if f.Callee != "" {
		ix = byCallee
	}
	return s.complaintList(ctx, op, ix, f, after, limit)
}

// complaintList reads the complaints matching f after the Position after
// through the index ix, at most limit (0: all). An entry that disagrees
// with its complaint rebuilds ix and reads again.
func (s *Store) complaintList(ctx context.Context, op string, ix complaintIndex, f complaint.Filter, after complaint.Position, limit int) ([]complaint.Complaint, error) {
	if err := s.domainArgs(ctx, op); err != nil {
		return nil, err
	}
	var out []complaint.Complaint
	read := func(tx *bolt.Tx) (err error) {
		out, err = complaintPage(ctx, tx, ix, f, after, limit)
		return err
	}
	err := s.view(op, read)
	if errors.Is(err, errIndexStale) {
		if err := s.batch(op, func(tx *bolt.Tx) error { return buildIndex(tx, ix) }); err != nil {
			return nil, err
		}
		if err = s.view(op, read); errors.Is(err, errIndexStale) {
			return nil, fmt.Errorf("boltstore: %s: %w: %w after rebuilding it", op, storage.ErrCorrupt, errIndexStale)
		}
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// complaintPage reads complaints through the index ix: those matching f
// after the Position after, at most limit (0: all).
func complaintPage(ctx context.Context, tx *bolt.Tx, ix complaintIndex, f complaint.Filter, after complaint.Position, limit int) ([]complaint.Complaint, error) {
	byID := tx.Bucket(bucketComplaints)
	c := tx.Bucket(ix.bucket).Cursor()
	// Every key read starts with prefix: the callee's in the callee index.
	var prefix []byte
	if ix.prefix != nil {
		prefix = ix.prefix(f)
	}
	// misplaced is the error of the complaint id listed under k but
	// belonging under own. A complaint listed under the callee asked for
	// that names another callee fails the listing and is not rebuilt away:
	// no build changes a complaint's callee behind the index (Desk never
	// changes it; the builds without the index do not open schema 5), so
	// its callee was damaged, and the entry is the only trace of whom it
	// is about; a recording of that callee must not go without its hold.
	// Any other disagreement (a receipt an older build moved, an entry
	// left by a damage since replaced) rebuilds the index.
	misplaced := func(k, own, id []byte) error {
		if prefix != nil && bytes.HasPrefix(k, prefix) && own[0] == idxPlaced && !bytes.HasPrefix(own, prefix) {
			return &storage.RecordError{Kind: complaints.what, Key: string(id), Err: errors.New("names another callee than the one the callee index lists it under: " +
				"its callee was damaged; every listing of the callee it is listed under fails until the complaint is repaired")}
		}
		return fmt.Errorf("%w: complaint %q is listed out of place", errIndexStale, id)
	}
	// read decodes the complaint an index entry names and checks that the
	// entry is where the complaint belongs.
	read := func(k, id []byte) (complaint.Complaint, error) {
		raw := byID.Get(id)
		if raw == nil {
			return complaint.Complaint{}, fmt.Errorf("%w: complaint %q is listed but not stored", errIndexStale, id)
		}
		v, err := complaints.decode(id, raw)
		if err != nil {
			if own := ix.stored(id, raw); !bytes.Equal(own, k) {
				return v, misplaced(k, own, id)
			}
			return v, err
		}
		if own := ix.key(v); !bytes.Equal(own, k) {
			return v, misplaced(k, own, id)
		}
		return v, nil
	}
	// A complaint listed as undecodable (or, in the callee index, about no
	// callee) fails every listing: read returns its decode error, or
	// errIndexStale when it decodes and is placed.
	if k, _ := c.Seek([]byte{idxUnplaced}); k != nil && k[0] == idxUnplaced {
		if _, err := read(k, k[1:]); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: complaint %q is listed as undecodable", errIndexStale, k[1:])
	}

	keyAt := func(t time.Time, id string) []byte { return appendReceiptKey(slices.Clip(prefix), t, id) }
	start := append(slices.Clip(prefix), idxPlaced)
	var skip []byte // the key of after itself, which the page starts past
	if !after.IsZero() {
		start = keyAt(after.ReceivedAt, after.ID)
		skip = start
	}
	if !f.From.IsZero() {
		if from := keyAt(f.From, ""); bytes.Compare(from, start) > 0 {
			start, skip = from, nil
		}
	}
	var to []byte
	if !f.To.IsZero() {
		to = keyAt(f.To, "")
	}
	head := len(prefix) + idxPrefix // the id starts here
	var out []complaint.Complaint
	n := 0
	for k, _ := c.Seek(start); k != nil && len(k) > len(prefix) && k[len(prefix)] == idxPlaced && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if len(k) <= head {
			return nil, fmt.Errorf("%w: index key %x is too short", errIndexStale, k)
		}
		if to != nil && bytes.Compare(k[:head], to) >= 0 {
			break
		}
		if skip != nil && bytes.Equal(k, skip) {
			continue
		}
		if n++; n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		v, err := read(k, k[head:])
		if err != nil {
			return nil, err
		}
		if f.Matches(v) {
			if out = append(out, v); len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

var (
	_ complaint.Store    = (*Store)(nil)
	_ complaint.Repairer = (*Store)(nil)
)
