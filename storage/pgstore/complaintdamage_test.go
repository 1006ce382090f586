package pgstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/storage"
)

// A complaint whose stored JSON names another callee than its callee
// column (the callee in the JSON damaged or edited) is found by a listing
// of the column's callee, which must fail on it (storage.ErrCorrupt) rather
// than drop it for not matching: a recording of that callee would be
// registered without the complaint's hold.
func TestComplaintCalleeDamagedIntoAnotherCallee(t *testing.T) {
	url := os.Getenv("DIALGATE_TEST_POSTGRES")
	if url == "" {
		t.Skip("DIALGATE_TEST_POSTGRES is not set")
	}
	s, at := complaintTable(t, url, 8)
	ctx := context.Background()
	if _, err := s.pool.Exec(ctx, `UPDATE complaints SET complaint = jsonb_set(complaint, '{callee}', '"h:other"') WHERE id = 'cp-000001'`); err != nil {
		t.Fatal(err)
	}
	f := complaint.Filter{Callee: "h:cp-000001"}
	if got, err := s.ListComplaints(ctx, f); !errors.Is(err, storage.ErrCorrupt) {
		t.Fatalf("ListComplaints(%+v) = %d complaints, %v; want ErrCorrupt", f, len(got), err)
	}
	if got, err := s.ListComplaintsAfter(ctx, f, complaint.Position{}, 10); !errors.Is(err, storage.ErrCorrupt) {
		t.Fatalf("ListComplaintsAfter(%+v) = %d complaints, %v; want ErrCorrupt", f, len(got), err)
	}
	if hs, err := complaint.RecordingHolds(s)(ctx, f.Callee, at.Add(time.Hour)); err == nil {
		t.Fatalf("a recording of %s gets holds %v and no error: cp-000001's hold is missing", f.Callee, hs)
	}
	// Another callee lists as before.
	if got, err := s.ListComplaints(ctx, complaint.Filter{Callee: "h:cp-000002"}); err != nil || len(got) != 1 {
		t.Fatalf("h:cp-000002 lists %d complaints, %v; want 1", len(got), err)
	}
}

// repairComplaint is how the operator replaces a damaged complaint whole.
func repairComplaint(ctx context.Context, s *Store, c complaint.Complaint) error {
	_, err := s.RepairComplaint(ctx, c)
	return err
}

// A complaint row whose JSON fails validation (its status damaged, its
// callee damaged into another) fails every listing of its callee column's
// callee until the operator replaces it whole; the repair must then
// succeed, keep the damaged JSON in the row (under "replaced", kept by
// later updates), and refuse a callee other than the callee column's.
func TestComplaintRepairDamaged(t *testing.T) {
	url := os.Getenv("DIALGATE_TEST_POSTGRES")
	if url == "" {
		t.Skip("DIALGATE_TEST_POSTGRES is not set")
	}
	s, at := complaintTable(t, url, 8)
	ctx := context.Background()
	if _, err := s.pool.Exec(ctx, `UPDATE complaints SET complaint = complaint || '{"callee":"h:other","status":"opne"}' WHERE id = 'cp-000001'`); err != nil {
		t.Fatal(err)
	}
	var damaged string
	if err := s.pool.QueryRow(ctx, `SELECT complaint::text FROM complaints WHERE id = 'cp-000001'`).Scan(&damaged); err != nil {
		t.Fatal(err)
	}
	f := complaint.Filter{Callee: "h:cp-000001"}
	if _, err := s.ListComplaints(ctx, f); !errors.Is(err, storage.ErrCorrupt) {
		t.Fatalf("before the repair: %v; want ErrCorrupt", err)
	}
	var received time.Time
	if err := s.pool.QueryRow(ctx, `SELECT to_timestamp(received_ns / 1e9) FROM complaints WHERE id = 'cp-000001'`).Scan(&received); err != nil {
		t.Fatal(err)
	}
	c := complaint.Complaint{ID: "cp-000001", Tenant: "acme", Callee: "h:other", Scope: "global", Channel: complaint.ChannelPhone,
		ReceivedAt: received.UTC(), ForwardBy: received.Add(72 * time.Hour), HandleBy: received.Add(480 * time.Hour),
		AnswerBy: received.Add(600 * time.Hour), Status: complaint.StatusOpen, DNCListed: true}
	if err := repairComplaint(ctx, s, c); !errors.Is(err, complaint.ErrInvalid) || !strings.Contains(err.Error(), "callee") {
		t.Fatalf("a repair naming another callee than the callee column's: %v; want ErrInvalid naming callee", err)
	}
	c.Callee = f.Callee
	if err := repairComplaint(ctx, s, c); err != nil {
		t.Fatalf("the operator cannot repair cp-000001: %v", err)
	}
	if got, err := s.ListComplaints(ctx, f); err != nil || len(got) != 1 || got[0].Status != complaint.StatusOpen {
		t.Fatalf("repaired: %s lists %v, %v; want cp-000001", f.Callee, got, err)
	}
	if hs, err := complaint.RecordingHolds(s)(ctx, f.Callee, at.Add(time.Hour)); err != nil || len(hs) != 1 {
		t.Fatalf("repaired: a recording of %s gets holds %v, %v; want cp-000001's", f.Callee, hs, err)
	}
	if err := s.UpdateComplaint(ctx, c.ID, func(c *complaint.Complaint) error {
		c.Status = complaint.StatusForwarded
		c.ForwardedAt = at
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var kept string
	if err := s.pool.QueryRow(ctx, `SELECT complaint->'replaced' FROM complaints WHERE id = 'cp-000001'`).Scan(&kept); err != nil {
		t.Fatalf("the damaged JSON is not kept: %v", err)
	}
	if kept != damaged {
		t.Fatalf("kept %s; want %s", kept, damaged)
	}
}

// A complaint row whose tenant, callee or received_ns column disagrees with
// its JSON (a column damaged or edited) is left out of, or misplaced in,
// the listings that filter or order by the column: a listing of the
// complaint's tenant misses it, and its deadlines with it. Every read that
// reaches the row must fail on it (storage.ErrCorrupt, naming the
// complaint and the column) until the operator repairs it: GetComplaint,
// UpdateComplaint, the unfiltered listings and those of its callee. (A
// listing filtered on a column's true value cannot see a row whose column
// names another: docs/deploy.md says so.)
func TestComplaintColumnDamaged(t *testing.T) {
	url := os.Getenv("DIALGATE_TEST_POSTGRES")
	if url == "" {
		t.Skip("DIALGATE_TEST_POSTGRES is not set")
	}
	for _, tc := range []struct {
		column, damage string
		// lists are the filters whose listing reaches the damaged row.
		lists  []complaint.Filter
		repair bool // the repair takes the JSON's complaint (not so for the callee: see RepairComplaint)
	}{
		{"tenant", `tenant = 'other'`, []complaint.Filter{{}, {Callee: "h:cp-000001"}, {Tenant: "other"}}, true},
		{"tenant", `tenant = ''`, []complaint.Filter{{}, {Callee: "h:cp-000001"}}, true},
		{"received_ns", `received_ns = received_ns + 1`, []complaint.Filter{{}, {Callee: "h:cp-000001"}, {Tenant: "acme"}}, true},
		{"received_ns", `received_ns = 0`, []complaint.Filter{{}, {Callee: "h:cp-000001"}, {Tenant: "acme"}}, true},
		{"callee", `callee = 'h:other'`, []complaint.Filter{{}, {Callee: "h:other"}, {Tenant: "acme"}}, false},
	} {
		t.Run(tc.column+"/"+tc.damage, func(t *testing.T) {
			s, at := complaintTable(t, url, 8)
			ctx := context.Background()
			var received time.Time
			if err := s.pool.QueryRow(ctx, `SELECT to_timestamp(received_ns / 1e9) FROM complaints WHERE id = 'cp-000001'`).Scan(&received); err != nil {
				t.Fatal(err)
			}
			if _, err := s.pool.Exec(ctx, `UPDATE complaints SET `+tc.damage+` WHERE id = 'cp-000001'`); err != nil {
				t.Fatal(err)
			}
			corrupt := func(what string, err error) {
				t.Helper()
				if !errors.Is(err, storage.ErrCorrupt) || !strings.Contains(err.Error(), "cp-000001") || !strings.Contains(err.Error(), tc.column+" column") {
					t.Errorf("%s: %v; want ErrCorrupt naming cp-000001 and its %s column", what, err, tc.column)
				}
			}
			_, err := s.GetComplaint(ctx, "cp-000001")
			corrupt("GetComplaint", err)
			corrupt("UpdateComplaint", s.UpdateComplaint(ctx, "cp-000001", func(c *complaint.Complaint) error {
				c.Status = complaint.StatusForwarded
				c.ForwardedAt = at
				return nil
			}))
			for _, f := range tc.lists {
				_, err := s.ListComplaints(ctx, f)
				corrupt(fmt.Sprintf("ListComplaints(%+v)", f), err)
				_, err = s.ListComplaintsAfter(ctx, f, complaint.Position{}, 10) // one page: every row
				corrupt(fmt.Sprintf("ListComplaintsAfter(%+v)", f), err)
			}
			// The other complaints read as before.
			if got, err := s.GetComplaint(ctx, "cp-000002"); err != nil || got.ID != "cp-000002" {
				t.Fatalf("cp-000002 reads %+v, %v", got, err)
			}
			if !tc.repair {
				return
			}
			c := complaint.Complaint{ID: "cp-000001", Tenant: "acme", Callee: "h:cp-000001", Scope: "global", Channel: complaint.ChannelPhone,
				ReceivedAt: received.UTC(), ForwardBy: received.Add(72 * time.Hour), HandleBy: received.Add(480 * time.Hour),
				AnswerBy: received.Add(600 * time.Hour), Status: complaint.StatusOpen, DNCListed: true}
			if err := repairComplaint(ctx, s, c); err != nil {
				t.Fatalf("the operator cannot repair cp-000001: %v", err)
			}
			byReceipt := func(a, b complaint.Complaint) int { return a.ReceivedAt.Compare(b.ReceivedAt) }
			for _, l := range []struct {
				f    complaint.Filter
				want int
			}{{complaint.Filter{}, 8}, {complaint.Filter{Tenant: "acme"}, 8}, {complaint.Filter{Callee: "h:cp-000001"}, 1}} {
				got, err := s.ListComplaints(ctx, l.f)
				if err != nil || len(got) != l.want || !slices.IsSortedFunc(got, byReceipt) {
					t.Fatalf("repaired: ListComplaints(%+v) = %d complaints (sorted: %v), %v; want %d", l.f, len(got), slices.IsSortedFunc(got, byReceipt), err, l.want)
				}
				page, err := s.ListComplaintsAfter(ctx, l.f, complaint.Position{}, 10)
				if err != nil || len(page) != l.want || !slices.IsSortedFunc(page, byReceipt) {
					t.Fatalf("repaired: ListComplaintsAfter(%+v) = %d complaints (sorted: %v), %v; want %d", l.f, len(page), slices.IsSortedFunc(page, byReceipt), err, l.want)
				}
			}
			if got, err := s.GetComplaint(ctx, "cp-000001"); err != nil || got.Tenant != "acme" || !got.ReceivedAt.Equal(received) {
				t.Fatalf("repaired: GetComplaint = %+v, %v", got, err)
			}
			var tenant string
			var ns int64
			if err := s.pool.QueryRow(ctx, `SELECT tenant, received_ns FROM complaints WHERE id = 'cp-000001'`).Scan(&tenant, &ns); err != nil {
				t.Fatal(err)
			}
			if tenant != "acme" || ns != received.UnixNano() {
				t.Fatalf("repaired: columns tenant %q, received_ns %d; want acme, %d", tenant, ns, received.UnixNano())
			}
		})
	}
}
