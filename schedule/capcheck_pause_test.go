package schedule_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
)

// A conversation recorded between a dial's Attest and its Commit refuses the
// Commit with the pause's reason (the one Attest gives), and the refused
// Commit reserves nothing under the caps.
func TestPauseRecordedBetweenAttestAndCommit(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	c, err := schedule.NewCapCheck(schedule.CapsUSCollections(), store, schedule.WithCapHashKey(testHK))
	if err != nil {
		t.Fatal(err)
	}
	d := dialgate.Dial{To: callee, From: from1, Tenant: "acme", Purpose: dialgate.PurposeCollections, Subject: "debt-1", At: start}
	rs, _, err := c.Attest(ctx, d)
	if err != nil || rs != nil {
		t.Fatalf("Attest = %+v, %v; want a pass", rs, err)
	}
	// Another dialer thread reports a conversation about the same debt.
	conv := d
	conv.From = from2
	if err := c.ObserveOutcome(ctx, dialgate.Outcome{DecisionID: "dg-earlier", Dial: conv, At: start, Answered: true, Conversation: true}); err != nil {
		t.Fatal(err)
	}
	got, err := c.Commit(ctx, d, "dg-1")
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if len(got) != 1 || got[0].Code != dialgate.CodeFrequencyCapped || !strings.Contains(got[0].Message, "conversation") {
		t.Fatalf("Commit after a conversation = %+v, want the pause's frequency.capped", got)
	}
	want, _, err := c.Attest(ctx, d)
	if err != nil || len(want) != 1 {
		t.Fatalf("Attest after the conversation = %+v, %v", want, err)
	}
	if got[0].Message != want[0].Message || !got[0].NextAllowedAt.Equal(want[0].NextAllowedAt) ||
		evidence(got[0], "frequency.cite") != evidence(want[0], "frequency.cite") {
		t.Errorf("Commit's reason %+v differs from Attest's %+v", got[0], want[0])
	}
	if pauseEnd := start.Add(7 * 24 * time.Hour); !got[0].NextAllowedAt.Equal(pauseEnd) {
		t.Errorf("NextAllowedAt = %s, want %s", got[0].NextAllowedAt, pauseEnd)
	}
	// Nothing was reserved: the caps still count no call about the debt.
	after := d
	after.At = start.Add(7 * 24 * time.Hour)
	rs, ev, err := c.Attest(ctx, after)
	if err != nil || rs != nil {
		t.Fatalf("Attest after the pause = %+v, %v", rs, err)
	}
	for _, e := range ev {
		if e.Key == "frequency.seen" && !strings.HasPrefix(e.Value, "0 of ") {
			t.Errorf("a refused Commit reserved: %s = %q", e.Key, e.Value)
		}
	}
	// A dial that only the pause applies to is held to it as well.
	only, err := schedule.NewCapCheck(schedule.CapsConfig{PauseAfterConversation: schedule.CapsUSCollections().PauseAfterConversation}, memstore.New(), schedule.WithCapHashKey(testHK))
	if err != nil {
		t.Fatal(err)
	}
	if rs, _, err := only.Attest(ctx, d); err != nil || rs != nil {
		t.Fatalf("pause only: Attest = %+v, %v", rs, err)
	}
	if err := only.ObserveOutcome(ctx, dialgate.Outcome{DecisionID: "dg-earlier", Dial: conv, At: start, Conversation: true}); err != nil {
		t.Fatal(err)
	}
	if rs, err := only.Commit(ctx, d, "dg-1"); err != nil || len(rs) != 1 || !strings.Contains(rs[0].Message, "conversation") {
		t.Fatalf("pause only: Commit after a conversation = %+v, %v; want the pause", rs, err)
	}
}

// Without a conversation, Commit reserves the caps and records nothing under
// the pause: a dial does not pause itself.
func TestCommitDoesNotRecordThePause(t *testing.T) {
	r := newRig(t, schedule.CapsUSCollections(), memstore.New())
	d := dialgate.Dial{To: callee, From: from1, Purpose: dialgate.PurposeCollections, Subject: "debt-1"}
	for i := range 7 {
		r.want(start.Add(time.Duration(i)*time.Minute), d, true)
	}
	dec := r.want(start.Add(10*time.Minute), d, false)
	if strings.Contains(dec.Reasons[0].Message, "conversation") || len(dec.Reasons) != 1 {
		t.Fatalf("reasons %+v, want the 7-in-7-days cap only", dec.Reasons)
	}
}

// hookStore runs hook once, before the first Reserve of a "frequency:" id
// (a CapCheck's Commit).
type hookStore struct {
	storage.Counters
	once sync.Once
	hook func()
}

func (h *hookStore) Reserve(ctx context.Context, id string, t time.Time, ls []storage.Limit) (bool, []storage.Usage, error) {
	if strings.HasPrefix(id, "frequency:") && h.hook != nil {
		h.once.Do(h.hook)
	}
	return h.Counters.Reserve(ctx, id, t, ls)
}

// Through the Gate: a conversation reported by another dialer thread after
// the checks passed but before the commit denies the dial with the pause.
func TestPauseRaceThroughGate(t *testing.T) {
	store := &hookStore{Counters: memstore.New()}
	r := newRig(t, schedule.CapsUSCollections(), store)
	debt := dialgate.Dial{To: callee, From: from1, Purpose: dialgate.PurposeCollections, Subject: "debt-3"}
	placed := r.want(start, debt, true)
	store.hook = func() {
		err := r.gate.ReportOutcome(context.Background(), dialgate.Outcome{DecisionID: placed.ID, Dial: placed.Dial, Answered: true, Conversation: true})
		if err != nil {
			t.Error(err)
		}
	}
	dec := r.want(start.Add(time.Minute), debt, false)
	if len(dec.Reasons) != 1 || !strings.Contains(dec.Reasons[0].Message, "conversation") {
		t.Fatalf("reasons %+v, want the pause", dec.Reasons)
	}
	if pauseEnd := start.Add(time.Minute + 7*24*time.Hour); !dec.Reasons[0].NextAllowedAt.Equal(pauseEnd) {
		t.Errorf("NextAllowedAt = %s, want %s", dec.Reasons[0].NextAllowedAt, pauseEnd)
	}
	// The pause runs from the conversation's report.
	r.want(start.Add(time.Minute+7*24*time.Hour-time.Second), debt, false)
	r.want(start.Add(time.Minute+7*24*time.Hour), debt, true)
}
