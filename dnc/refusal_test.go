package dnc

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// With ListRefusals (cn, CN-S5: 用户明确表示拒绝…后，不得再次拨打), an outcome
// reported Refused lists its callee at once, in the scope of the refused
// dial's tenant (never other tenants' dials), else its industry, else its
// business line, else global, held as every entry: the gate was told of the refusal and no longer lets
// the next dial through until the dialer adds the opt-out itself. Without
// it, or for an outcome that is not a refusal, nothing is listed; a refusal
// without its dial cannot be listed and is an error wrapping
// dialgate.ErrInvalidOutcome (resend it with the dial).
func TestListRefusals(t *testing.T) {
	ctx := context.Background()
	cfg := Config{Hold: Hold{Months: 12, Cite: cite}, ListRefusals: &RefusalListing{Cite: cite}}
	tests := []struct {
		name  string
		dial  dialgate.Dial
		scope string
	}{
		{"tenant", dialgate.Dial{Industry: "finance", BusinessLine: "loans", Campaign: "winter", Tenant: "acme"}, "tenant:acme"},
		{"industry", dialgate.Dial{Industry: "finance", BusinessLine: "loans", Campaign: "winter", Tenant: " "}, "industry:finance"},
		{"business line", dialgate.Dial{Industry: "  ", BusinessLine: " loans"}, "business:loans"},
		{"nothing", dialgate.Dial{}, "global"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, st := newTestCheck(t, cfg)
			d := tc.dial
			d.To, d.Purpose, d.At = num("+8613800138000"), dialgate.PurposeMarketing, t0
			var obs dialgate.OutcomeObserver = c
			at := t0.Add(time.Minute)
			if err := obs.ObserveOutcome(ctx, dialgate.Outcome{DecisionID: "d-1", Dial: d, Answered: true, Conversation: true, At: at}); err != nil {
				t.Fatal(err)
			}
			if rs, _ := c.Check(ctx, d); len(rs) != 0 {
				t.Fatalf("listed after a conversation without a refusal: %v", rs)
			}
			if err := obs.ObserveOutcome(ctx, dialgate.Outcome{DecisionID: "d-1", Dial: d, Answered: true, Refused: true, At: at}); err != nil {
				t.Fatal(err)
			}
			d.At = at
			rs, err := c.Check(ctx, d)
			if err != nil || len(rs) != 1 || rs[0].Code != dialgate.CodeDNCListed {
				t.Fatalf("after the refusal: %v %v, want dnc.listed", rs, err)
			}
			if tc.scope == "tenant:acme" {
				other := d
				other.Tenant = "beta"
				if rs, _ := c.Check(ctx, other); len(rs) != 0 {
					t.Fatalf("another tenant's dial after acme's refusal: %v", rs)
				}
			}
			es, _ := st.DNCEntries(ctx, d.To)
			if len(es) != 1 || es[0].Scope.String() != tc.scope || !es[0].AddedAt.Equal(at) ||
				!es[0].HoldUntil.Equal(at.AddDate(0, 12, 0)) || es[0].Evidence != "decision:d-1" {
				t.Fatalf("entries %+v, want one in %s added at %s held 12 months, evidence decision:d-1", es, tc.scope, at)
			}
		})
	}

	c, _ := newTestCheck(t, cfg)
	err := c.ObserveOutcome(ctx, dialgate.Outcome{DecisionID: "d-2", Refused: true, Answered: true, At: t0})
	if !errors.Is(err, dialgate.ErrInvalidOutcome) {
		t.Errorf("a refusal without its dial: %v, want ErrInvalidOutcome", err)
	}

	off, st := newTestCheck(t, Config{})
	d := dialgate.Dial{To: num("+8613800138001"), Purpose: dialgate.PurposeMarketing, Industry: "finance", At: t0}
	if err := off.ObserveOutcome(ctx, dialgate.Outcome{DecisionID: "d-3", Dial: d, Refused: true, Answered: true, At: t0}); err != nil {
		t.Fatal(err)
	}
	if es, _ := st.DNCEntries(ctx, d.To); len(es) != 0 {
		t.Errorf("listed without ListRefusals: %+v", es)
	}

	if _, err := New(cfg, nil); err == nil {
		t.Error("ListRefusals without store-backed lists accepted")
	}
	if err := (Config{ListRefusals: &RefusalListing{}}).Validate(); err == nil {
		t.Error("ListRefusals without a citation accepted")
	}
}

// A refusal whose decision id is not UTF-8 (a dialer using the Go API: the
// sidecar's codec refuses such a request) was listed before entries were
// checked for UTF-8; since, its entry's evidence "decision:<id>" was
// refused (ErrInvalidEntry) and the refusal, an opt-out, never listed,
// however often it was sent again. Now the id's bad bytes are replaced
// with U+FFFD in the evidence (what its stored JSON held before) and the
// callee is listed.
func TestListRefusalsDecisionIDNotUTF8(t *testing.T) {
	ctx := context.Background()
	cfg := Config{Hold: Hold{Months: 12, Cite: cite}, ListRefusals: &RefusalListing{Cite: cite}}
	c, st := newTestCheck(t, cfg)
	d := dialgate.Dial{To: num("+8613800138000"), Purpose: dialgate.PurposeMarketing, Tenant: "acme", At: t0}
	at := t0.Add(time.Minute)
	if err := c.ObserveOutcome(ctx, dialgate.Outcome{DecisionID: "d-\xff1", Dial: d, Answered: true, Refused: true, At: at}); err != nil {
		t.Fatalf("a refusal whose decision id is not UTF-8: %v; want it listed", err)
	}
	d.At = at
	if rs, err := c.Check(ctx, d); err != nil || len(rs) != 1 || rs[0].Code != dialgate.CodeDNCListed {
		t.Fatalf("after the refusal: %v %v, want dnc.listed", rs, err)
	}
	if es, _ := st.DNCEntries(ctx, d.To); len(es) != 1 || es[0].Evidence != "decision:d-\uFFFD1" {
		t.Fatalf("entries %+v, want one with evidence decision:d-\uFFFD1", es)
	}
}
