package complaint_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/dialgate/dialgate/complaint"
)

// TestPager: a Pager offered complaints in any order keeps exactly the
// first limit of them after its Position, in the listing order (what
// sorting them all and cutting gives).
func TestPager(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(0, 60).Draw(rt, "n")
		var all []complaint.Complaint
		seen := map[string]bool{}
		for i := range n {
			// Few instants and short ids: many ties on receipt.
			id := rapid.StringMatching(`[a-cA-C0-9]{1,3}`).Draw(rt, fmt.Sprint("id", i))
			if seen[id] {
				continue
			}
			seen[id] = true
			all = append(all, complaint.Complaint{ID: id, ReceivedAt: t0.Add(time.Duration(rapid.IntRange(0, 4).Draw(rt, fmt.Sprint("at", i))) * time.Hour)})
		}
		limit := rapid.IntRange(1, 12).Draw(rt, "limit")
		var after complaint.Position
		if rapid.Bool().Draw(rt, "fromPosition") {
			after = complaint.Position{
				ReceivedAt: t0.Add(time.Duration(rapid.IntRange(0, 4).Draw(rt, "afterAt")) * time.Hour),
				ID:         rapid.StringMatching(`[a-cA-C0-9]{1,3}`).Draw(rt, "afterID"),
			}
		}
		want := slices.Clone(all)
		complaint.SortComplaints(want)
		want = slices.DeleteFunc(want, func(c complaint.Complaint) bool { return !after.Before(c) })
		want = want[:min(limit, len(want))]

		p, err := complaint.NewPager(after, limit)
		if err != nil {
			rt.Fatal(err)
		}
		for _, i := range rapid.Permutation(indexes(len(all))).Draw(rt, "order") {
			p.Offer(all[i])
		}
		got := p.Page()
		if fmt.Sprint(ids(got)) != fmt.Sprint(ids(want)) {
			rt.Fatalf("page after %+v, limit %d = %v, want %v", after, limit, ids(got), ids(want))
		}
	})
	for _, limit := range []int{0, -3} {
		if _, err := complaint.NewPager(complaint.Position{}, limit); !errors.Is(err, complaint.ErrInvalid) || !strings.Contains(fmt.Sprint(err), "limit") {
			t.Errorf("NewPager(limit %d): %v, want ErrInvalid naming limit", limit, err)
		}
	}
}

func indexes(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func ids(cs []complaint.Complaint) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}
