package schedule_test

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage/memstore"
)

// Recount counts a call placed after its decision was released whatever the
// caps and pauses say: during the pause after a conversation, and over a
// full cap, where Commit refuses. The call counts for its whole window, and
// a retried Recount counts it once.
func TestRecountDuringPauseAndOverCap(t *testing.T) {
	ctx := context.Background()
	cite := dialgate.Citation{Source: dialgate.SourceConvention, Ref: "test"}
	cfg := schedule.CapsConfig{
		Caps:                   []schedule.Cap{{Count: 2, Window: dialgate.Duration(24 * time.Hour), Cite: cite}},
		PauseAfterConversation: &schedule.Pause{Window: dialgate.Duration(time.Hour), Cite: cite},
	}
	c, err := schedule.NewCapCheck(cfg, memstore.New(), schedule.WithCapHashKey(testHK))
	if err != nil {
		t.Fatal(err)
	}
	at := func(h time.Duration) dialgate.Dial {
		return dialgate.Dial{To: callee, From: from1, Tenant: "acme", Purpose: dialgate.PurposeService, At: start.Add(h)}
	}
	if err := c.ObserveOutcome(ctx, dialgate.Outcome{DecisionID: "dg-0", Dial: at(0), At: start, Answered: true, Conversation: true}); err != nil {
		t.Fatal(err)
	}
	if rs, err := c.Commit(ctx, at(10*time.Minute), "dg-1#placed"); err != nil || len(rs) == 0 {
		t.Fatalf("Commit during the pause = %+v, %v; want refused", rs, err)
	}
	for range 2 {
		if err := c.Recount(ctx, at(10*time.Minute), "dg-1#placed"); err != nil {
			t.Fatalf("Recount during the pause: %v", err)
		}
	}
	rs, ev, err := c.Attest(ctx, at(2*time.Hour))
	if err != nil || len(rs) > 0 || len(ev) == 0 || ev[0].Value[:5] != "1 of " {
		t.Fatalf("after the pause: %+v %+v %v; want allowed, the recounted call counted once", rs, ev, err)
	}
	if rs, err := c.Commit(ctx, at(2*time.Hour), "dg-2"); err != nil || len(rs) > 0 {
		t.Fatalf("Commit = %+v, %v", rs, err)
	}
	// The cap is full: Recount counts all the same.
	if err := c.Recount(ctx, at(3*time.Hour), "dg-3#placed"); err != nil {
		t.Fatalf("Recount over the cap: %v", err)
	}
	for _, tc := range []struct {
		at     time.Duration
		capped bool
	}{{24*time.Hour + 15*time.Minute, true}, {26*time.Hour + 5*time.Minute, false}} {
		rs, _, err := c.Attest(ctx, at(tc.at))
		if err != nil || (len(rs) > 0) != tc.capped {
			t.Errorf("at +%s: %+v, %v; want capped %v", tc.at, rs, err, tc.capped)
		}
	}
}
