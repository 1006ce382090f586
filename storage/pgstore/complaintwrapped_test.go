package pgstore

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/dialgate/dialgate/complaint"
)

// TestComplaintWrappedReceivedNsOfEarlierBuilds: builds before the clamp
// (receivedNs) wrote a receipt before 1678 or after 2262 as its wrapped
// Unix nanoseconds. Such a row is what that build wrote, not damage: it
// must still be read (as a recording's wrapped retain_until_ns is,
// rowRecording), not refused as corrupt — which made the complaint, and
// every listing of the store's complaints (complaint list, the quarterly
// report), fail after an upgrade. An update writes the clamped value.
func TestComplaintWrappedReceivedNsOfEarlierBuilds(t *testing.T) {
	url := os.Getenv("DIALGATE_TEST_POSTGRES")
	if url == "" {
		t.Skip("DIALGATE_TEST_POSTGRES is not set")
	}
	ctx := context.Background()
	s := freshStore(t, url)
	for i, at := range []time.Time{
		time.Date(1500, 3, 1, 9, 0, 0, 0, time.UTC),
		time.Date(2500, 3, 1, 9, 0, 0, 0, time.UTC),
		time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
	} {
		c := complaint.Complaint{ID: "cp-" + string(rune('a'+i)), Tenant: "acme", Callee: "h:a", Channel: complaint.ChannelWeb,
			ReceivedAt: at, ForwardBy: at, HandleBy: at, AnswerBy: at, Status: complaint.StatusOpen, DNCListed: true}
		if err := s.CreateComplaint(ctx, c); err != nil {
			t.Fatal(err)
		}
		// As a build before the clamp wrote it.
		if _, err := s.pool.Exec(ctx, `UPDATE complaints SET received_ns = $2 WHERE id = $1`, c.ID, at.UnixNano()); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"cp-a", "cp-b", "cp-c"} {
		if _, err := s.GetComplaint(ctx, id); err != nil {
			t.Errorf("GetComplaint(%s), written by an earlier build: %v", id, err)
		}
	}
	if cs, err := s.ListComplaints(ctx, complaint.Filter{}); err != nil || len(cs) != 3 {
		t.Errorf("ListComplaints: %d complaints, %v; want 3", len(cs), err)
	}
	if err := s.UpdateComplaint(ctx, "cp-a", func(c *complaint.Complaint) error { c.Resolution = ""; return nil }); err != nil {
		t.Errorf("UpdateComplaint(cp-a): %v", err)
	}
	var ns int64
	if err := s.pool.QueryRow(ctx, `SELECT received_ns FROM complaints WHERE id = 'cp-a'`).Scan(&ns); err != nil || ns != boundNanos(time.Date(1500, 3, 1, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("received_ns after an update: %d, %v; want the clamped value", ns, err)
	}
}

// TestComplaintWrappedReceivedNsPaging: paging through complaints, some
// of which an earlier build stored with a wrapped received_ns (receipts in
// 1500 and 2500), lists every complaint exactly once. A page ending on such
// a complaint went on from its receipt's clamped end of the range, not
// from its row: after the one of 2500 (its row among those of 1915) the
// next page started past every row and the complaints after it were never
// listed; after the one of 1500 it started over from the first row.
func TestComplaintWrappedReceivedNsPaging(t *testing.T) {
	url := os.Getenv("DIALGATE_TEST_POSTGRES")
	if url == "" {
		t.Skip("DIALGATE_TEST_POSTGRES is not set")
	}
	ctx := context.Background()
	s := freshStore(t, url)
	add := func(id string, at time.Time, wrapped bool) {
		t.Helper()
		c := complaint.Complaint{ID: id, Tenant: "acme", Callee: "h:a", Channel: complaint.ChannelWeb,
			ReceivedAt: at, ForwardBy: at, HandleBy: at, AnswerBy: at, Status: complaint.StatusOpen, DNCListed: true}
		if err := s.CreateComplaint(ctx, c); err != nil {
			t.Fatal(err)
		}
		if wrapped {
			if _, err := s.pool.Exec(ctx, `UPDATE complaints SET received_ns = $2 WHERE id = $1`, id, at.UnixNano()); err != nil {
				t.Fatal(err)
			}
		}
	}
	add("cp-1500", time.Date(1500, 3, 1, 9, 0, 0, 0, time.UTC), true)
	add("cp-2500", time.Date(2500, 3, 1, 9, 0, 0, 0, time.UTC), true)
	add("cp-1600", time.Date(1600, 3, 1, 9, 0, 0, 0, time.UTC), false)
	add("cp-2026a", time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), false)
	add("cp-2026b", time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), false)
	add("cp-2300", time.Date(2300, 3, 1, 9, 0, 0, 0, time.UTC), false)
	add("cp-2400", time.Date(2400, 3, 1, 9, 0, 0, 0, time.UTC), false)
	for _, limit := range []int{1, 2, 3} {
		seen := map[string]int{}
		var after complaint.Position
		for page := 0; ; page++ {
			if page > 20 {
				t.Fatalf("limit %d: more than 20 pages: %v", limit, seen)
			}
			cs, err := s.ListComplaintsAfter(ctx, complaint.Filter{}, after, limit)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cs {
				seen[c.ID]++
			}
			if len(cs) < limit {
				break
			}
			after = complaint.PositionOf(cs[len(cs)-1])
		}
		if len(seen) != 7 {
			t.Errorf("limit %d: listed %v, want all 7 complaints", limit, seen)
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("limit %d: %s listed %d times", limit, id, n)
			}
		}
	}
}
