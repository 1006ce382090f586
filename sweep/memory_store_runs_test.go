package sweep

import (
	"context"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage/memstore"
)

// TestMemoryRunsMatchStoreRuns: the in-memory path of Attest and Commit
// decides as the shared-store path (memstore keeps its runs in the same
// seqrun sets), for random dials of a few tenants through neighbouring
// segments and a segment boundary, runs and strides of each, Commits
// without their Attest (as after a concurrent one), and releases, over two
// days.
func TestMemoryRunsMatchStoreRuns(t *testing.T) {
	for _, maxStep := range []int{0, 12} {
		t.Run("max_step="+strconv.Itoa(maxStep), func(t *testing.T) { memoryMatchesStore(t, maxStep) })
	}
}

// memoryMatchesStore is TestMemoryRunsMatchStoreRuns with rules of max
// step maxStep (0: none); with one, the dialer walks by a fixed step (4 to
// 12, a round's) a third of the time, and changes segment or tenant a
// quarter of the time.
func memoryMatchesStore(t *testing.T, maxStep int) {
	ctx := context.Background()
	rule := &Sequential{MinRun: 6, MaxGap: 2, MaxStep: maxStep, Window: dialgate.Duration(6 * time.Hour), Cite: uCite}
	cfg := Config{Sequential: rule, Stride: rule}
	r := rand.New(rand.NewPCG(15, 16))
	attestDenied, commitRefused := 0, 0
	for round := range 20 {
		walkStep := 4 + r.IntN(9)
		mem, err := New(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		shared, err := New(cfg, nil, WithRuns(memstore.New()))
		if err != nil {
			t.Fatal(err)
		}
		segs := []uint64{861380013, 861380014, 861380015, 861390013}
		suffix := r.IntN(10000)
		seg, tenant := segs[0], "t0"
		now := t0
		var held []string
		for step := range 1500 {
			now = now.Add(time.Duration(r.IntN(120)) * time.Second)
			switch r.IntN(6) { // mostly walk on from the last suffix, so runs form
			case 0:
				suffix = r.IntN(10000)
			case 1, 2:
				if maxStep != 0 {
					suffix = (suffix + walkStep) % 10000
					break
				}
				fallthrough
			default:
				suffix = (suffix + 1 + r.IntN(3)) % 10000
			}
			// With a max step, the dialer mostly stays in its segment, so
			// that its fixed steps make progressions there.
			if maxStep == 0 || r.IntN(4) == 0 {
				seg, tenant = segs[r.IntN(len(segs))], "t"+strconv.Itoa(r.IntN(2))
			}
			d := dialgate.Dial{
				To:      seqNum(seg, suffix),
				Tenant:  tenant,
				Purpose: dialgate.PurposeService, LeadID: "l", At: now,
			}
			if r.IntN(3) > 0 { // else Commit alone, as after a concurrent Attest: its refusals too
				mrs, mev, merr := mem.Attest(ctx, d)
				srs, sev, serr := shared.Attest(ctx, d)
				if merr != nil || serr != nil || !reflect.DeepEqual(mrs, srs) || !reflect.DeepEqual(mev, sev) {
					t.Fatalf("round %d step %d Attest %v: memory %v %v %v, store %v %v %v", round, step, d.To, mrs, mev, merr, srs, sev, serr)
				}
				if mrs != nil {
					attestDenied++
					continue
				}
			}
			id := "dg-" + strconv.Itoa(round) + "-" + strconv.Itoa(step)
			mrs, merr := mem.Commit(ctx, d, id)
			srs, serr := shared.Commit(ctx, d, id)
			if merr != nil || serr != nil || !reflect.DeepEqual(mrs, srs) {
				t.Fatalf("round %d step %d Commit %v: memory %v %v, store %v %v", round, step, d.To, mrs, merr, srs, serr)
			}
			if mrs == nil {
				held = append(held, id)
			} else {
				commitRefused++
			}
			if len(held) > 0 && r.IntN(8) == 0 {
				i := r.IntN(len(held))
				if err := mem.Release(ctx, held[i]); err != nil {
					t.Fatal(err)
				}
				if err := shared.Release(ctx, held[i]); err != nil {
					t.Fatal(err)
				}
				held = append(held[:i], held[i+1:]...)
			}
		}
	}
	if attestDenied == 0 || commitRefused == 0 {
		t.Fatalf("the dials made %d denials in Attest and %d refusals in Commit: the test needs both", attestDenied, commitRefused)
	}
	t.Logf("%d denials in Attest, %d refusals in Commit", attestDenied, commitRefused)
}
