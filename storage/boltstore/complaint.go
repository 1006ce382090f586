package boltstore

import (
	"bytes"
	"context"
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
// ListComplaintsAfter: one empty-valued key per complaint,
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

// errIndexStale is an index entry that disagrees with the complaints
// bucket: ListComplaintsAfter rebuilds the index and reads the page again.
var errIndexStale = errors.New("the complaint index disagrees with the complaints")

var complaints = table[complaint.Complaint]{
	bucket: bucketComplaints, what: "complaint",
	id:       func(c complaint.Complaint) string { return c.ID },
	validate: complaint.Complaint.Validate,
	stored:   complaint.Complaint.ValidateStored,
	notFound: complaint.ErrNotFound, exists: complaint.ErrExists, invalid: complaint.ErrInvalid,
	index:    bucketComplaintIndex,
	indexKey: func(c complaint.Complaint) []byte { return receiptKey(c.ReceivedAt, c.ID) },
}

// receiptKey is the index key of a complaint received at t with id.
func receiptKey(t time.Time, id string) []byte {
	k := make([]byte, 0, idxPrefix+len(id))
	k = append(k, idxPlaced)
	k = binary.BigEndian.AppendUint64(k, uint64(t.Unix())^(1<<63))
	k = binary.BigEndian.AppendUint32(k, uint32(t.Nanosecond()))
	return append(k, id...)
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

// buildComplaintIndex (re)builds the index from the complaints bucket within
// tx and marks it complete, last. bbolt commits a transaction whole or not at
// all, so a crash leaves the previous state (no marker: built at the next
// Open) or the complete index.
func buildComplaintIndex(tx *bolt.Tx) error {
	if tx.Bucket(bucketComplaintIndex) != nil {
		if err := tx.DeleteBucket(bucketComplaintIndex); err != nil {
			return err
		}
	}
	idx, err := tx.CreateBucket(bucketComplaintIndex)
	if err != nil {
		return err
	}
	// Keys put in order: bbolt splits a bucket's pages at commit, so keys
	// put out of order into a new bucket are each inserted into one node
	// holding all the others (quadratic: seconds at 30,000 complaints).
	var keys [][]byte
	err = tx.Bucket(bucketComplaints).ForEach(func(id, raw []byte) error {
		keys = append(keys, storedIndexKey(id, raw))
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(keys, bytes.Compare)
	idx.FillPercent = 1 // written whole, in order: fill its pages
	for _, k := range keys {
		if err := idx.Put(k, nil); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketMeta).Put(metaComplaintIndex, []byte(complaintIndexFormat))
}

// ensureComplaintIndex builds the index within Open's transaction when the
// file has none that is complete (a file of an older build), or when it does
// not hold one entry per complaint (an older build, which does not know the
// index, added complaints since; no build removes one). Counting walks the
// pages of both buckets and decodes nothing.
func ensureComplaintIndex(tx *bolt.Tx) error {
	idx := tx.Bucket(bucketComplaintIndex)
	if string(tx.Bucket(bucketMeta).Get(metaComplaintIndex)) == complaintIndexFormat && idx != nil &&
		idx.Stats().KeyN == tx.Bucket(bucketComplaints).Stats().KeyN {
		return nil
	}
	if err := buildComplaintIndex(tx); err != nil {
		return fmt.Errorf("build the complaint index: %w", err)
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

// ListComplaints implements complaint.Store. It scans every complaint.
func (s *Store) ListComplaints(ctx context.Context, f complaint.Filter) ([]complaint.Complaint, error) {
	out, err := tableList(ctx, s, "ListComplaints", complaints, f.Matches)
	complaint.SortComplaints(out)
	return out, err
}

// ListComplaintsAfter implements complaint.Store. It seeks the receipt index
// to the later of after and f.From and reads complaints in order until it has
// limit that match f or passes f.To: a page with the zero filter decodes
// limit complaints (plus any that do not decode at all, which fail it). A
// damaged complaint fails the page that reads it. An index entry that
// disagrees with its complaint (a file an older build wrote to, changing a
// receipt) rebuilds the index and reads the page again.
func (s *Store) ListComplaintsAfter(ctx context.Context, f complaint.Filter, after complaint.Position, limit int) ([]complaint.Complaint, error) {
	const op = "ListComplaintsAfter"
	if err := complaint.ValidateLimit(limit); err != nil {
		return nil, err
	}
	if err := s.domainArgs(ctx, op); err != nil {
		return nil, err
	}
	var out []complaint.Complaint
	read := func(tx *bolt.Tx) (err error) {
		out, err = complaintPage(ctx, tx, f, after, limit)
		return err
	}
	err := s.view(op, read)
	if errors.Is(err, errIndexStale) {
		if err := s.batch(op, buildComplaintIndex); err != nil {
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

// complaintPage reads one page of ListComplaintsAfter through the index.
func complaintPage(ctx context.Context, tx *bolt.Tx, f complaint.Filter, after complaint.Position, limit int) ([]complaint.Complaint, error) {
	byID := tx.Bucket(bucketComplaints)
	c := tx.Bucket(bucketComplaintIndex).Cursor()
	// read decodes the complaint an index entry names and checks that the
	// entry is where the complaint belongs.
	read := func(k, id []byte) (complaint.Complaint, error) {
		raw := byID.Get(id)
		if raw == nil {
			return complaint.Complaint{}, fmt.Errorf("%w: complaint %q is listed but not stored", errIndexStale, id)
		}
		v, err := complaints.decode(id, raw)
		if err != nil {
			if !bytes.Equal(storedIndexKey(id, raw), k) {
				return v, fmt.Errorf("%w: complaint %q is listed out of place", errIndexStale, id)
			}
			return v, err
		}
		if !bytes.Equal(receiptKey(v.ReceivedAt, v.ID), k) {
			return v, fmt.Errorf("%w: complaint %q is listed out of place", errIndexStale, id)
		}
		return v, nil
	}
	// A complaint listed as undecodable fails every page: read returns its
	// decode error, or errIndexStale when it decodes (its key is placed).
	if k, _ := c.Seek([]byte{idxUnplaced}); k != nil && k[0] == idxUnplaced {
		if _, err := read(k, k[1:]); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: complaint %q is listed as undecodable", errIndexStale, k[1:])
	}

	start := []byte{idxPlaced}
	var skip []byte // the key of after itself, which the page starts past
	if !after.IsZero() {
		start = receiptKey(after.ReceivedAt, after.ID)
		skip = start
	}
	if !f.From.IsZero() {
		if from := receiptKey(f.From, ""); bytes.Compare(from, start) > 0 {
			start, skip = from, nil
		}
	}
	var to []byte
	if !f.To.IsZero() {
		to = receiptKey(f.To, "")
	}
	var out []complaint.Complaint
	n := 0
	for k, _ := c.Seek(start); k != nil && k[0] == idxPlaced; k, _ = c.Next() {
		if len(k) <= idxPrefix {
			return nil, fmt.Errorf("%w: index key %x is too short", errIndexStale, k)
		}
		if to != nil && bytes.Compare(k[:idxPrefix], to) >= 0 {
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
		v, err := read(k, k[idxPrefix:])
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

var _ complaint.Store = (*Store)(nil)
