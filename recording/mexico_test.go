package recording_test

import (
	"context"
	"testing"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage/memstore"
)

// TestHoldCalleeMexicanPrefixOne: a complaint about a Mexican line is now
// filed under its 10-digit spelling (+52 55 …; the withdrawn prefix-1 form
// is refused), but an earlier build registered the line's recordings under
// +52 1 55 … as the dialer gave it. The complaint's hold must reach them,
// or the sweep deletes the recordings of the call complained about.
func TestHoldCalleeMexicanPrefixOne(t *testing.T) {
	ctx := context.Background()
	old := dialgate.MustParseNumber("+5215512345678")
	now := dialgate.MustParseNumber("+525512345678")
	mgr, err := recording.NewManager(recording.Config{}, memstore.New(), nil, digitsHasher{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mgr.Register(ctx, start, recording.Registration{ID: "a", Callee: old, StartedAt: start}); err != nil {
		t.Fatal(err)
	}
	held, err := mgr.HoldCallee(ctx, now, recording.Hold{ID: "complaint:cp-1", PlacedAt: start})
	if err != nil || len(held) != 1 || held[0] != "a" {
		t.Errorf("HoldCallee(%s) = %v, %v; want the recording registered under %s", now, held, err, old)
	}
}
