package sweep

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// BenchmarkRunRules is the run rules' cost per allowed dial in memory, as a
// Gate pays it: Attest then Commit, one dial a millisecond, each to its own
// segment with scattered last four digits (no run, no stride), the
// sequential rule alone and with the stride rule, without and with a max
// step (cn's 100).
func BenchmarkRunRules(b *testing.B) {
	seq := &Sequential{MinRun: 20, MaxGap: 2, Window: dialgate.Duration(24 * time.Hour), Cite: uCite}
	stepped := *seq
	stepped.MaxStep = 100
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"sequential", Config{Sequential: seq}},
		{"sequential+stride", Config{Sequential: seq, Stride: seq}},
		{"sequential_max_step", Config{Sequential: &stepped}},
		{"sequential_max_step+stride", Config{Sequential: &stepped, Stride: seq}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			c, err := New(tc.cfg, nil)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			d := dialgate.Dial{Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "l"}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				s := 1_300_000 + i%700_000
				d.To = seqNum(86_0000000+uint64(s), (s*7919+i/700_000*104_729)%10_000)
				d.At = t0.Add(time.Duration(i) * time.Millisecond)
				if rs, _, err := c.Attest(ctx, d); rs != nil || err != nil {
					b.Fatal(rs, err)
				}
				if rs, err := c.Commit(ctx, d, "d"+fmt.Sprint(i)); rs != nil || err != nil {
					b.Fatal(rs, err)
				}
				i++
			}
		})
	}
}
