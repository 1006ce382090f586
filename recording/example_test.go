package recording_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage/memstore"
)

// Keep a recording for the 30-day floor, counted from the end of its call;
// nothing deletes it before then, nor while it is under a legal hold.
func ExampleManager() {
	ctx := context.Background()
	store := memstore.New() // a deployment uses its durable store
	defer store.Close()
	// The callee's number is stored only as its keyed hash.
	hasher, err := auditlog.NewCalleeHasher([]byte("example key, keep yours secret"))
	if err != nil {
		log.Fatal(err)
	}

	// No configuration can go below the floor.
	week := recording.Config{Retention: dialgate.Duration(7 * 24 * time.Hour)}
	_, err = recording.NewManager(week, store, nil, hasher)
	fmt.Println("7 days:", errors.Is(err, recording.ErrRetentionTooShort))

	// The zero Config keeps recordings MinRetention (30 days). No Blob
	// (nil): dialgate keeps the metadata, the recorder deletes the media.
	mgr, err := recording.NewManager(recording.Config{}, store, nil, hasher)
	if err != nil {
		log.Fatal(err)
	}
	ended := time.Date(2026, 12, 4, 10, 12, 0, 0, time.UTC)
	rec, err := mgr.Register(ctx, ended.Add(time.Minute), recording.Registration{
		ID: "r-1", DecisionID: "d-1", Tenant: "acme",
		Callee:    dialgate.MustParseNumber("+8613800138000"),
		StartedAt: ended.Add(-12 * time.Minute), EndedAt: ended,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("retain until", rec.RetainUntil.Format(time.RFC3339))

	rep, err := mgr.Sweep(ctx, ended.AddDate(0, 0, 29))
	fmt.Println("sweep on day 29: deleted", rep.Deleted, err)
	err = mgr.Delete(ctx, "r-1", ended.AddDate(0, 0, 29))
	fmt.Println("delete on day 29:", errors.Is(err, recording.ErrRetentionLocked))

	// A legal hold keeps it past the floor until released.
	hold := recording.Hold{ID: "litigation-2026-12", Reason: "court order", PlacedAt: ended.AddDate(0, 0, 20)}
	if err := mgr.Hold(ctx, "r-1", hold); err != nil {
		log.Fatal(err)
	}
	rep, err = mgr.Sweep(ctx, ended.AddDate(0, 0, 31))
	fmt.Println("sweep on day 31: deleted", rep.Deleted, "skipped", rep.Skipped, err)

	if err := mgr.ReleaseHold(ctx, "r-1", hold.ID); err != nil {
		log.Fatal(err)
	}
	rep, err = mgr.Sweep(ctx, ended.AddDate(0, 0, 32))
	fmt.Println("sweep on day 32: deleted", rep.Deleted, err)
	// Output:
	// 7 days: true
	// retain until 2027-01-03T10:12:00Z
	// sweep on day 29: deleted [] <nil>
	// delete on day 29: true
	// sweep on day 31: deleted [] skipped [{r-1 held}] <nil>
	// sweep on day 32: deleted [r-1] <nil>
}
