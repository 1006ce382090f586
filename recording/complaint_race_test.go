package recording_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate/recording"
)

// A complaint filed while two sweeps run (media deletes failing now and
// then): every recording of the callee either is gone with its media, or
// is kept, with its media, under the complaint's hold, once the sweeps are
// over; and every recording HoldCallee reported held, or active once the
// complaint was filed (one a failed sweep put back), is kept.
func TestComplaintRacingSweeps(t *testing.T) {
	for round := range 20 {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			ctx := context.Background()
			open := &openComplaints{}
			var n atomic.Int64
			flaky := func(b recording.Blob) recording.Blob {
				return funcBlob{Blob: b, del: func(ctx context.Context, uri string) error {
					time.Sleep(200 * time.Microsecond)
					if n.Add(1)%3 == 0 {
						return errors.New("media store: transient failure")
					}
					return b.Delete(ctx, uri)
				}}
			}
			f := newFixture(t, recording.Config{}, flaky)
			f.mgr.HoldNew(open.calleeHolds)
			mgrB, err := recording.NewManager(recording.Config{}, f.store, f.blob, testHasher{})
			if err != nil {
				t.Fatal(err)
			}
			mgrB.HoldNew(open.calleeHolds)
			var ids []string
			for i := range 12 {
				id := fmt.Sprintf("r%02d", i)
				ids = append(ids, id)
				f.register(t, id)
			}
			at := start.Add(31 * day)
			var wg sync.WaitGroup
			for _, m := range []*recording.Manager{f.mgr, mgrB} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 2 {
						_, _ = m.Sweep(ctx, at)
					}
				}()
			}
			var held []string
			var holdErr error
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Duration(round*150) * time.Microsecond)
				h := recording.Hold{ID: "complaint:cp-1", Reason: "complaint cp-1", PlacedAt: at}
				open.file(testHasher{}.HashCallee(callee), h)
				held, holdErr = mgrB.HoldCallee(ctx, callee, h)
			}()
			wg.Wait()
			if holdErr != nil {
				t.Fatal(holdErr)
			}
			// Active now, with the complaint open: kept whatever comes.
			active := map[string]bool{}
			for _, id := range ids {
				if r, err := f.mgr.Get(ctx, id); err == nil && r.State == recording.StateActive {
					active[id] = true
				}
			}
			for range 12 {
				_, _ = f.mgr.Sweep(ctx, at.Add(time.Hour))
			}
			for _, id := range ids {
				r, err := f.mgr.Get(ctx, id)
				_, serr := os.Stat(filepath.Join(f.dir, id+".wav"))
				media := serr == nil
				switch {
				case errors.Is(err, recording.ErrNotFound):
					if media {
						t.Errorf("%s: record gone, media left", id)
					}
					if slices.Contains(held, id) || active[id] {
						t.Errorf("%s: active after the complaint was filed (held by it: %v), but deleted", id, slices.Contains(held, id))
					}
				case err != nil:
					t.Fatal(err)
				default:
					if !r.Held() || r.State != recording.StateActive || !media {
						t.Errorf("%s: kept as %+v, media there: %v; want active, held by the complaint, with its media", id, r, media)
					}
				}
			}
		})
	}
}
