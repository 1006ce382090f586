package boltstore

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dialgate/dialgate/complaint"
)

// idxComplaint is a sound complaint received at t.
func idxComplaint(id string, t time.Time) complaint.Complaint {
	return complaint.Complaint{
		ID: id, Tenant: "acme", Callee: "h:" + id, Scope: "global", Channel: complaint.ChannelPhone,
		ReceivedAt: t, ForwardBy: t.Add(72 * time.Hour), HandleBy: t.Add(20 * 24 * time.Hour),
		AnswerBy: t.Add(25 * 24 * time.Hour), Status: complaint.StatusOpen, DNCListed: true,
	}
}

// fillComplaints stores n complaints through s, received in an order
// other than their ids' (several share a receipt, some in another zone
// at the same instant), and returns their ids in the listing order.
func fillComplaints(t *testing.T, s *Store, n int) []string {
	t.Helper()
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	shanghai := time.FixedZone("CST", 8*3600)
	var cs []complaint.Complaint
	for i := range n {
		at := t0.Add(time.Duration((i*7919)%(n/3+1)) * time.Second)
		if i%5 == 0 {
			at = at.In(shanghai)
		}
		c := idxComplaint(fmt.Sprintf("cp-%04d", (i*31)%n), at)
		if err := s.CreateComplaint(ctx, c); err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	complaint.SortComplaints(cs)
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// pageIDs lists every page of ListComplaintsAfter with limit and returns
// the ids in order.
func pageIDs(t *testing.T, s *Store, f complaint.Filter, limit int) []string {
	t.Helper()
	var (
		after complaint.Position
		out   = []string{}
	)
	for range 5_000 {
		cs, err := s.ListComplaintsAfter(context.Background(), f, after, limit)
		if err != nil {
			t.Fatalf("ListComplaintsAfter(limit %d) after %+v: %v", limit, after, err)
		}
		if len(cs) > limit {
			t.Fatalf("ListComplaintsAfter(limit %d) returned %d", limit, len(cs))
		}
		for _, c := range cs {
			out = append(out, c.ID)
		}
		if len(cs) < limit {
			return out
		}
		after = complaint.PositionOf(cs[len(cs)-1])
	}
	t.Fatal("the pages never ended")
	return nil
}

// checkPages checks that every page size lists want, in order.
func checkPages(t *testing.T, s *Store, want []string) {
	t.Helper()
	for _, limit := range []int{1, 7, 100, len(want) + 1} {
		if got := pageIDs(t, s, complaint.Filter{}, limit); !slices.Equal(got, want) {
			t.Fatalf("pages of %d: %d complaints %v…, want %d %v…", limit, len(got), head(got), len(want), head(want))
		}
	}
}

func head(ids []string) []string { return ids[:min(len(ids), 8)] }

// indexState returns the keys of the index bucket of the store file at
// path and the index's marker (meta, in the meta bucket).
func indexState(t *testing.T, path string, bucket, meta []byte) (keys int, marker string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucket); b != nil {
			keys = b.Stats().KeyN
		}
		marker = string(tx.Bucket(bucketMeta).Get(meta))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys, marker
}

// dropIndex removes the index bucket and its marker (meta) from the store
// file at path, as a file written before the index existed has neither.
func dropIndex(t *testing.T, path string, bucket, meta []byte) {
	t.Helper()
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bucket); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Delete(meta)
	})
	if k, m := indexState(t, path, bucket, meta); k != 0 || m != "" {
		t.Fatalf("the file still has the index %s: %d keys, marker %q", bucket, k, m)
	}
}

// deleteLast deletes the last n keys of b (an index an interrupted build
// left partial).
func deleteLast(b *bolt.Bucket, n int) error {
	c := b.Cursor()
	var drop [][]byte
	for k, _ := c.Last(); k != nil && len(drop) < n; k, _ = c.Prev() {
		drop = append(drop, slices.Clone(k))
	}
	for _, k := range drop {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// createHourly creates n complaints cp-0, cp-1, … received an hour apart
// from t0.
func createHourly(t *testing.T, s *Store, n int, t0 time.Time) {
	t.Helper()
	for i := range n {
		if err := s.CreateComplaint(context.Background(), idxComplaint(fmt.Sprintf("cp-%d", i), t0.Add(time.Duration(i)*time.Hour))); err != nil {
			t.Fatal(err)
		}
	}
}

// rawUpdate changes the store file at path as a build that does not know
// the index would (or as a crash could leave it), with the store closed.
func rawUpdate(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(fn)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}

// putRaw stores c as an older build does: the record, not its index entry.
func putRaw(tx *bolt.Tx, c complaint.Complaint) error {
	js, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketComplaints).Put([]byte(c.ID), js)
}

// A file written before the index existed (complaints, no index bucket,
// no marker) lists every page correctly after Open, which builds the
// index once; so does a file whose index an interrupted build left
// partial (no marker), and one to which an older build added complaints
// after the index was built.
func TestComplaintIndexBuiltAtOpen(t *testing.T) {
	const n = 1000
	path := filepath.Join(t.TempDir(), DefaultFileName)
	s := openAt(t, path)
	want := fillComplaints(t, s, n)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	t.Run("OlderBuildFile", func(t *testing.T) {
		dropIndex(t, path, bucketComplaintIndex, metaComplaintIndex)
		s := openAt(t, path)
		checkPages(t, s, want)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if k, m := indexState(t, path, bucketComplaintIndex, metaComplaintIndex); k != n || m != complaintIndexFormat {
			t.Fatalf("after Open: %d index keys, marker %q; want %d, %q", k, m, n, complaintIndexFormat)
		}
	})

	t.Run("PartialIndexWithoutMarker", func(t *testing.T) {
		rawUpdate(t, path, func(tx *bolt.Tx) error {
			idx := tx.Bucket(bucketComplaintIndex)
			if err := deleteLast(idx, n/2); err != nil { // the later half
				return err
			}
			// and an entry no complaint has
			if err := idx.Put(receiptKey(time.Unix(0, 0), "cp-ghost"), nil); err != nil {
				return err
			}
			return tx.Bucket(bucketMeta).Delete(metaComplaintIndex)
		})
		s := openAt(t, path)
		defer s.Close()
		checkPages(t, s, want)
	})

	t.Run("OlderBuildAddedComplaints", func(t *testing.T) {
		late := idxComplaint("cp-added-late", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
		early := idxComplaint("cp-added-early", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
		rawUpdate(t, path, func(tx *bolt.Tx) error {
			if err := putRaw(tx, late); err != nil {
				return err
			}
			return putRaw(tx, early)
		})
		s := openAt(t, path)
		defer s.Close()
		want = append(append([]string{early.ID}, want...), late.ID)
		checkPages(t, s, want)
	})
}

// An index entry that disagrees with its complaint — an older build moved
// a complaint's receipt, which leaves the counts equal — is found by the
// page that reads it; the index is rebuilt and the page read again, and
// every later listing is exact.
func TestComplaintIndexStaleEntryRebuilt(t *testing.T) {
	path := filepath.Join(t.TempDir(), DefaultFileName)
	s := openAt(t, path)
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	createHourly(t, s, 10, t0)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		return putRaw(tx, idxComplaint("cp-2", t0.Add(100*time.Hour))) // from third to last
	})
	s = openAt(t, path)
	want := []string{"cp-0", "cp-1", "cp-3", "cp-4", "cp-5", "cp-6", "cp-7", "cp-8", "cp-9", "cp-2"}
	checkPages(t, s, want)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// A sound complaint listed as undecodable (it was damaged when the
	// index was built, and replaced since) instead of at its receipt.
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		idx := tx.Bucket(bucketComplaintIndex)
		if err := idx.Delete(receiptKey(t0.Add(5*time.Hour), "cp-5")); err != nil {
			return err
		}
		return idx.Put([]byte("\x00cp-5"), nil)
	})
	s = openAt(t, path)
	defer s.Close()
	checkPages(t, s, want)
}

// An update that changes a complaint's receipt moves its index entry in
// the same transaction: the index keeps one entry per complaint.
func TestComplaintIndexFollowsReceipt(t *testing.T) {
	path := filepath.Join(t.TempDir(), DefaultFileName)
	s := openAt(t, path)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	createHourly(t, s, 3, t0)
	if err := s.UpdateComplaint(ctx, "cp-0", func(c *complaint.Complaint) error {
		c.ReceivedAt = t0.Add(5 * time.Hour)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateComplaint(ctx, "cp-1", func(c *complaint.Complaint) error {
		c.Status = complaint.StatusForwarded
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var entries []string
	if err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketComplaintIndex).ForEach(func(k, _ []byte) error {
			entries = append(entries, string(k[idxPrefix:]))
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(entries); got != "[cp-1 cp-2 cp-0]" {
		t.Fatalf("index entries %s, want [cp-1 cp-2 cp-0] (one per complaint, cp-0 moved)", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// The index keys sort as the listing order over every instant a
// time.Time holds, not only the years of a Unix-nanosecond int64.
func TestReceiptKeyOrder(t *testing.T) {
	times := []time.Time{
		{}, // year 1
		time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Unix(-1, 999_999_999),
		time.Unix(0, 0),
		time.Unix(0, 1),
		time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 1, 17, 0, 0, 1, time.FixedZone("CST", 8*3600)),
		time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	for i := 1; i < len(times); i++ {
		a, b := times[i-1], times[i]
		for _, ids := range [][2]string{{"b", "a"}, {"a", "b"}, {"Z", "a"}} {
			if string(receiptKey(a, ids[0])) >= string(receiptKey(b, ids[1])) {
				t.Errorf("key of (%v, %s) does not sort before (%v, %s)", a, ids[0], b, ids[1])
			}
		}
	}
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	if string(receiptKey(at, "Z")) >= string(receiptKey(at.In(time.FixedZone("CST", 8*3600)), "a")) {
		t.Error("equal instants in two zones: id order lost")
	}
}
