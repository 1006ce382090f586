package sidecar

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/dialgate/dialgate"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
)

// failingRelease is a Committer whose Release fails (its store is down),
// remembering the decisions it reserved for.
type failingRelease struct {
	mu        sync.Mutex
	committed []string
}

func (f *failingRelease) Name() string { return "frequency" }
func (f *failingRelease) Check(context.Context, dialgate.Dial) ([]dialgate.Reason, error) {
	return nil, nil
}
func (f *failingRelease) Commit(_ context.Context, _ dialgate.Dial, id string) ([]dialgate.Reason, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.committed = append(f.committed, id)
	return nil, nil
}
func (f *failingRelease) Release(context.Context, string) error {
	return errors.New("counter store unreachable")
}

// TestUndeliveredReleaseFailureLogged: an allow that could not be delivered
// is released; when that release fails the capacity stays held (the safe
// side) but it went unseen. It is now logged at Error with the decision id
// (never the callee's number) and counted in
// dialgate_undelivered_release_failures_total.
func TestUndeliveredReleaseFailureLogged(t *testing.T) {
	const callee = "+8613900139070"
	fr := &failingRelease{}
	g, err := dialgate.New([]dialgate.Checker{fr}, dialgate.WithoutAuditLog(), dialgate.WithPolicyVersion("test"))
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	s := &gateServer{gate: g, m: newMetrics(nil, nil, nil, nil, nil), workers: 1, owners: newDecisionOwners(),
		log: slog.New(slog.NewJSONHandler(&logs, nil))}
	st := &brokenStream{ctx: context.Background(), reqs: []*pb.CheckStreamRequest{{RequestId: "a", Dial: okDial(callee)}}}
	if err := s.CheckStream(st); err == nil {
		t.Error("CheckStream returned nil although no response could be sent")
	}
	fr.mu.Lock()
	committed := fr.committed
	fr.mu.Unlock()
	if len(committed) != 1 {
		t.Fatalf("reserved for %v, want one decision", committed)
	}
	out := logs.String()
	if !strings.Contains(out, `"level":"ERROR"`) || !strings.Contains(out, committed[0]) {
		t.Errorf("the failed release of %s is not logged at Error with its id:\n%s", committed[0], out)
	}
	if strings.Contains(out, strings.TrimPrefix(callee, "+86")) {
		t.Errorf("the callee's number is in the log:\n%s", out)
	}
	if n := counterValue(t, s.m, "dialgate_undelivered_release_failures_total"); n != 1 {
		t.Errorf("dialgate_undelivered_release_failures_total = %v, want 1", n)
	}
}

// counterValue returns the value of the unlabelled counter name in m.
func counterValue(t *testing.T, m *metrics, name string) float64 {
	t.Helper()
	mfs, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no counter %s", name)
	return 0
}
