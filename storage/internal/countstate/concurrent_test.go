package countstate

import (
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
)

// Concurrent Reserve/Release/Restore/Drop/Usage/ExpireSome/HeldTags/
// Forgotten under -race, then the invariants.
func TestConcurrent(t *testing.T) {
	s := NewTracked()
	t0 := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(g), 1))
			for i := range 5000 {
				now := t0.Add(time.Duration(i) * time.Second)
				id := "id" + strconv.Itoa(rnd.IntN(500))
				k := "k" + strconv.Itoa(rnd.IntN(20))
				ls := []storage.Limit{{Key: k, Window: time.Minute, Max: 50}, {Key: "seg" + strconv.Itoa(rnd.IntN(3)), Member: "m" + strconv.Itoa(rnd.IntN(40)), Window: time.Hour, Max: 30}, {Key: "x" + strconv.Itoa(rnd.IntN(5)), Window: 10 * time.Minute, Max: 100}}
				switch rnd.IntN(8) {
				case 0, 1, 2:
					s.Reserve(id, uint64(i), now, ls)
				case 3:
					s.Release(id)
				case 4:
					s.Restore(id, uint64(i), now.UnixNano(), Keys(ls))
				case 5:
					s.Drop(id, uint64(rnd.IntN(i+1)))
				case 6:
					s.Usage(now, ls)
					held := make([]bool, 1)
					s.HeldTags([]string{id}, []uint64{uint64(i)}, held)
				case 7:
					for from := 0; from >= 0; {
						_, from = s.ExpireSome(now, from, 3)
					}
					s.Forgotten()
				}
			}
		}()
	}
	wg.Wait()
	checkInvariants(t, s)
}
