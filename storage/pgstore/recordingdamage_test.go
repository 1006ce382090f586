package pgstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage"
)

// A recording row whose callee, decision_id or retain_until_ns column
// disagrees with its JSON (the JSON or the column damaged or edited) is
// read by the listings filtered on the column, and was then dropped for
// not matching, without an error: a complaint about the column's callee
// held its other recordings but not this one (recording.Manager
// .HoldCallee), and a sweep deleting media looked for the callee's other
// recordings of it (mediaShared) without seeing it. Every read that
// reaches the row must fail on it (storage.ErrCorrupt, naming the
// recording and the column), as for complaints (rowComplaint).
func TestRecordingColumnDamaged(t *testing.T) {
	url := os.Getenv("DIALGATE_TEST_POSTGRES")
	if url == "" {
		t.Skip("DIALGATE_TEST_POSTGRES is not set")
	}
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		column, damage string
		lists          []recording.Filter // the listings that reach the row
	}{
		{"callee", `rec = jsonb_set(rec, '{callee}', '"h:other"')`, []recording.Filter{{}, {Callee: "h:a"}, {DecisionID: "d-r-1"}}},
		{"callee", `callee = 'h:other'`, []recording.Filter{{}, {Callee: "h:other"}, {DecisionID: "d-r-1"}}},
		{"decision_id", `rec = jsonb_set(rec, '{decision_id}', '"d-other"')`, []recording.Filter{{}, {Callee: "h:a"}, {DecisionID: "d-r-1"}}},
		{"retain_until_ns", `retain_until_ns = retain_until_ns + 1`, []recording.Filter{{}, {Callee: "h:a"}, {DueBy: at.Add(365 * 24 * time.Hour)}}},
	} {
		t.Run(tc.column+"/"+tc.damage, func(t *testing.T) {
			ctx := context.Background()
			s := freshStore(t, url)
			for _, id := range []string{"r-1", "r-2"} {
				r := recording.Recording{ID: id, DecisionID: "d-" + id, Tenant: "acme", Callee: "h:a", StartedAt: at,
					RetainUntil: at.Add(recording.MinRetention), MediaURI: "file:" + id + ".wav", State: recording.StateActive}
				if err := s.CreateRecording(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.pool.Exec(ctx, `UPDATE recordings SET `+tc.damage+` WHERE id = 'r-1'`); err != nil {
				t.Fatal(err)
			}
			corrupt := func(what string, err error) {
				t.Helper()
				if !errors.Is(err, storage.ErrCorrupt) || !strings.Contains(err.Error(), "r-1") || !strings.Contains(err.Error(), tc.column+" column") {
					t.Errorf("%s: %v; want ErrCorrupt naming r-1 and its %s column", what, err, tc.column)
				}
			}
			_, err := s.GetRecording(ctx, "r-1")
			corrupt("GetRecording", err)
			corrupt("UpdateRecording", s.UpdateRecording(ctx, "r-1", func(r *recording.Recording) error {
				r.Holds = append(r.Holds, recording.Hold{ID: "h", PlacedAt: at})
				return nil
			}))
			for _, f := range tc.lists {
				rs, err := s.ListRecordings(ctx, f)
				corrupt(fmt.Sprintf("ListRecordings(%+v) = %d recordings", f, len(rs)), err)
			}
			if _, err := s.GetRecording(ctx, "r-2"); err != nil {
				t.Errorf("GetRecording(r-2), a sound row: %v", err)
			}
		})
	}
}
