package window

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
)

// The O(log n) path for member-less keys agrees with the general scan.
func TestTallyFastPathAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	for n := range 200 {
		entries := make([]Entry, r.IntN(40))
		at := base.UnixNano()
		for i := range entries {
			at += r.Int64N(int64(10 * time.Minute))
			entries[i] = Entry{At: at}
		}
		l := storage.Limit{Key: "k", Window: time.Duration(1+r.IntN(120)) * time.Minute, Max: 1 + r.IntN(10)}
		now := time.Unix(0, at-r.Int64N(int64(time.Hour)))
		fast, slow := Tally(entries, now, l, false), Tally(entries, now, l, true)
		if fast != slow {
			t.Fatalf("case %d: fast %+v, slow %+v", n, fast, slow)
		}
	}
}
