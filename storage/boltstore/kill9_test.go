package boltstore_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/placedguard"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/boltstore"
)

// The kill-9 test: a child process writes into a store from many
// goroutines and prints a line for each write acknowledged (the call
// returned nil) — do-not-call entries added, consents granted and revoked,
// counter reservations (and expired ones forgotten), the release guard's marks — until the parent kills
// it with SIGKILL. The parent reopens the store and checks that every
// acknowledged write is there. A process killed keeps what it wrote into
// the page cache, so this catches an acknowledgement given before the
// write (group commit, the journal's writer, replay at open cutting more
// than the torn tail), not a missing fsync; the journal's segments are
// small, so rotation and compaction run while the child is killed.

const (
	killEnvPath  = "DIALGATE_TEST_KILL9"
	killEnvRound = "DIALGATE_TEST_KILL9_ROUND"
	killSegSize  = 4 << 10
)

var killT0 = time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)

// killNumber is the synthetic callee of write i of round r.
func killNumber(r, i int) dialgate.Number {
	return dialgate.MustParseNumber(fmt.Sprintf("+861380%02d%05d", r, i))
}

func killLimit(i int) []storage.Limit {
	return []storage.Limit{{Key: "kill9:k" + strconv.Itoa(i%8), Window: time.Hour, Max: 1 << 20}}
}

// killChild is the child's side: it writes until killed.
func killChild(path string, round int) {
	s, err := boltstore.Open(path, boltstore.Options{SegmentSize: killSegSize})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	g, err := placedguard.New(s, time.Hour)
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
	fail := func(err error) {
		say("error: %v", err)
		os.Exit(1)
	}
	ctx := context.Background()
	say("ready")
	for w := range 12 {
		go func() {
			kind := w % 4
			if kind == 3 && w != 3 {
				kind = 2 // one worker races the guard's marks, five reserve
			}
			// Numbers have five digits for i: a child never killed
			// (the parent's deadline) stops writing before it runs out.
			for i := w; i < 90000; i += 12 {
				switch kind {
				case 0: // an opt-out
					e := dnc.Entry{Number: killNumber(round, i), Scope: dnc.MustParseScope("global"), List: "opt_out", AddedAt: killT0}
					if err := s.AddDNC(ctx, e); err != nil {
						fail(err)
					}
					say("dnc %d %d", round, i)
				case 1: // a consent granted, then revoked
					id := fmt.Sprintf("c-%d-%d", round, i)
					r := consent.Record{ID: id, Number: killNumber(round, i), Scope: "industry:finance", Method: consent.MethodWritten,
						EvidenceURI: "https://crm.example/consents/" + id, GrantedAt: killT0.Add(-time.Hour)}
					if err := s.AddConsent(ctx, r); err != nil {
						fail(err)
					}
					say("grant %s", id)
					if _, err := s.RevokeConsent(ctx, id, killT0, "call"); err != nil {
						fail(err)
					}
					say("revoke %s", id)
				case 2: // a reservation, two in three of them released
					id := fmt.Sprintf("r-%d-%d", round, i)
					ok, _, err := s.Reserve(ctx, id, killT0, killLimit(i))
					if err != nil || !ok {
						fail(fmt.Errorf("reserve %s = %v, %v", id, ok, err))
					}
					say("reserve %s %d", id, i)
					// One out of its window, under the same key: the
					// reservations after it, and ExpireCounters, forget it.
					stale := fmt.Sprintf("old-%d-%d", round, i)
					if _, _, err := s.Reserve(ctx, stale, killT0.Add(-2*time.Hour), killLimit(i)); err != nil {
						fail(err)
					}
					if i%3 != 0 {
						if err := s.Release(ctx, id); err != nil {
							fail(err)
						}
						say("release %s %d", id, i)
					}
				case 3: // the release guard: a release and an outcome race
					id := fmt.Sprintf("d-%d-%d", round, i)
					var wg sync.WaitGroup
					wg.Add(2)
					go func() {
						defer wg.Done()
						placed, err := g.MarkReleased(ctx, id, killT0)
						if err != nil {
							fail(err)
						}
						if !placed {
							say("released %s", id)
						}
					}()
					go func() {
						defer wg.Done()
						released, err := g.MarkPlaced(ctx, id, killT0)
						if err != nil {
							fail(err)
						}
						if !released {
							say("placed %s", id)
						}
					}()
					wg.Wait()
				}
			}
		}()
	}
	go func() {
		for {
			time.Sleep(5 * time.Millisecond)
			if _, err := s.ExpireCounters(ctx, killT0); err != nil {
				fail(err)
			}
		}
	}()
	for {
		time.Sleep(20 * time.Millisecond)
		say("stats %d", s.JournalStats().Compactions)
	}
}

// TestKill9KeepsAcknowledgedWrites runs the child three times on one
// store, killing it at a random point each time, and checks after each
// kill that every write the child acknowledged is in the reopened store.
func TestKill9KeepsAcknowledgedWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	path := filepath.Join(t.TempDir(), "dialgate.db")
	ctx := context.Background()
	for round := range 3 {
		acks := runKillChild(t, path, round, 300+rand.IntN(1500))
		s, err := boltstore.Open(path, boltstore.Options{SegmentSize: killSegSize})
		if err != nil {
			t.Fatalf("round %d: reopen after SIGKILL: %v", round, err)
		}
		g, err := placedguard.New(s, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		probe := []storage.Limit{{Key: fmt.Sprintf("kill9:probe%d", round), Window: time.Hour, Max: 1}}
		if ok, _, err := s.Reserve(ctx, fmt.Sprintf("probe-fill-%d", round), killT0, probe); err != nil || !ok {
			t.Fatalf("fill the probe key: %v, %v", ok, err)
		}
		held := map[string]int{} // id → i, acknowledged reservations not released
		counted := map[int]int{} // key index → acknowledged reservations held
		released := map[string]bool{}
		var n int
		for _, line := range acks {
			f := strings.Fields(line)
			switch f[0] {
			case "dnc":
				r, _ := strconv.Atoi(f[1])
				i, _ := strconv.Atoi(f[2])
				es, err := s.DNCEntries(ctx, killNumber(r, i))
				if err != nil || len(es) != 1 {
					t.Errorf("round %d: acknowledged opt-out %s: entries %v, %v", round, killNumber(r, i), es, err)
				}
			case "grant":
				if _, err := s.Consent(ctx, f[1]); err != nil {
					t.Errorf("round %d: acknowledged grant %s: %v", round, f[1], err)
				}
			case "revoke":
				c, err := s.Consent(ctx, f[1])
				if err != nil || !c.Revoked() {
					t.Errorf("round %d: acknowledged revocation of %s lost: %+v, %v", round, f[1], c, err)
				}
			case "reserve":
				i, _ := strconv.Atoi(f[2])
				held[f[1]] = i
			case "release":
				released[f[1]] = true
			case "released":
				placed, err := g.MarkPlaced(ctx, f[1], killT0)
				if err != nil || !placed {
					t.Errorf("round %d: decision %s, released before the kill, marked placed after it: releasedBefore %v, %v", round, f[1], placed, err)
				}
			case "placed":
				placed, err := g.MarkReleased(ctx, f[1], killT0)
				if err != nil || !placed {
					t.Errorf("round %d: decision %s, placed before the kill, released after it: placed %v, %v", round, f[1], placed, err)
				}
			default:
				t.Fatalf("round %d: child said %q", round, line)
			}
			n++
		}
		for id, i := range held {
			// A reservation the child releases may have been released
			// without the release being acknowledged: only those it
			// never releases must count.
			if i%3 == 0 {
				counted[i%8]++
			} else if released[id] {
				// Reserve answers ok for an id held, whatever the
				// limit; one not held meets a full probe key.
				unreleased, _, err := s.Reserve(ctx, id, killT0, probe)
				if err != nil || unreleased {
					t.Errorf("round %d: reservation %s, released before the kill, held after it: %v, %v", round, id, unreleased, err)
				}
			}
		}
		for k, want := range counted {
			us, err := s.Usage(ctx, killT0, killLimit(k))
			if err != nil {
				t.Fatal(err)
			}
			// Reservations the child had not yet acknowledged, or
			// releases it had not, may count too; none acknowledged
			// may be missing.
			if us[0].Count < want {
				t.Errorf("round %d: key %d counts %d reservations, %d acknowledged and not released", round, k, us[0].Count, want)
			}
		}
		t.Logf("round %d: %d acknowledged writes checked; journal %+v", round, n, s.JournalStats())
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if t.Failed() {
			return
		}
	}
}

// runKillChild starts the child on path for round, kills it with SIGKILL
// once it acknowledged after writes, and returns every line it printed
// after "ready".
func runKillChild(t *testing.T, path string, round, after int) []string {
	t.Helper()
	return runKillChildEnv(t, round, after, killEnvPath+"="+path, killEnvRound+"="+strconv.Itoa(round))
}

// runKillChildEnv is runKillChild with the child's environment variables
// given (which child to be).
func runKillChildEnv(t *testing.T, round, after int, env ...string) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(out)
	var acks []string
	killed := false
	var stats string
	deadline := time.AfterFunc(30*time.Second, func() { _ = cmd.Process.Signal(syscall.SIGKILL) })
	defer deadline.Stop()
	for {
		line, err := br.ReadString('\n')
		if err == io.EOF {
			if line != "" {
				t.Logf("round %d: a partial last line %q (not an acknowledgement)", round, line)
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case strings.HasPrefix(line, "error:"):
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("round %d: child: %s", round, line)
		case line == "ready":
			continue
		case strings.HasPrefix(line, "stats "):
			stats = line
			continue
		}
		acks = append(acks, line)
		if len(acks) == after && !killed {
			killed = true
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		}
	}
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("round %d: child ended with %v, not killed (%d lines)", round, err, len(acks))
	}
	t.Logf("round %d: child's compactions: %s", round, stats)
	return acks
}
