package boltstore

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/storage"
)

// repairComplaint is how the operator replaces a damaged complaint whole.
func repairComplaint(ctx context.Context, s *Store, c complaint.Complaint) error {
	_, err := s.RepairComplaint(ctx, c)
	return err
}

// A complaint damaged so that it no longer decodes (or no longer passes
// ValidateStored) fails every listing of its callee — a recording of the
// callee is refused — until the operator replaces it whole; the repair
// must then succeed, keep the damaged bytes, and leave both indexes exact,
// including when the damage moved its callee to another one.
func TestComplaintRepairDamaged(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(raw []byte) []byte
	}{
		{"NotJSON", func([]byte) []byte { return []byte(`{"id":"cp-2","callee":`) }},
		{"UnknownStatus", func(raw []byte) []byte {
			return bytes.Replace(raw, []byte(`"status":"open"`), []byte(`"status":"opne"`), 1)
		}},
		{"CalleeDamagedIntoAnother", func(raw []byte) []byte {
			return bytes.Replace(raw, []byte(`"callee":"h:a"`), []byte(`"callee":"h:b"`), 1)
		}},
		{"CalleeDamagedAndInvalid", func(raw []byte) []byte {
			raw = bytes.Replace(raw, []byte(`"callee":"h:a"`), []byte(`"callee":"h:b"`), 1)
			return bytes.Replace(raw, []byte(`"status":"open"`), []byte(`"status":"opne"`), 1)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, t0 := threeComplaintsFile(t, "h:a")
			ctx := context.Background()
			var damaged []byte
			rawUpdate(t, path, func(tx *bolt.Tx) error {
				b := tx.Bucket(bucketComplaints)
				damaged = tc.damage(bytes.Clone(b.Get([]byte("cp-2"))))
				return b.Put([]byte("cp-2"), damaged)
			})
			s := openAt(t, path)
			defer s.Close()
			if _, err := s.ListComplaints(ctx, complaint.Filter{Callee: "h:a"}); !errors.Is(err, storage.ErrCorrupt) {
				t.Fatalf("before the repair h:a lists with %v; want ErrCorrupt", err)
			}
			want := idxComplaint("cp-2", t0.Add(time.Hour))
			want.Callee = "h:a"
			if err := repairComplaint(ctx, s, want); err != nil {
				t.Fatalf("the operator cannot repair cp-2: %v", err)
			}
			s.checkIndexesExact(t)
			got, err := s.ListComplaints(ctx, complaint.Filter{Callee: "h:a"})
			if err != nil || len(got) != 2 || got[1].ID != "cp-2" || got[1].Status != complaint.StatusOpen {
				t.Fatalf("repaired: h:a lists %v, %v; want cp-1, cp-2", idsOf(got), err)
			}
			if got, err := s.ListComplaints(ctx, complaint.Filter{Callee: "h:b"}); err != nil || len(got) != 0 {
				t.Fatalf("repaired: h:b lists %v, %v; want none", idsOf(got), err)
			}
			if page, err := s.ListComplaintsAfter(ctx, complaint.Filter{}, complaint.Position{}, 10); err != nil || len(page) != 3 {
				t.Fatalf("repaired: the first page lists %v, %v; want cp-1, cp-2, cp-3", idsOf(page), err)
			}
			if hs, err := complaint.RecordingHolds(s)(ctx, "h:a", t0.Add(48*time.Hour)); err != nil || len(hs) != 2 {
				t.Fatalf("repaired: a recording of h:a gets holds %v, %v; want cp-1's and cp-2's", hs, err)
			}
			if ev := replacedComplaints(t, s, "cp-2"); len(ev) != 1 || !bytes.Equal(ev[0], damaged) {
				t.Fatalf("the damaged bytes kept are %q; want %q", ev, damaged)
			}
			// Reopened: nothing rebuilt differently, still sound.
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s = openAt(t, path)
			s.checkIndexesExact(t)
			if got, err := s.ListComplaints(ctx, complaint.Filter{Callee: "h:a"}); err != nil || len(got) != 2 {
				t.Fatalf("reopened: h:a lists %v, %v; want cp-1, cp-2", idsOf(got), err)
			}
		})
	}
}

// replacedComplaints returns the damaged bytes kept for id, in order.
func replacedComplaints(t *testing.T, s *Store, id string) [][]byte {
	t.Helper()
	var out [][]byte
	if err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("complaints.replaced"))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if string(k[8:]) == id {
				out = append(out, bytes.Clone(v))
			}
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// A repair is refused, writing nothing, for a sound complaint (its steps
// change it), a missing one, a partial one, and one naming another callee
// than the one the callee index still lists the damaged complaint under.
func TestComplaintRepairRefuses(t *testing.T) {
	path, t0 := threeComplaintsFile(t, "h:a")
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketComplaints)
		raw := bytes.Replace(b.Get([]byte("cp-2")), []byte(`"callee":"h:a"`), []byte(`"callee":"h:b"`), 1)
		return b.Put([]byte("cp-2"), bytes.Replace(raw, []byte(`"status":"open"`), []byte(`"status":"opne"`), 1))
	})
	s := openAt(t, path)
	defer s.Close()
	ctx := context.Background()
	sound := idxComplaint("cp-1", t0)
	sound.Callee, sound.Details = "h:a", "rewritten"
	partial := idxComplaint("cp-2", t0.Add(time.Hour))
	partial.Callee, partial.HandleBy = "h:a", time.Time{}
	handled := idxComplaint("cp-2", t0.Add(time.Hour))
	handled.Callee, handled.Status, handled.ForwardedAt, handled.HandledAt = "h:a", complaint.StatusHandled, t0.Add(time.Hour), t0.Add(time.Hour)
	other := idxComplaint("cp-2", t0.Add(time.Hour))
	other.Callee = "h:b"
	for _, tc := range []struct {
		name  string
		c     complaint.Complaint
		want  error
		field string
	}{
		{"Sound", sound, complaint.ErrNotDamaged, ""},
		{"Missing", idxComplaint("cp-9", t0), complaint.ErrNotFound, ""},
		{"NoDeadline", partial, complaint.ErrInvalid, "handle_by"},
		{"HandledWithoutResolution", handled, complaint.ErrInvalid, "resolution"},
		{"AnotherCallee", other, complaint.ErrInvalid, `"h:a"`},
	} {
		got, err := s.RepairComplaint(ctx, tc.c)
		if !errors.Is(err, tc.want) || got != nil || !bytes.Contains([]byte(err.Error()), []byte(tc.field)) {
			t.Errorf("%s: RepairComplaint = %q, %v; want %v naming %s", tc.name, got, err, tc.want, tc.field)
		}
	}
	if ev := replacedComplaints(t, s, "cp-2"); len(ev) != 0 {
		t.Fatalf("refused repairs kept %q", ev)
	}
	// Only its status damaged (no trace): the callee its bytes name is kept.
	if err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketComplaints)
		return b.Put([]byte("cp-3"), bytes.Replace(b.Get([]byte("cp-3")), []byte(`"status":"open"`), []byte(`"status":"opne"`), 1))
	}); err != nil {
		t.Fatal(err)
	}
	moved := idxComplaint("cp-3", t0.Add(2*time.Hour))
	moved.Callee = "h:a"
	if got, err := s.RepairComplaint(ctx, moved); !errors.Is(err, complaint.ErrInvalid) || !strings.Contains(err.Error(), `"h:c"`) {
		t.Fatalf("repair of cp-3 (about h:c) naming h:a = %q, %v; want ErrInvalid naming h:c", got, err)
	}
	moved.Callee = "h:c"
	if _, err := s.RepairComplaint(ctx, moved); err != nil {
		t.Fatal(err)
	}
	if c, err := s.GetComplaint(ctx, "cp-1"); err != nil || c.Details != "" {
		t.Fatalf("cp-1 = %+v, %v; want it unchanged", c, err)
	}
	if _, err := s.GetComplaint(ctx, "cp-2"); !errors.Is(err, storage.ErrCorrupt) {
		t.Fatalf("cp-2 reads with %v; want it still damaged", err)
	}
	if _, err := s.ListComplaints(ctx, complaint.Filter{Callee: "h:a"}); !errors.Is(err, storage.ErrCorrupt) {
		t.Fatalf("h:a lists with %v; want ErrCorrupt until the repair", err)
	}
	// Repaired twice (a second damage): both damaged versions kept.
	fixed := idxComplaint("cp-2", t0.Add(time.Hour))
	fixed.Callee = "h:a"
	first, err := s.RepairComplaint(ctx, fixed)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketComplaints).Put([]byte("cp-2"), []byte("garbage")) }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RepairComplaint(ctx, fixed); err != nil {
		t.Fatal(err)
	}
	if ev := replacedComplaints(t, s, "cp-2"); len(ev) != 2 || !bytes.Equal(ev[0], first) || string(ev[1]) != "garbage" {
		t.Fatalf("kept %q; want both damaged versions in order", ev)
	}
	s.checkIndexesExact(t)
}

// A callee longer than the callee index keeps (keyed by its SHA-256) is
// checked and named the same way.
func TestComplaintRepairLongCallee(t *testing.T) {
	long := "h:" + strings.Repeat("a", 2*calleeInKey)
	path, t0 := threeComplaintsFile(t, long)
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketComplaints)
		raw := bytes.Replace(b.Get([]byte("cp-2")), []byte(`"callee":"`+long+`"`), []byte(`"callee":"h:b"`), 1)
		return b.Put([]byte("cp-2"), bytes.Replace(raw, []byte(`"status":"open"`), []byte(`"status":"opne"`), 1))
	})
	s := openAt(t, path)
	defer s.Close()
	ctx := context.Background()
	c := idxComplaint("cp-2", t0.Add(time.Hour))
	c.Callee = "h:b"
	if _, err := s.RepairComplaint(ctx, c); !errors.Is(err, complaint.ErrInvalid) || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("repair naming h:b: %v; want ErrInvalid naming the long callee's SHA-256", err)
	}
	c.Callee = long
	if _, err := s.RepairComplaint(ctx, c); err != nil {
		t.Fatal(err)
	}
	s.checkIndexesExact(t)
	if got, err := s.ListComplaints(ctx, complaint.Filter{Callee: long}); err != nil || len(got) != 2 {
		t.Fatalf("repaired: the long callee lists %v, %v; want cp-1, cp-2", idsOf(got), err)
	}
}

// A complaint damaged so that it no longer decodes keeps the trace of its
// callee in the callee index through the listings that fail on it (a
// recording of its callee registered, refused) and through a rebuild of
// the index: the repair must still refuse another callee, or it would
// move the complaint's hold off the callee whose recordings it keeps.
func TestComplaintRepairUndecodableKeepsItsCallee(t *testing.T) {
	for _, tc := range []struct {
		name  string
		touch func(t *testing.T, s *Store, path string) *Store
	}{
		{"Untouched", func(_ *testing.T, s *Store, _ string) *Store { return s }},
		{"ListedByItsCallee", func(t *testing.T, s *Store, _ string) *Store {
			if _, err := s.ListComplaints(context.Background(), complaint.Filter{Callee: "h:a"}); !errors.Is(err, storage.ErrCorrupt) {
				t.Fatalf("h:a lists with %v; want ErrCorrupt", err)
			}
			if _, err := complaint.RecordingHolds(s)(context.Background(), "h:a", time.Now()); !errors.Is(err, storage.ErrCorrupt) {
				t.Fatalf("a recording of h:a gets %v; want ErrCorrupt", err)
			}
			return s
		}},
		{"IndexRebuilt", func(t *testing.T, s *Store, path string) *Store {
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			rawUpdate(t, path, func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete(metaComplaintCallee) })
			return openAt(t, path)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, t0 := threeComplaintsFile(t, "h:a")
			rawUpdate(t, path, func(tx *bolt.Tx) error { return tx.Bucket(bucketComplaints).Put([]byte("cp-2"), []byte("garbage")) })
			s := tc.touch(t, openAt(t, path), path)
			defer s.Close()
			ctx := context.Background()
			other := idxComplaint("cp-2", t0.Add(time.Hour))
			other.Callee = "h:z"
			if got, err := s.RepairComplaint(ctx, other); !errors.Is(err, complaint.ErrInvalid) || !strings.Contains(err.Error(), `"h:a"`) {
				t.Fatalf("repair of cp-2 (about h:a, undecodable) naming h:z = %q, %v; want ErrInvalid naming h:a", got, err)
			}
			fixed := other
			fixed.Callee = "h:a"
			if _, err := s.RepairComplaint(ctx, fixed); err != nil {
				t.Fatal(err)
			}
			s.checkIndexesExact(t)
			if hs, err := complaint.RecordingHolds(s)(ctx, "h:a", t0.Add(48*time.Hour)); err != nil || len(hs) != 2 {
				t.Fatalf("repaired: a recording of h:a gets holds %v, %v; want cp-1's and cp-2's", hs, err)
			}
		})
	}
}
