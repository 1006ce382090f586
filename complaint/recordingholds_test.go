package complaint_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage/boltstore"
	"github.com/dialgate/dialgate/storage/memstore"
)

// RecordingHolds gives a new recording of a callee the hold of each of
// that callee's complaints not yet answered — those only, whichever
// complaints of other callees the store holds, and in every store.
func TestRecordingHoldsByCallee(t *testing.T) {
	stores := map[string]func(t *testing.T) complaint.Store{
		"memstore": func(*testing.T) complaint.Store { return memstore.New() },
		"boltstore": func(t *testing.T) complaint.Store {
			s, err := boltstore.Open(filepath.Join(t.TempDir(), "dialgate.db"), boltstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t)
			t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
			for i, c := range []struct {
				id, callee string
				status     complaint.Status
			}{
				{"cp-b", "h:1", complaint.StatusOpen},
				{"cp-a", "h:1", complaint.StatusAnswered},
				{"cp-c", "h:10", complaint.StatusOpen},
				{"cp-d", "h:1", complaint.StatusHandled},
				{"cp-e", "h:2", complaint.StatusForwarded},
			} {
				at := t0.Add(time.Duration(5-i) * time.Hour)
				err := s.CreateComplaint(ctx, complaint.Complaint{ID: c.id, Callee: c.callee, Scope: "global",
					Channel: complaint.ChannelPhone, ReceivedAt: at, Status: c.status})
				if err != nil {
					t.Fatal(err)
				}
			}
			holds := complaint.RecordingHolds(s)
			at := t0.Add(24 * time.Hour)
			for callee, want := range map[string]string{"h:1": "[complaint:cp-d complaint:cp-b]", "h:10": "[complaint:cp-c]", "h:3": "[]", "": "[]"} {
				hs, err := holds(ctx, callee, at)
				if err != nil {
					t.Fatal(err)
				}
				ids := []string{}
				for _, h := range hs {
					if !h.PlacedAt.Equal(at) {
						t.Errorf("%s: hold %s placed at %v, want %v", callee, h.ID, h.PlacedAt, at)
					}
					ids = append(ids, h.ID)
				}
				if got := fmt.Sprint(ids); got != want {
					t.Errorf("holds of %q = %s, want %s", callee, got, want)
				}
			}
			// Answered since: its hold is no longer given.
			if err := s.UpdateComplaint(ctx, "cp-b", func(c *complaint.Complaint) error { c.Status = complaint.StatusAnswered; return nil }); err != nil {
				t.Fatal(err)
			}
			if hs, err := holds(ctx, "h:1", at); err != nil || len(hs) != 1 || hs[0].ID != "complaint:cp-d" {
				t.Errorf("holds of h:1 once cp-b is answered: %v %v, want [complaint:cp-d]", hs, err)
			}
		})
	}
}

// fullHasher hashes the whole number, so that a French overseas line's two
// spellings hash apart as they do under the audit log's keyed hash.
type fullHasher struct{}

func (fullHasher) HashCallee(n dialgate.Number) string { return "h:" + n.Digits() }

// A recording registered after a complaint about a French overseas line
// gets the complaint's hold under either spelling of the number (the
// recording manager asks RecordingHolds for each), with the callee listing
// of each store; a recording of another number gets none.
func TestRecordingHoldsOverseasSpellings(t *testing.T) {
	own := dialgate.MustParseNumber("+596596000101")
	fr := dialgate.MustParseNumber("+33596000101")
	other := dialgate.MustParseNumber("+596596000102")
	type store interface {
		complaint.Store
		recording.Store
		dnc.Store
	}
	for name, open := range map[string]func(t *testing.T) store{
		"memstore": func(*testing.T) store { return memstore.New() },
		"boltstore": func(t *testing.T) store {
			s, err := boltstore.Open(filepath.Join(t.TempDir(), "dialgate.db"), boltstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			lists, err := dnc.NewLists(ctx, st, dnc.ListsOptions{})
			if err != nil {
				t.Fatal(err)
			}
			recs, err := recording.NewManager(recording.Config{}, st, nil, fullHasher{})
			if err != nil {
				t.Fatal(err)
			}
			recs.HoldNew(complaint.RecordingHolds(st))
			desk, err := complaint.NewDesk(complaint.Config{}, st, lists, recs, fullHasher{}, nil, cst)
			if err != nil {
				t.Fatal(err)
			}
			// Other complaints, about other numbers.
			for i := range 20 {
				n := dialgate.MustParseNumber(fmt.Sprintf("+5965960002%02d", i))
				if _, err := desk.File(ctx, fri, complaint.Filing{ID: fmt.Sprintf("cp-x%02d", i), Number: n, Channel: complaint.ChannelPhone}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := desk.File(ctx, fri, complaint.Filing{ID: "cp-1", Number: own, Channel: complaint.ChannelPhone}); err != nil {
				t.Fatal(err)
			}
			later := fri.Add(time.Hour)
			for _, reg := range []recording.Registration{
				{ID: "r-fr", Callee: fr, StartedAt: later}, {ID: "r-own", Callee: own, StartedAt: later}, {ID: "r-other", Callee: other, StartedAt: later},
			} {
				r, err := recs.Register(ctx, later, reg)
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, h := range r.Holds {
					ids = append(ids, h.ID)
				}
				want := "[complaint:cp-1]"
				if reg.Callee == other {
					want = "[]"
				}
				if got := fmt.Sprint(ids); got != want {
					t.Errorf("recording %s of %s registered after the complaint: holds %s, want %s", reg.ID, reg.Callee, got, want)
				}
			}
		})
	}
}
