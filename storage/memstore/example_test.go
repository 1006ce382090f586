package memstore_test

import (
	"context"
	"fmt"
	"time"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
)

// Two calls per 24 hours: the third reservation is refused until the first
// leaves the window; a released reservation frees its slot at once.
func ExampleStore_Reserve() {
	s := memstore.New()
	defer s.Close()
	ctx := context.Background()
	day := []storage.Limit{{Key: "frequency|example", Window: 24 * time.Hour, Max: 2}}
	t0 := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)

	for i, id := range []string{"dg-1", "dg-2", "dg-3"} {
		ok, u, _ := s.Reserve(ctx, id, t0.Add(time.Duration(i)*time.Hour), day)
		fmt.Println(id, ok, u[0].Count, u[0].NextAt.Format(time.RFC3339))
	}
	_ = s.Release(ctx, "dg-2")
	ok, _, _ := s.Reserve(ctx, "dg-3", t0.Add(2*time.Hour), day)
	fmt.Println("dg-3 after release", ok)
	// Output:
	// dg-1 true 0 0001-01-01T00:00:00Z
	// dg-2 true 1 0001-01-01T00:00:00Z
	// dg-3 false 2 2026-12-06T09:00:00Z
	// dg-3 after release true
}
