package sidecar_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
)

// refusalCrashCallee is callee c of the refusal crash test: each in its
// own number segment, so that no sweep rule sees a run.
func refusalCrashCallee(c int) string {
	return fmt.Sprintf("+86137%04d%04d", 100+c*37, 6000+c*11)
}

// TestKill9RefusalOutcomes kills `dialgate serve` with SIGKILL while
// dialers report refusals (ReportOutcome with refused: true and the dial,
// an opt-out under cn's dnc.list_refusals), restarts it on the same data and
// checks that every refusal the sidecar answered OK still lists its callee:
// the next dial of the tenant is denied dnc.listed. An OK is the dialer's
// only word that the opt-out is kept; one lost in a crash would be called
// again.
func TestKill9RefusalOutcomes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the sidecar as a process")
	}
	const (
		workers = 8
		callees = 256
	)
	dir := t.TempDir()
	config := writeConfig(t, dir)
	p := startProc(t, config)
	gate := pb.NewGateServiceClient(p.conn)
	if err := addLedger(context.Background(), pb.NewAdminServiceClient(p.conn), e2eFrom); err != nil {
		t.Fatal(err)
	}
	killAt := 16 + rand.IntN(64)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		mu      sync.Mutex
		acked   []int
		reached = make(chan struct{})
		wg      sync.WaitGroup
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for c := w; c < callees && ctx.Err() == nil; c += workers {
				d := dial(refusalCrashCallee(c))
				r, err := gate.Check(ctx, &pb.CheckRequest{Dial: d})
				if err != nil || !r.GetDecision().GetAllowed() {
					continue
				}
				if _, err := gate.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: r.GetDecision().GetId(), Dial: d,
					Answered: true, Conversation: true, Refused: true}); err != nil {
					continue
				}
				mu.Lock()
				acked = append(acked, c)
				if len(acked) == killAt {
					close(reached)
				}
				mu.Unlock()
			}
		}(w)
	}
	select {
	case <-reached:
	case <-time.After(30 * time.Second):
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		t.Fatalf("only %d refusals acknowledged in 30 s, want %d before the kill\n%s", n, killAt, p.stderr.String())
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.wait()
	mu.Lock()
	got := slices.Clone(acked)
	mu.Unlock()
	cancel()
	wg.Wait()

	q := startProc(t, config)
	gate = pb.NewGateServiceClient(q.conn)
	cctx, ccancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer ccancel()
	for _, c := range got {
		r, err := gate.Check(cctx, &pb.CheckRequest{Dial: dial(refusalCrashCallee(c))})
		if err != nil {
			t.Fatalf("check after restart: %v", err)
		}
		if cs := codesOf(r.GetDecision()); r.GetDecision().GetAllowed() || !slices.Contains(cs, "dnc.listed") {
			t.Errorf("callee %d: refusal acknowledged before kill -9, then %v (allowed %v): the opt-out was lost", c, cs, r.GetDecision().GetAllowed())
		}
	}
	// A control callee never refused is not listed: the denials above are
	// the refusals' doing.
	r, err := gate.Check(cctx, &pb.CheckRequest{Dial: dial(refusalCrashCallee(callees + 1))})
	if err != nil {
		t.Fatal(err)
	}
	if cs := codesOf(r.GetDecision()); slices.Contains(cs, "dnc.listed") {
		t.Fatalf("control callee listed: %v", cs)
	}
	t.Logf("killed after %d acknowledged refusals", len(got))
}
