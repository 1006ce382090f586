package sweep

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
)

// keySpy is a run store that records the keys it is asked about.
type keySpy struct {
	*memstore.Store
	mu              sync.Mutex
	looked, records []string
}

func (s *keySpy) RunLength(ctx context.Context, key string, x int, t time.Time, p storage.RunParams) (int, error) {
	s.mu.Lock()
	s.looked = append(s.looked, key)
	s.mu.Unlock()
	return s.Store.RunLength(ctx, key, x, t, p)
}

func (s *keySpy) RecordRun(ctx context.Context, id, key string, x int, t time.Time, p storage.RunParams) (int, bool, error) {
	s.mu.Lock()
	s.records = append(s.records, key)
	s.mu.Unlock()
	return s.Store.RecordRun(ctx, id, key, x, t, p)
}

// The keys Attest and Commit build in one allocation (storeKeys) are the
// store keys of the formats the stores already hold — the same in Check
// and in Commit, in the spots' order — for a number in a segment's lower
// half (two run spots) and upper half.
func TestStoreKeysFormat(t *testing.T) {
	cfg := cnCfg
	cfg.Stride = &Sequential{MinRun: 20, MaxGap: 2, Window: dialgate.Duration(24 * time.Hour), Cite: uCite}
	store := &keySpy{Store: memstore.New()}
	c, err := New(cfg, store, WithRuns(store))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		to   dialgate.Number
		want []string
	}{
		{seqNum(861380013, 5), []string{
			"sweep/seq/20/2/1d/1380013/acme",
			"sweep/seq/20/2/1d/~1380013/acme",
			"sweep/stride/20/2/1d/" + strideBlock(seqNum(861380013, 5)) + "/0005/acme",
		}},
		{seqNum(861380013, 7321), []string{
			"sweep/seq/20/2/1d/1380013/acme",
			"sweep/seq/20/2/1d/~1380014/acme",
			"sweep/stride/20/2/1d/" + strideBlock(seqNum(861380013, 7321)) + "/7321/acme",
		}},
	} {
		store.looked, store.records = nil, nil
		d := dialgate.Dial{To: tc.to, Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "l", At: t0}
		if rs, _, err := c.Attest(ctx, d); rs != nil || err != nil {
			t.Fatalf("%v: attest: %v %v", tc.to, rs, err)
		}
		if rs, err := c.Commit(ctx, d, "d-"+tc.to.String()); rs != nil || err != nil {
			t.Fatalf("%v: commit: %v %v", tc.to, rs, err)
		}
		if !slices.Equal(store.looked, tc.want) || !slices.Equal(store.records, tc.want) {
			t.Errorf("%v: looked up %q, recorded %q; want %q", tc.to, store.looked, store.records, tc.want)
		}
	}
}

// strideBlock is the block part of n's stride key.
func strideBlock(n dialgate.Number) string {
	b, _ := seg(n).Stride(0)
	return string(b.AppendTo(nil))
}
