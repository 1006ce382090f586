package sidecar

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
)

// echoCheck denies every dial with a reason naming its lead_id, so that a
// response can be matched to the request it claims to answer, and counts
// the dials it is deciding at once.
type echoCheck struct {
	now, max, total atomic.Int64
}

func (c *echoCheck) Name() string { return "echo" }

func (c *echoCheck) Check(_ context.Context, d dialgate.Dial) ([]dialgate.Reason, error) {
	n := c.now.Add(1)
	defer c.now.Add(-1)
	for {
		m := c.max.Load()
		if n <= m || c.max.CompareAndSwap(m, n) {
			break
		}
	}
	c.total.Add(1)
	time.Sleep(50 * time.Microsecond)
	return []dialgate.Reason{{Code: "echo.lead", Message: "lead " + d.LeadID}}, nil
}

// TestCheckStreamBackpressureAndMatching: a dialer that sends thousands of
// requests on one CheckStream without reading its answers. The server
// decides at most stream_workers of them at once, and stops deciding when
// the answers back up (gRPC flow control: the outstanding work is bounded,
// not the dialer's backlog); once the dialer reads, every request gets
// exactly one answer, under its own request_id, and that answer is its own
// request's decision (the echo check names each dial's lead).
func TestCheckStreamBackpressureAndMatching(t *testing.T) {
	const (
		workers = 4
		n       = 8000
	)
	c := &echoCheck{}
	e := startTest(t, Config{StreamWorkers: workers}, func(be *Backend) {
		g, err := dialgate.New([]dialgate.Checker{c}, dialgate.WithoutAuditLog(), dialgate.WithPolicyVersion("test"))
		if err != nil {
			t.Fatal(err)
		}
		be.Gate = g
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st, err := e.gate.CheckStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sendDone := make(chan error, 1)
	go func() {
		for i := 0; i < n; i++ {
			d := okDial(fmt.Sprintf("+86139%08d", i))
			d.LeadId = fmt.Sprintf("lead-%d", i)
			if err := st.Send(&pb.CheckStreamRequest{RequestId: fmt.Sprintf("r-%d", i), Dial: d}); err != nil {
				sendDone <- err
				return
			}
		}
		sendDone <- st.CloseSend()
	}()
	// Nothing read for a while: the server must stop deciding.
	var before int64
	for i := 0; i < 50; i++ {
		time.Sleep(40 * time.Millisecond)
		if now := c.total.Load(); now == before && i > 5 {
			break
		} else {
			before = now
		}
	}
	stalled := c.total.Load()
	time.Sleep(300 * time.Millisecond)
	if again := c.total.Load(); again != stalled {
		t.Logf("still deciding without a reader: %d then %d", stalled, again)
	}
	if stalled >= n {
		t.Fatalf("all %d requests decided while the dialer read nothing: no back-pressure", n)
	}
	seen := make(map[string]bool, n)
	for len(seen) < n {
		r, err := st.Recv()
		if err != nil {
			t.Fatalf("after %d answers: %v", len(seen), err)
		}
		id := r.GetRequestId()
		if seen[id] {
			t.Fatalf("request %q answered twice", id)
		}
		seen[id] = true
		var i int
		if _, err := fmt.Sscanf(id, "r-%d", &i); err != nil {
			t.Fatalf("answer with request_id %q, which no request carried", id)
		}
		rs := r.GetDecision().GetReasons()
		if len(rs) != 1 || rs[0].GetMessage() != fmt.Sprintf("lead lead-%d", i) {
			t.Fatalf("request %q answered with %v: another request's decision", id, r)
		}
	}
	if _, err := st.Recv(); err == nil {
		t.Fatal("more answers than requests")
	}
	if err := <-sendDone; err != nil {
		t.Fatal(err)
	}
	if m := c.max.Load(); m > workers {
		t.Errorf("%d dials decided at once on one stream, stream_workers %d", m, workers)
	}
	t.Logf("decided before the dialer read: %d of %d; at most %d at once", stalled, n, c.max.Load())
}
