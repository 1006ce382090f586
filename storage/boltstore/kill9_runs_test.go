package boltstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage/boltstore"
	"github.com/dialgate/dialgate/sweep"
)

// The kill-9 test of the sweep runs: a child walks number segments through
// sweep checks on the store (sweep.Commit, as a Gate's commit does: the
// run records are durable once it returns), printing a line for each dial
// allowed, until the parent kills it with SIGKILL. The parent reopens the
// store and continues every walk the child began: the dial that completes
// a run of killRunMin must be denied (sweep.sequential), which it is only
// if every acknowledged record survived the kill.

const (
	killRunsEnv = "DIALGATE_TEST_KILL9_RUNS"
	killRunMin  = 6 // a walk of 5 values is allowed, the 6th denied
	killWalkLen = killRunMin - 1
)

var killRule = &sweep.Sequential{MinRun: killRunMin, MaxGap: 0, Window: dialgate.Duration(24 * time.Hour),
	Cite: dialgate.Citation{Source: dialgate.SourceConvention, Ref: "test"}}

// killRunChecks returns the two sweep checks the child and the parent use:
// the sequential rule alone (as us-ok: SyncRuns waits for the write), and
// with a segment rate (as cn: its reservation, queued after the run
// records, is written with them).
func killRunChecks(s *boltstore.Store) ([2]*sweep.Check, error) {
	var cs [2]*sweep.Check
	rate := &sweep.SegmentRate{Max: 10000, Window: dialgate.Duration(24 * time.Hour),
		Cite: dialgate.Citation{Source: dialgate.SourceConvention, Ref: "test"}}
	for i, cfg := range []sweep.Config{{Sequential: killRule}, {Sequential: killRule, SegmentRate: rate}} {
		c, err := sweep.New(cfg, s, sweep.WithRuns(s))
		if err != nil {
			return cs, err
		}
		cs[i] = c
	}
	return cs, nil
}

// killWalkDial is dial i of walker w's segment j (synthetic +86 mobiles).
func killWalkDial(w, j, i int) dialgate.Dial {
	return dialgate.Dial{To: dialgate.MustParseNumber(fmt.Sprintf("+86139%02d%02d%04d", w, j, i)), Purpose: dialgate.PurposeService,
		Tenant: "acme", LeadID: "l", At: killT0}
}

// killRunsChild is the child's side: it walks until killed.
func killRunsChild(path string, round int) {
	s, err := boltstore.Open(path, boltstore.Options{SegmentSize: killSegSize})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	cs, err := killRunChecks(s)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		os.Stdout.WriteString(fmt.Sprintf(format, args...) + "\n")
	}
	ctx := context.Background()
	say("ready")
	for w := range 12 {
		go func() {
			for j := round * 30; j < round*30+30; j++ {
				for i := range killWalkLen - 1 { // leave room for the parent's dials
					rs, err := cs[w%2].Commit(ctx, killWalkDial(w, j, i), fmt.Sprintf("w%d-%d-%d", w, j, i))
					if err != nil || len(rs) > 0 {
						say("error: walk %d %d %d: %v %v", w, j, i, rs, err)
						os.Exit(1)
					}
					say("walk %d %d %d", w, j, i)
				}
			}
		}()
	}
	go func() {
		for {
			time.Sleep(5 * time.Millisecond)
			if _, err := s.ExpireCounters(ctx, killT0); err != nil {
				say("error: %v", err)
				os.Exit(1)
			}
		}
	}()
	select {}
}

// TestKill9KeepsSweepRuns kills the walking child three times on one store
// and checks after each kill that each walk it began is denied where it
// makes a run of killRunMin: the records of every dial allowed before the
// kill count after the restart.
func TestKill9KeepsSweepRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	path := filepath.Join(t.TempDir(), "dialgate.db")
	ctx := context.Background()
	for round := range 3 {
		// Each round walks segments of its own; the store replays the
		// previous rounds' records (and closings) too.
		acks := runKillChildEnv(t, round, 100+rand.IntN(600), killRunsEnv+"="+path, killEnvRound+"="+strconv.Itoa(round))
		s, err := boltstore.Open(path, boltstore.Options{SegmentSize: killSegSize})
		if err != nil {
			t.Fatalf("round %d: reopen after SIGKILL: %v", round, err)
		}
		cs, err := killRunChecks(s)
		if err != nil {
			t.Fatal(err)
		}
		walked := map[[2]int]int{} // walker, segment → values acknowledged
		for _, line := range acks {
			f := strings.Fields(line)
			if len(f) != 4 || f[0] != "walk" {
				t.Fatalf("round %d: child said %q", round, line)
			}
			w, _ := strconv.Atoi(f[1])
			j, _ := strconv.Atoi(f[2])
			walked[[2]int{w, j}]++
		}
		for seg, n := range walked {
			w, j := seg[0], seg[1]
			for i := n; i <= killWalkLen; i++ {
				rs, err := cs[w%2].Commit(ctx, killWalkDial(w, j, i), fmt.Sprintf("p%d-%d-%d-%d", round, w, j, i))
				if err != nil {
					t.Fatalf("round %d: walk %d/%d dial %d: %v", round, w, j, i, err)
				}
				switch denied := len(rs) > 0; {
				case i < killWalkLen && denied:
					t.Errorf("round %d: walk %d/%d (%d dials acknowledged before the kill): dial %d denied: %v", round, w, j, n, i, rs)
				case i == killWalkLen && !denied:
					t.Errorf("round %d: walk %d/%d (%d dials acknowledged before the kill): dial %d, the %dth of the run, allowed: the records before the kill were lost", round, w, j, n, i, killRunMin)
				case i == killWalkLen && rs[0].Code != dialgate.CodeSweepSequential:
					t.Errorf("round %d: walk %d/%d: denied with %v, want %s", round, w, j, rs, dialgate.CodeSweepSequential)
				}
			}
		}
		t.Logf("round %d: %d acknowledged dials in %d segments checked; journal %+v", round, len(acks), len(walked), s.JournalStats())
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if t.Failed() {
			return
		}
	}
}
