package schedule

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/storage"
)

// TestSeenEvidenceOracle: the evidence cut from one string equals the
// evidence built a string per item (seenEvidenceEach, the code before, kept
// as the oracle), for random caps, pauses, carried rules and horizons, up
// to more caps than the one-string path holds.
func TestSeenEvidenceOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	pause := pauseKinds()[0]
	for range 20000 {
		n := r.IntN(2 * limitRulesBuf)
		us := make([]storage.Usage, n)
		rules := make([]*capRule, n)
		for i := range n {
			us[i] = storage.Usage{Count: r.IntN(1 << uint(r.IntN(20)))}
			cr := &capRule{desc: strings.Repeat("长calls per 24h ", r.IntN(4))}
			switch r.IntN(6) {
			case 0:
				cr.pause = &pause
			case 1:
				cr.primary = cr
			case 2:
				cr.horizon = true
			}
			rules[i] = cr
		}
		got, want := seenEvidence(us, rules), seenEvidenceEach(us, rules)
		if len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
			t.Fatalf("seenEvidence = %q, the oracle says %q", got, want)
		}
	}
}
