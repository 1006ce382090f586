package pgstore

import (
	"context"
	"errors"
	"os"
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
