package sweep_test

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/teststores"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/sweep"
)

// TestRunPruneKeepsSkewedClocks: recording a number of a run may prune what
// has left the window at the record's instant, but a dial decided by a
// clock behind the recording one (another host of a fleet, or this host
// after its clock was stepped back) counts from an earlier instant. With
// runs of 3 within 24 h: A at T, B decided by a clock 2 s ahead at
// T+24h+1s (A is outside B's window: allowed), and C decided by the right
// clock at T+24h-1s, which makes a run of three with A and B, is denied —
// for the sequential rule (…0100, …0101, …0102) and the stride rule (one
// suffix through successive segments), in memory and in every run store.
// Records used to prune A at B's instant, and C saw a run of two.
func TestRunPruneKeepsSkewedClocks(t *testing.T) {
	ctx := context.Background()
	rule := &sweep.Sequential{MinRun: 3, MaxGap: 0, Window: dialgate.Duration(24 * time.Hour),
		Cite: dialgate.Citation{Source: dialgate.SourceConvention, Ref: "test"}}
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	opens := map[string]func(testing.TB) storage.Runs{"memory": func(testing.TB) storage.Runs { return nil }}
	for name, open := range teststores.Runs(t) {
		opens[name] = open
	}
	for name, open := range opens {
		for _, kind := range []struct {
			name string
			cfg  sweep.Config
			nums [3]string
		}{
			{"sequential", sweep.Config{Sequential: rule}, [3]string{"+14055550100", "+14055550101", "+14055550102"}},
			{"stride", sweep.Config{Stride: rule}, [3]string{"+14055550100", "+14055560100", "+14055570100"}},
		} {
			t.Run(name+"/"+kind.name, func(t *testing.T) {
				c, err := sweep.New(kind.cfg, nil, sweep.WithRuns(open(t)))
				if err != nil {
					t.Fatal(err)
				}
				for i, at := range []time.Time{
					t0,
					t0.Add(24*time.Hour + time.Second), // a clock 2 s ahead
					t0.Add(24*time.Hour - time.Second), // the right clock: A and B in its window
				} {
					d := dialgate.Dial{To: dialgate.MustParseNumber(kind.nums[i]), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "l", At: at}
					rs, err := c.Commit(ctx, d, "d"+string(rune('a'+i)))
					if err != nil {
						t.Fatal(err)
					}
					if got, want := len(rs) == 0, i < 2; got != want {
						t.Fatalf("dial %d of %s at %s: allowed %v, want %v (%v)", i, d.To, at.Format(time.RFC3339), got, want, rs)
					}
				}
			})
		}
	}
}
