package sidecar_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dialgate/dialgate/internal/sidecar"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
)

// capsCrashProfile is the e2e test profile with one frequency cap of three
// calls an hour per callee, so that a callee takes several allows before it
// is capped and a lost reservation shows as one allow too many.
const capsCrashProfile = testProfile + `frequency:
  caps:
    - {count: 3, window: 1h, cite: {source: U, ref: "crash test: three an hour"}}
`

const capsCrashCap = 3

// capsCrashCallee is callee c of the crash test: each in its own number
// segment, so that no sweep rule sees a run.
func capsCrashCallee(c int) string {
	return fmt.Sprintf("+86138%04d%04d", 100+c*37, 5000+c*13)
}

// TestKill9FrequencyCaps kills `dialgate serve` with SIGKILL while 16
// callers compete for the allows of a small set of callees (three an hour
// each), restarts it on the same data and checks that every allow a client
// received is still counted — no callee gets more allows after the restart
// than the cap minus the allows acknowledged before it — that every
// acknowledged allow's decision is in the audit log, and that `dialgate
// audit verify` passes on the log the crash and the restart left.
func TestKill9FrequencyCaps(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the sidecar as a process")
	}
	const (
		callers = 16
		callees = 96
	)
	dir := t.TempDir()
	config := writeConfig(t, dir)
	if err := os.WriteFile(filepath.Join(dir, "cn-e2e.yaml"), []byte(capsCrashProfile), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startProc(t, config)
	gate := pb.NewGateServiceClient(p.conn)
	if err := addLedger(context.Background(), pb.NewAdminServiceClient(p.conn), e2eFrom); err != nil {
		t.Fatal(err)
	}
	// Kill somewhere between a sixth and five sixths of the slots taken.
	killAt := callees*capsCrashCap/6 + rand.IntN(callees*capsCrashCap*4/6)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		mu      sync.Mutex
		allows  = make(map[int][]string) // callee → ids of the allows received
		nAllows int
		reached = make(chan struct{})
		wg      sync.WaitGroup
	)
	for w := 0; w < callers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for ctx.Err() == nil {
				c := r.IntN(callees)
				resp, err := gate.Check(ctx, &pb.CheckRequest{Dial: dial(capsCrashCallee(c))})
				if err != nil || !resp.GetDecision().GetAllowed() {
					continue
				}
				mu.Lock()
				allows[c] = append(allows[c], resp.GetDecision().GetId())
				nAllows++
				if nAllows == killAt {
					close(reached)
				}
				mu.Unlock()
			}
		}(w)
	}
	select {
	case <-reached:
	case <-time.After(20 * time.Second):
		t.Fatalf("only %d allows in 20 s, want %d before the kill", nAllows, killAt)
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.wait()
	cancel()
	wg.Wait()
	acked := make(map[int][]string, len(allows))
	var ids []string
	for c, l := range allows {
		if len(l) > capsCrashCap {
			t.Fatalf("callee %d got %d allows before the kill, cap %d", c, len(l), capsCrashCap)
		}
		acked[c] = l
		ids = append(ids, l...)
	}

	q := startProc(t, config)
	gate = pb.NewGateServiceClient(q.conn)
	cctx, ccancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer ccancel()
	for c := 0; c < callees; c++ {
		after := 0
		for i := 0; i <= capsCrashCap; i++ {
			resp, err := gate.Check(cctx, &pb.CheckRequest{Dial: dial(capsCrashCallee(c))})
			if err != nil {
				t.Fatalf("check after restart: %v", err)
			}
			if resp.GetDecision().GetAllowed() {
				after++
			} else if cs := codesOf(resp.GetDecision()); !slices.Equal(cs, []string{"frequency.capped"}) {
				t.Fatalf("callee %d after restart: denied %v, want frequency.capped only", c, cs)
			}
		}
		if room := capsCrashCap - len(acked[c]); after > room {
			t.Errorf("callee %d: %d allows acknowledged before kill -9, %d more after the restart; cap %d: an acknowledged allow was not counted",
				c, len(acked[c]), after, capsCrashCap)
		}
	}

	if err := q.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := q.wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, q.stderr.String())
	}
	data := filepath.Join(dir, "data")
	logged := auditAllows(t, filepath.Join(data, sidecar.AuditDir))
	for _, id := range ids {
		if !logged[id] {
			t.Errorf("acknowledged allow %s is not in the audit log after kill -9", id)
		}
	}
	out, err := exec.Command(dialgateBin, "audit", "verify", filepath.Join(data, sidecar.AuditDir),
		"--key", filepath.Join(data, sidecar.KeysDir, sidecar.SignerPubFile)).CombinedOutput()
	if err != nil {
		t.Fatalf("audit verify after kill -9 and restart: %v\n%s", err, out)
	}
	t.Logf("killed after %d allows to %d callees", len(ids), len(acked))
}

// auditAllows returns the ids of the allowed decisions in the audit log in dir.
func auditAllows(t *testing.T, dir string) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "audit-*.jsonl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("audit files in %s: %v %v", dir, files, err)
	}
	ids := make(map[string]bool)
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var rec struct {
				Decision *struct {
					ID      string `json:"id"`
					Allowed bool   `json:"allowed"`
				} `json:"decision"`
			}
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				t.Fatalf("%s: %v: %s", name, err, strings.TrimSpace(sc.Text()))
			}
			if rec.Decision != nil && rec.Decision.Allowed {
				ids[rec.Decision.ID] = true
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}
