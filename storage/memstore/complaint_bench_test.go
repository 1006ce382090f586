package memstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dialgate/dialgate/complaint"
)

// scanComplaintsAfter is ListComplaintsAfter as it was before the table
// kept its order: every page looks at every complaint. Kept here only to
// compare with it.
func (s *Store) scanComplaintsAfter(_ context.Context, f complaint.Filter, after complaint.Position, limit int) ([]complaint.Complaint, error) {
	p, err := complaint.NewPager(after, limit)
	if err != nil {
		return nil, err
	}
	if _, err := s.complaints.list(complaintSpec, func(c complaint.Complaint) bool {
		if f.Matches(c) && p.Wants(c) {
			p.Offer(complaintSpec.clone(c))
		}
		return false
	}); err != nil {
		return nil, err
	}
	return p.Page(), nil
}

// benchComplaintStore returns a new store holding n open complaints
// cp-000000, … about callee(i), received from t0 on in an order unrelated
// to their ids, several to a second, and t0.
func benchComplaintStore(b *testing.B, n int, callee func(i int) string) (*Store, time.Time) {
	b.Helper()
	s := New()
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for i := range n {
		at := t0.Add(time.Duration((i*7919)%(n/4)) * time.Second)
		c := complaint.Complaint{ID: fmt.Sprintf("cp-%06d", i), Callee: callee(i), Scope: "global", Channel: complaint.ChannelPhone, ReceivedAt: at, Status: complaint.StatusOpen}
		if err := s.CreateComplaint(context.Background(), c); err != nil {
			b.Fatal(err)
		}
	}
	return s, t0
}

// BenchmarkListComplaintPages lists every page (100 complaints each) of
// 30,000 complaints, one op the whole listing: by the scan of every
// complaint ("scan") and from the kept order ("order"), alternating three
// times.
func BenchmarkListComplaintPages(b *testing.B) {
	const n, limit = 30_000, 100
	s, _ := benchComplaintStore(b, n, func(int) string { return "h" })
	ctx := context.Background()
	for range 3 {
		for _, m := range []struct {
			name string
			page func(context.Context, complaint.Filter, complaint.Position, int) ([]complaint.Complaint, error)
		}{{"scan", s.scanComplaintsAfter}, {"order", s.ListComplaintsAfter}} {
			b.Run(m.name, func(b *testing.B) {
				for b.Loop() {
					var after complaint.Position
					total := 0
					for {
						cs, err := m.page(ctx, complaint.Filter{}, after, limit)
						if err != nil {
							b.Fatal(err)
						}
						if total += len(cs); len(cs) < limit {
							break
						}
						after = complaint.PositionOf(cs[len(cs)-1])
					}
					if total != n {
						b.Fatalf("listed %d complaints, want %d", total, n)
					}
				}
			})
		}
	}
}

// scanStore is the store with ListComplaints as it was before the
// per-callee order (scanComplaints), for BenchmarkRecordingHolds.
type scanStore struct{ *Store }

func (s scanStore) ListComplaints(_ context.Context, f complaint.Filter) ([]complaint.Complaint, error) {
	return s.scanComplaints(f)
}

// BenchmarkRecordingHolds looks up the holds of a new recording
// (complaint.RecordingHolds) among 30,000 complaints about 10,000 callees,
// by the scan ("scan") and from the callee's own order ("order"),
// alternating three times.
func BenchmarkRecordingHolds(b *testing.B) {
	const n, callees = 30_000, 10_000
	s, t0 := benchComplaintStore(b, n, func(i int) string { return fmt.Sprintf("h:%05d", (i*31)%callees) })
	ctx := context.Background()
	for range 3 {
		for _, m := range []struct {
			name  string
			store complaint.Store
		}{{"scan", scanStore{s}}, {"order", s}} {
			holds := complaint.RecordingHolds(m.store)
			b.Run(m.name, func(b *testing.B) {
				i := 0
				for b.Loop() {
					hs, err := holds(ctx, fmt.Sprintf("h:%05d", (i*7)%callees), t0)
					if err != nil {
						b.Fatal(err)
					}
					if len(hs) != 3 {
						b.Fatalf("%d holds, want 3", len(hs))
					}
					i++
				}
			})
		}
	}
}
