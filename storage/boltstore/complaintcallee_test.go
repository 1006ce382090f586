package boltstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/storage"
)

// scanComplaints is ListComplaints as it was before the callee index:
// every complaint decoded, f.Matches kept, sorted. Kept here only to
// compare with the index.
func (s *Store) scanComplaints(ctx context.Context, f complaint.Filter) ([]complaint.Complaint, error) {
	out, err := tableList(ctx, s, "ListComplaints", complaints, f.Matches)
	complaint.SortComplaints(out)
	return out, err
}

// checkCallees checks that every callee in callees (and one with no
// complaint) lists, through ListComplaints and every page size of
// ListComplaintsAfter, exactly what the scan lists, also with receipt
// bounds and a status.
func checkCallees(t *testing.T, s *Store, callees []string, t0 time.Time) {
	t.Helper()
	ctx := context.Background()
	for _, callee := range append(slices.Clone(callees), "h:nobody") {
		for _, f := range []complaint.Filter{
			{Callee: callee},
			{Callee: callee, From: t0.Add(100 * time.Second), To: t0.Add(200 * time.Second)},
			{Callee: callee, Status: complaint.StatusForwarded},
			{Callee: callee, Tenant: "acme", From: t0.Add(150 * time.Second)},
		} {
			want, err := s.scanComplaints(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			wantIDs := idsOf(want)
			got, err := s.ListComplaints(ctx, f)
			if err != nil {
				t.Fatalf("ListComplaints(%+v): %v", f, err)
			}
			if !slices.Equal(idsOf(got), wantIDs) {
				t.Fatalf("ListComplaints(%+v) = %v, the scan lists %v", f, idsOf(got), wantIDs)
			}
			for i := range got {
				if !got[i].ReceivedAt.Equal(want[i].ReceivedAt) || got[i].Status != want[i].Status {
					t.Fatalf("ListComplaints(%+v)[%d] = %+v, the scan %+v", f, i, got[i], want[i])
				}
			}
			for _, limit := range []int{1, 3, len(wantIDs) + 1} {
				if paged := pageIDs(t, s, f, limit); !slices.Equal(paged, wantIDs) {
					t.Fatalf("pages of %d of %+v = %v, the scan lists %v", limit, f, paged, wantIDs)
				}
			}
		}
	}
}

func idsOf(cs []complaint.Complaint) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// A listing by callee through the index lists what the scan of every
// complaint lists, on randomized complaints: callees of a few complaints
// each, hashes that are prefixes of one another, receipts shared (given in
// two zones), updates that change the status, the receipt and the callee.
func TestComplaintCalleeIndexMatchesScan(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 7))
	s := openAt(t, filepath.Join(t.TempDir(), DefaultFileName))
	defer s.Close()
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	shanghai := time.FixedZone("CST", 8*3600)
	// "h:1" is a prefix of "h:10", and of a hash whose next byte is the
	// receipt key's tag; a long hash, and two longer than a bbolt key can
	// be (32 KiB), of one length.
	huge := strings.Repeat("h", 40_000)
	callees := []string{"h:1", "h:10", "h:100", "h:1\x01abcdefghijkl", "h:2", "h:\x00", "h:" + string(make([]byte, 300)), "h:é",
		huge + "a", huge + "b"}
	at := func() time.Time {
		t := t0.Add(time.Duration(r.IntN(300)) * time.Second)
		if r.IntN(3) == 0 {
			t = t.In(shanghai)
		}
		return t
	}
	const n = 400
	for i := range n {
		c := idxComplaint(fmt.Sprintf("cp-%03d", r.IntN(1000)), at())
		c.Callee = callees[r.IntN(len(callees))]
		if r.IntN(4) == 0 {
			c.Tenant = "other"
		}
		if err := s.CreateComplaint(ctx, c); err != nil && !errors.Is(err, complaint.ErrExists) {
			t.Fatalf("complaint %d: %v", i, err)
		}
	}
	all, err := s.scanComplaints(ctx, complaint.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all {
		if r.IntN(3) != 0 {
			continue
		}
		err := s.UpdateComplaint(ctx, c.ID, func(c *complaint.Complaint) error {
			switch r.IntN(3) {
			case 0:
				c.Status = complaint.StatusForwarded
			case 1:
				c.ReceivedAt = at()
			case 2:
				c.Callee = callees[r.IntN(len(callees))]
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The writes kept the index exact (a listing would rebuild a stale one).
	s.checkIndexesExact(t)
	checkCallees(t, s, callees, t0)
}

// checkIndexesExact checks that each complaint index holds exactly the
// keys a build from the complaints would.
func (s *Store) checkIndexesExact(t *testing.T) {
	t.Helper()
	if err := s.db.View(func(tx *bolt.Tx) error {
		for _, ix := range complaintIndexes {
			var want, got []string
			if err := tx.Bucket(bucketComplaints).ForEach(func(id, raw []byte) error {
				want = append(want, string(ix.stored(id, raw)))
				return nil
			}); err != nil {
				return err
			}
			slices.Sort(want)
			if err := tx.Bucket(ix.bucket).ForEach(func(k, _ []byte) error {
				got = append(got, string(k))
				return nil
			}); err != nil {
				return err
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: %d keys, not the %d a build would write", ix.bucket, len(got), len(want))
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// A file written before the callee index existed (no bucket, no marker)
// lists by callee correctly after Open, which builds the index once; so
// does one whose index an interrupted build left partial (no marker), and
// one to which an older build added complaints. A complaint whose callee
// changed behind the index (damage: no build does it) fails the listing of
// the callee it is listed under until it is repaired.
func TestComplaintCalleeIndexBuiltAtOpen(t *testing.T) {
	const n = 600
	path := filepath.Join(t.TempDir(), DefaultFileName)
	s := openAt(t, path)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	callees := []string{"h:a", "h:b", "h:c"}
	for i := range n {
		c := idxComplaint(fmt.Sprintf("cp-%04d", (i*31)%n), t0.Add(time.Duration((i*7919)%(n/3+1))*time.Second))
		c.Callee = callees[i%len(callees)]
		if err := s.CreateComplaint(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	t.Run("OlderBuildFile", func(t *testing.T) {
		dropIndex(t, path, bucketComplaintCallee, metaComplaintCallee)
		s := openAt(t, path)
		checkCallees(t, s, callees, t0)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if k, m := indexState(t, path, bucketComplaintCallee, metaComplaintCallee); k != n || m != complaintCalleeFormat {
			t.Fatalf("after Open: %d callee index keys, marker %q; want %d, %q", k, m, n, complaintCalleeFormat)
		}
	})

	t.Run("PartialIndexWithoutMarker", func(t *testing.T) {
		rawUpdate(t, path, func(tx *bolt.Tx) error {
			if err := deleteLast(tx.Bucket(bucketComplaintCallee), n/2); err != nil {
				return err
			}
			return tx.Bucket(bucketMeta).Delete(metaComplaintCallee)
		})
		s := openAt(t, path)
		defer s.Close()
		checkCallees(t, s, callees, t0)
	})

	t.Run("OlderBuildAddedComplaints", func(t *testing.T) {
		added := idxComplaint("cp-added", t0.Add(150*time.Second))
		added.Callee = "h:b"
		rawUpdate(t, path, func(tx *bolt.Tx) error { return putRaw(tx, added) })
		s := openAt(t, path)
		defer s.Close()
		got, err := s.ListComplaints(ctx, complaint.Filter{Callee: "h:b"})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(idsOf(got), "cp-added") {
			t.Fatalf("h:b lists %v, without cp-added", idsOf(got))
		}
		checkCallees(t, s, callees, t0)
	})

	t.Run("CalleeChangedBehindTheIndex", func(t *testing.T) {
		moved := idxComplaint("cp-0003", time.Time{})
		var was string
		rawUpdate(t, path, func(tx *bolt.Tx) error {
			var err error
			moved, err = complaints.decode([]byte(moved.ID), tx.Bucket(bucketComplaints).Get([]byte(moved.ID)))
			if err != nil {
				return err
			}
			if moved.Callee == "h:c" {
				t.Fatal("cp-0003 is already h:c's")
			}
			was, moved.Callee = moved.Callee, "h:c"
			return putRaw(tx, moved)
		})
		s := openAt(t, path)
		defer s.Close()
		// The callee it is listed under cannot list without it: its
		// listing fails (TestComplaintCalleeDamagedIntoAnotherCallee),
		// and is not rebuilt away.
		for range 2 {
			if got, err := s.ListComplaints(ctx, complaint.Filter{Callee: was}); !errors.Is(err, storage.ErrCorrupt) {
				t.Fatalf("%s lists %v, %v; want ErrCorrupt (cp-0003 is listed as its)", was, idsOf(got), err)
			}
		}
		// Setting its callee again repairs the index.
		if err := s.UpdateComplaint(ctx, moved.ID, func(c *complaint.Complaint) error { c.Callee = was; return nil }); err != nil {
			t.Fatal(err)
		}
		s.checkIndexesExact(t)
		checkCallees(t, s, callees, t0)
	})
}
