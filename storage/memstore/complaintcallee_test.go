package memstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/storage"
)

// scanComplaints is ListComplaints as it was before the per-callee order:
// every complaint looked at. Kept here only to compare with it.
func (s *Store) scanComplaints(f complaint.Filter) ([]complaint.Complaint, error) {
	out, err := s.complaints.list(complaintSpec, f.Matches)
	complaint.SortComplaints(out)
	return out, err
}

func cpIDs(cs []complaint.Complaint) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// A listing by callee lists what the scan of every complaint lists, on
// randomized complaints whose updates change the status, the receipt and
// the callee; and it looks at that callee's complaints only.
func TestComplaintCalleeOrderMatchesScan(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 7))
	s := New()
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	shanghai := time.FixedZone("CST", 8*3600)
	callees := []string{"h:1", "h:10", "h:2", "h:3"}
	at := func() time.Time {
		t := t0.Add(time.Duration(r.IntN(200)) * time.Second)
		if r.IntN(3) == 0 {
			t = t.In(shanghai)
		}
		return t
	}
	for range 300 {
		c := complaint.Complaint{ID: fmt.Sprintf("cp-%03d", r.IntN(600)), Tenant: "acme", Callee: callees[r.IntN(len(callees))],
			Scope: "global", Channel: complaint.ChannelPhone, ReceivedAt: at(), Status: complaint.StatusOpen}
		_ = s.CreateComplaint(ctx, c) // a duplicate id is refused
	}
	all, err := s.scanComplaints(complaint.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all {
		if err := s.UpdateComplaint(ctx, c.ID, func(c *complaint.Complaint) error {
			switch r.IntN(4) {
			case 0:
				c.Status = complaint.StatusForwarded
			case 1:
				c.ReceivedAt = at()
			case 2:
				c.Callee = callees[r.IntN(len(callees))]
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	for _, callee := range append(slices.Clone(callees), "h:nobody") {
		for _, f := range []complaint.Filter{
			{Callee: callee},
			{Callee: callee, From: t0.Add(50 * time.Second), To: t0.Add(150 * time.Second)},
			{Callee: callee, Status: complaint.StatusForwarded},
		} {
			want, err := s.scanComplaints(f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.ListComplaints(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(cpIDs(got), cpIDs(want)) {
				t.Fatalf("ListComplaints(%+v) = %v, the scan lists %v", f, cpIDs(got), cpIDs(want))
			}
			for _, limit := range []int{1, 4} {
				var (
					after complaint.Position
					paged []complaint.Complaint
				)
				for {
					cs, err := s.ListComplaintsAfter(ctx, f, after, limit)
					if err != nil {
						t.Fatal(err)
					}
					if paged = append(paged, cs...); len(cs) < limit {
						break
					}
					after = complaint.PositionOf(cs[len(cs)-1])
				}
				if !slices.Equal(cpIDs(paged), cpIDs(want)) {
					t.Fatalf("pages of %d of %+v = %v, the scan lists %v", limit, f, cpIDs(paged), cpIDs(want))
				}
			}
		}
	}

	// A damaged complaint about h:2 fails h:2's listing only; one naming no
	// callee fails every callee's.
	plantTable(&s.complaints, complaintSpec, "cp-bad", complaint.Complaint{ID: "cp-bad", Callee: "h:2", Scope: "global",
		Channel: complaint.ChannelPhone, ReceivedAt: t0, Status: "closed"})
	if _, err := s.ListComplaints(ctx, complaint.Filter{Callee: "h:1"}); err != nil {
		t.Fatalf("h:1 with a damaged complaint about h:2: %v", err)
	}
	if _, err := s.ListComplaintsAfter(ctx, complaint.Filter{Callee: "h:1"}, complaint.Position{}, 5); err != nil {
		t.Fatalf("a page of h:1 with a damaged complaint about h:2: %v", err)
	}
	if _, err := s.ListComplaints(ctx, complaint.Filter{Callee: "h:2"}); !errors.Is(err, storage.ErrCorrupt) || !strings.Contains(err.Error(), "cp-bad") {
		t.Fatalf("h:2: %v, want storage.ErrCorrupt naming cp-bad", err)
	}
	plantTable(&s.complaints, complaintSpec, "cp-nocallee", complaint.Complaint{ID: "cp-nocallee", Scope: "global",
		Channel: complaint.ChannelPhone, ReceivedAt: t0, Status: complaint.StatusOpen})
	if _, err := s.ListComplaints(ctx, complaint.Filter{Callee: "h:1"}); !errors.Is(err, storage.ErrCorrupt) || !strings.Contains(err.Error(), "cp-nocallee") {
		t.Fatalf("h:1 with a complaint naming no callee: %v, want storage.ErrCorrupt naming cp-nocallee", err)
	}
	if _, err := s.ListComplaintsAfter(ctx, complaint.Filter{Callee: "h:1"}, complaint.Position{}, 5); !errors.Is(err, storage.ErrCorrupt) {
		t.Fatalf("a page of h:1 with a complaint naming no callee: %v, want storage.ErrCorrupt", err)
	}
}
