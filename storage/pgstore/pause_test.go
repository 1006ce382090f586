package pgstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
)

// Two sidecars sharing one database: a conversation reported through one
// after the other checked a dial, but before it committed, refuses the
// commit (the pause is checked again, under the key's row lock, in the
// reservation).
func TestPauseReportedBetweenCheckAndCommit(t *testing.T) {
	url := pgURL(t)
	sc := newSchema(t, url)
	ctx := context.Background()
	key := []byte("0123456789abcdef-fleet-key")
	a, err := schedule.NewCapCheck(schedule.CapsUSCollections(), open(t, url, sc), schedule.WithCapHashKey(key))
	if err != nil {
		t.Fatal(err)
	}
	b, err := schedule.NewCapCheck(schedule.CapsUSCollections(), open(t, url, sc), schedule.WithCapHashKey(key))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	d := dialgate.Dial{To: dialgate.MustParseNumber("+8613800138000"), From: dialgate.MustParseNumber("+861058001234"),
		Tenant: "acme", Purpose: dialgate.PurposeCollections, Subject: "debt-1", At: at}
	if rs, _, err := a.Attest(ctx, d); err != nil || rs != nil {
		t.Fatalf("Attest = %+v, %v; want a pass", rs, err)
	}
	if err := b.ObserveOutcome(ctx, dialgate.Outcome{DecisionID: "dg-0", Dial: d, At: at, Conversation: true}); err != nil {
		t.Fatal(err)
	}
	rs, err := a.Commit(ctx, d, "dg-1")
	if err != nil || len(rs) != 1 || rs[0].Code != dialgate.CodeFrequencyCapped || !strings.Contains(rs[0].Message, "conversation") {
		t.Fatalf("Commit after a conversation = %+v, %v; want the pause", rs, err)
	}
}
