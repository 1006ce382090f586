package boltstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/storage"
)

// threeComplaintsFile writes a closed store file holding complaints cp-1
// and cp-2 about callee and cp-3 about h:c, received an hour apart from
// t0; it returns the file's path and t0.
func threeComplaintsFile(t *testing.T, callee string) (string, time.Time) {
	t.Helper()
	path := filepath.Join(t.TempDir(), DefaultFileName)
	s := openAt(t, path)
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for i, id := range []string{"cp-1", "cp-2", "cp-3"} {
		c := idxComplaint(id, t0.Add(time.Duration(i)*time.Hour))
		c.Callee = callee
		if id == "cp-3" {
			c.Callee = "h:c"
		}
		if err := s.CreateComplaint(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path, t0
}

// A complaint whose stored callee was damaged into another valid callee
// is still listed under its callee in the callee index: that entry is the
// only trace left of whom it is about. The callee's listing must fail on it
// (storage.ErrCorrupt), so that a recording of the callee is refused rather
// than registered without the complaint's hold, and must keep failing: a
// rebuild of the index from the damaged complaint would drop the entry and
// the listing would then succeed without it. (No build changes a complaint's
// callee behind the index: Desk never changes it, and schema 5, which every
// build with the index writes, refuses the builds without it.) A sound
// complaint is repaired by setting its callee again.
func TestComplaintCalleeDamagedIntoAnotherCallee(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(*complaint.Complaint)
	}{
		{"SoundOtherwise", func(c *complaint.Complaint) { c.Callee = "h:b" }},
		{"InvalidToo", func(c *complaint.Complaint) { c.Callee, c.Status = "h:b", "opne" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, t0 := threeComplaintsFile(t, "h:a")
			ctx := context.Background()
			rawUpdate(t, path, func(tx *bolt.Tx) error {
				c, err := complaints.decode([]byte("cp-2"), tx.Bucket(bucketComplaints).Get([]byte("cp-2")))
				if err != nil {
					return err
				}
				tc.damage(&c)
				return putRaw(tx, c)
			})
			for round := range 2 {
				s := openAt(t, path)
				holds := complaint.RecordingHolds(s)
				for range 2 {
					got, err := s.ListComplaints(ctx, complaint.Filter{Callee: "h:a"})
					if !errors.Is(err, storage.ErrCorrupt) {
						t.Fatalf("round %d: h:a lists %v, %v; want ErrCorrupt (cp-2 is listed as h:a's and names h:b)", round, idsOf(got), err)
					}
					page, err := s.ListComplaintsAfter(ctx, complaint.Filter{Callee: "h:a"}, complaint.Position{}, 10)
					if !errors.Is(err, storage.ErrCorrupt) {
						t.Fatalf("round %d: h:a's page lists %v, %v; want ErrCorrupt", round, idsOf(page), err)
					}
					hs, err := holds(ctx, "h:a", t0.Add(48*time.Hour))
					if err == nil {
						t.Fatalf("round %d: a recording of h:a gets holds %v and no error: cp-2's hold is missing", round, hs)
					}
				}
				// A callee the damage did not touch lists as before.
				if got, err := s.ListComplaints(ctx, complaint.Filter{Callee: "h:c"}); err != nil || len(got) != 1 {
					t.Fatalf("round %d: h:c lists %v, %v; want cp-3", round, idsOf(got), err)
				}
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
			}
			if tc.name != "SoundOtherwise" {
				return
			}
			s := openAt(t, path)
			defer s.Close()
			if err := s.UpdateComplaint(ctx, "cp-2", func(c *complaint.Complaint) error { c.Callee = "h:a"; return nil }); err != nil {
				t.Fatal(err)
			}
			s.checkIndexesExact(t)
			if got, err := s.ListComplaints(ctx, complaint.Filter{Callee: "h:a"}); err != nil || len(got) != 2 {
				t.Fatalf("repaired: h:a lists %v, %v; want cp-1, cp-2", idsOf(got), err)
			}
		})
	}
}

// A rebuild of the callee index keeps an entry under one callee whose
// complaint names another (the trace of a damaged callee,
// TestComplaintCalleeDamagedIntoAnotherCallee): a rebuild for another
// reason — at Open, when the index does not hold one entry per complaint;
// in a listing that meets a receipt moved behind the index — would
// otherwise drop it, and the callee's listing would succeed without the
// complaint.
func TestComplaintCalleeRebuildKeepsDamagedCallee(t *testing.T) {
	long := "h:" + strings.Repeat("a", 2*calleeInKey) // keyed by its SHA-256
	for _, tc := range []struct{ trigger, a string }{{"Open", "h:a"}, {"Listing", "h:a"}, {"Open", long}, {"Listing", long}} {
		trigger := tc.trigger
		t.Run(fmt.Sprintf("%s/callee%d", trigger, len(tc.a)), func(t *testing.T) {
			path, t0 := threeComplaintsFile(t, tc.a)
			ctx := context.Background()
			rawUpdate(t, path, func(tx *bolt.Tx) error {
				b := tx.Bucket(bucketComplaints)
				c, err := complaints.decode([]byte("cp-2"), b.Get([]byte("cp-2")))
				if err != nil {
					return err
				}
				c.Callee = "h:b"
				if err := putRaw(tx, c); err != nil {
					return err
				}
				if trigger == "Open" {
					// A complaint with no index entry: Open rebuilds.
					added := idxComplaint("cp-4", t0.Add(4*time.Hour))
					added.Callee = "h:c"
					return putRaw(tx, added)
				}
				// cp-3's receipt moved: h:c's listing rebuilds.
				c, err = complaints.decode([]byte("cp-3"), b.Get([]byte("cp-3")))
				if err != nil {
					return err
				}
				c.ReceivedAt = t0.Add(9 * time.Hour)
				return putRaw(tx, c)
			})
			wantC := map[string]int{"Open": 2, "Listing": 1}[trigger]
			for round := range 2 {
				s := openAt(t, path)
				if got, err := s.ListComplaints(ctx, complaint.Filter{Callee: "h:c"}); err != nil || len(got) != wantC {
					t.Fatalf("round %d: h:c lists %v, %v; want %d complaints", round, idsOf(got), err, wantC)
				}
				if got, err := s.ListComplaints(ctx, complaint.Filter{Callee: tc.a}); !errors.Is(err, storage.ErrCorrupt) {
					t.Fatalf("round %d: after a rebuild cp-2's callee lists %v, %v; want ErrCorrupt (cp-2 was listed as h:a's and names h:b)", round, idsOf(got), err)
				}
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
