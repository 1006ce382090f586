package consent

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// TestLineRecordsAndHistory: the records and events of a French overseas
// line are those kept under both its spellings, merged in the store's
// order (records by GrantedAt then ID, events by Seq), the same whichever
// spelling is asked for; any other number's are its own. `dialgate consent
// show` and `consent export` each merged them with code of their own.
func TestLineRecordsAndHistory(t *testing.T) {
	ctx := context.Background()
	s := newFakeStore()
	other := dialgate.MustParseNumber("+8613900139000")
	// Grants interleaved across the spellings, one revoked, and two at one
	// instant under different spellings (ordered by ID).
	for _, g := range []struct {
		id string
		n  dialgate.Number
		at time.Time
	}{
		{"c-4", domFR, t0.Add(3 * time.Hour)},
		{"c-2", domOwn, t0.Add(time.Hour)},
		{"c-1", domFR, t0},
		{"c-3b", domOwn, t0.Add(2 * time.Hour)},
		{"c-3a", domFR, t0.Add(2 * time.Hour)},
		{"c-x", other, t0.Add(time.Minute)},
	} {
		r := goodRecord()
		r.ID, r.Number, r.GrantedAt = g.id, g.n, g.at
		if err := s.AddConsent(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.RevokeConsent(ctx, "c-2", t0.Add(4*time.Hour), "ivr"); err != nil {
		t.Fatal(err)
	}
	wantIDs := []string{"c-1", "c-2", "c-3a", "c-3b", "c-4"}
	for _, n := range []dialgate.Number{domOwn, domFR} {
		recs, err := LineRecords(ctx, s, n)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range recs {
			ids = append(ids, r.ID)
		}
		if !slices.Equal(ids, wantIDs) {
			t.Errorf("LineRecords(%s) = %v, want %v", n, ids, wantIDs)
		}
		evs, err := LineHistory(ctx, s, n)
		if err != nil {
			t.Fatal(err)
		}
		var seqs []uint64
		for _, e := range evs {
			seqs = append(seqs, e.Seq)
			if e.Number != domOwn && e.Number != domFR {
				t.Errorf("LineHistory(%s): event %+v of another line", n, e)
			}
		}
		if len(evs) != 6 || !slices.IsSorted(seqs) {
			t.Errorf("LineHistory(%s) seqs = %v, want the 5 grants and the revocation in Seq order", n, seqs)
		}
	}
	recs, err := LineRecords(ctx, s, other)
	if err != nil || len(recs) != 1 || recs[0].ID != "c-x" {
		t.Errorf("LineRecords(%s) = %+v, %v; want c-x alone", other, recs, err)
	}
	if recs, err := LineRecords(ctx, s, dialgate.MustParseNumber("+8613900139001")); err != nil || recs == nil || len(recs) != 0 {
		t.Errorf("LineRecords of a number without records = %#v, %v; want an empty slice", recs, err)
	}
	if evs, err := LineHistory(ctx, s, dialgate.MustParseNumber("+33596000102")); err != nil || evs == nil || len(evs) != 0 {
		t.Errorf("LineHistory of an overseas line without events = %#v, %v; want an empty slice", evs, err)
	}
}

// TestLineRecordsStoreError: a store that fails fails both reads, wrapped.
func TestLineRecordsStoreError(t *testing.T) {
	s := newFakeStore()
	s.fail = errors.New("store down")
	if _, err := LineRecords(context.Background(), s, domFR); !errors.Is(err, s.fail) {
		t.Errorf("LineRecords on a failing store: %v, want it wrapped", err)
	}
	if _, err := LineHistory(context.Background(), s, domOwn); !errors.Is(err, s.fail) {
		t.Errorf("LineHistory on a failing store: %v, want it wrapped", err)
	}
}
