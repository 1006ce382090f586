package consent_test

import (
	"slices"
	"testing"
	"time"

	"github.com/dialgate/dialgate/consent"
)

func TestSortRecords(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	rs := []consent.Record{
		{ID: "c", GrantedAt: t0.Add(time.Hour)},
		{ID: "b", GrantedAt: t0},
		{ID: "a", GrantedAt: t0},
		{ID: "d", GrantedAt: t0.Add(-time.Hour)},
	}
	consent.SortRecords(rs)
	var got []string
	for _, r := range rs {
		got = append(got, r.ID)
	}
	if want := []string{"d", "a", "b", "c"}; !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v (granted_at, then id)", got, want)
	}
}
