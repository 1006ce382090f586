package complaint_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/dialgate/dialgate/complaint"
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
