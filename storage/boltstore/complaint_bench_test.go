package boltstore

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dialgate/dialgate/complaint"
)

// scanComplaintsAfter is ListComplaintsAfter as it was before the receipt
// index: every page decodes every complaint and keeps the page's
// (complaint.Pager). Kept here only to compare with the index.
func (s *Store) scanComplaintsAfter(ctx context.Context, f complaint.Filter, after complaint.Position, limit int) ([]complaint.Complaint, error) {
	p, err := complaint.NewPager(after, limit)
	if err != nil {
		return nil, err
	}
	if _, err := tableList(ctx, s, "ListComplaintsAfter", complaints, func(c complaint.Complaint) bool {
		if f.Matches(c) {
			p.Offer(c)
		}
		return false
	}); err != nil {
		return nil, err
	}
	return p.Page(), nil
}

// benchComplaintStore opens a store (closed when b ends) holding n
// complaints cp-000000, … received from t0 on in an order unrelated to
// their ids, several to a second, each changed by edit (given its number)
// before it is stored; it returns the store and t0.
func benchComplaintStore(b *testing.B, n int, edit func(int, *complaint.Complaint)) (*Store, time.Time) {
	b.Helper()
	s, err := Open(filepath.Join(b.TempDir(), DefaultFileName), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	err = s.db.Update(func(tx *bolt.Tx) error {
		for i := range n {
			c := idxComplaint(fmt.Sprintf("cp-%06d", i), t0.Add(time.Duration((i*7919)%(n/4))*time.Second))
			c.Details = "the caller rang twice after I asked to be taken off the list"
			edit(i, &c)
			if err := complaints.put(tx.Bucket(bucketComplaints), c); err != nil {
				return err
			}
			if err := complaints.reindex(tx, nil, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return s, t0
}

// BenchmarkListComplaintPages lists every page (100 complaints each) of
// 30,000 complaints: one op is the whole listing, through the receipt
// index ("index") and by the scan ListComplaintsAfter did before it
// ("scan"), alternating three times in one run (scan, index, scan#01,
// index#01, …) so that both see the same machine. Run it with
// -benchtime 1x: one scan listing takes about a minute.
func BenchmarkListComplaintPages(b *testing.B) {
	const n, limit = 30_000, 100
	s, _ := benchComplaintStore(b, n, func(int, *complaint.Complaint) {})
	ctx := context.Background()
	for range 3 {
		benchComplaintRound(ctx, b, s, n, limit)
	}
}

func benchComplaintRound(ctx context.Context, b *testing.B, s *Store, n, limit int) {
	for _, m := range []struct {
		name string
		page func(context.Context, complaint.Filter, complaint.Position, int) ([]complaint.Complaint, error)
	}{{"scan", s.scanComplaintsAfter}, {"index", s.ListComplaintsAfter}} {
		b.Run(m.name, func(b *testing.B) {
			for b.Loop() {
				var after complaint.Position
				total := 0
				for {
					cs, err := m.page(ctx, complaint.Filter{}, after, limit)
					if err != nil {
						b.Fatal(err)
					}
					total += len(cs)
					if len(cs) < limit {
						break
					}
					after = complaint.PositionOf(cs[len(cs)-1])
				}
				if total != n {
					b.Fatalf("listed %d complaints, want %d", total, n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64((n+limit-1)/limit), "ns/page")
		})
	}
}

// scanStore is the store with ListComplaints as it was before the callee
// index (scanComplaints), for BenchmarkRecordingHolds.
type scanStore struct{ *Store }

func (s scanStore) ListComplaints(ctx context.Context, f complaint.Filter) ([]complaint.Complaint, error) {
	return s.scanComplaints(ctx, f)
}

// BenchmarkRecordingHolds looks up the holds of a new recording
// (complaint.RecordingHolds: a ListComplaints by callee, on every recording
// registration) among 30,000 complaints about 10,000 callees, by the scan
// ListComplaints did before the callee index ("scan") and through it
// ("index"), alternating three times in one run.
func BenchmarkRecordingHolds(b *testing.B) {
	const n, callees = 30_000, 10_000
	s, t0 := benchComplaintStore(b, n, func(i int, c *complaint.Complaint) {
		c.Callee = fmt.Sprintf("h:%05d", (i*31)%callees)
		if i%2 == 0 {
			c.Status = complaint.StatusAnswered
		}
	})
	ctx := context.Background()
	for range 3 {
		for _, m := range []struct {
			name  string
			store complaint.Store
		}{{"scan", scanStore{s}}, {"index", s}} {
			holds := complaint.RecordingHolds(m.store)
			b.Run(m.name, func(b *testing.B) {
				i := 0
				for b.Loop() {
					hs, err := holds(ctx, fmt.Sprintf("h:%05d", (i*7)%callees), t0)
					if err != nil {
						b.Fatal(err)
					}
					if len(hs) > 3 {
						b.Fatalf("%d holds", len(hs))
					}
					i++
				}
			})
		}
	}
}
