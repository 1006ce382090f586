package recording_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage/memstore"
)

// digitsHasher hashes the whole number, so that a line's two spellings
// hash apart as they do under the audit log's keyed hash.
type digitsHasher struct{}

func (digitsHasher) HashCallee(n dialgate.Number) string { return "h:" + n.Digits() }

// A complaint about a French overseas line holds its recordings under both
// spellings (+596 596 … and +33 596 …): those registered before the
// complaint, and those registered while it is open.
func TestHoldCalleeOverseasSpellings(t *testing.T) {
	ctx := context.Background()
	own := dialgate.MustParseNumber("+596596000101")
	fr := dialgate.MustParseNumber("+33596000101")
	mgr, err := recording.NewManager(recording.Config{}, memstore.New(), nil, digitsHasher{})
	if err != nil {
		t.Fatal(err)
	}
	h := recording.Hold{ID: "complaint:cp-1", PlacedAt: start}
	mgr.HoldNew(func(ctx context.Context, callee string, at time.Time) ([]recording.Hold, error) {
		if callee == "h:"+own.Digits() {
			return []recording.Hold{h}, nil // the complaint was filed under +596 …
		}
		return nil, nil
	})
	for _, reg := range []recording.Registration{{ID: "a", Callee: fr, StartedAt: start}, {ID: "b", Callee: own, StartedAt: start}} {
		r, err := mgr.Register(ctx, start, reg)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Holds) != 1 {
			t.Errorf("recording %s of %s registered during the complaint has holds %+v, want the complaint's", reg.ID, reg.Callee, r.Holds)
		}
	}
	mgr2, err := recording.NewManager(recording.Config{}, memstore.New(), nil, digitsHasher{})
	if err != nil {
		t.Fatal(err)
	}
	for _, reg := range []recording.Registration{{ID: "a", Callee: fr, StartedAt: start}, {ID: "b", Callee: own, StartedAt: start}} {
		if _, err := mgr2.Register(ctx, start, reg); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []dialgate.Number{own, fr} {
		held, err := mgr2.HoldCallee(ctx, n, recording.Hold{ID: "complaint:cp-" + n.Digits(), PlacedAt: start})
		if err != nil || strings.Join(held, ",") != "a,b" && strings.Join(held, ",") != "b,a" {
			t.Errorf("HoldCallee(%s) = %v, %v; want both spellings' recordings", n, held, err)
		}
	}
}
