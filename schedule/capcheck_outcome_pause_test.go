package schedule_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage/memstore"
)

// outcomePause is one of the pauses that start on a reported outcome other
// than a conversation: after an abandoned call and after a refusal.
type outcomePause struct {
	name    string
	field   string                                      // the profile key
	config  func(p *schedule.Pause) schedule.CapsConfig // a config with only this pause
	mark    func(o *dialgate.Outcome)                   // sets the outcome flag that starts it
	message string                                      // what the denial's message says
}

func outcomePauses() []outcomePause {
	return []outcomePause{
		{
			name: "abandoned", field: "pause_after_abandoned",
			config:  func(p *schedule.Pause) schedule.CapsConfig { return schedule.CapsConfig{PauseAfterAbandoned: p} },
			mark:    func(o *dialgate.Outcome) { o.Answered, o.Abandoned = true, true },
			message: "a call was abandoned within the pause: no call within 3d after an abandoned call, per callee",
		},
		{
			name: "refusal", field: "pause_after_refusal",
			config:  func(p *schedule.Pause) schedule.CapsConfig { return schedule.CapsConfig{PauseAfterRefusal: p} },
			mark:    func(o *dialgate.Outcome) { o.Answered, o.Conversation, o.Refused = true, true, true },
			message: "the callee refused within the pause: no call within 3d after a refusal, per callee",
		},
	}
}

var pauseCite = dialgate.Citation{Source: dialgate.SourceRegulator, Ref: "pause test"}

// report tells r's Gate, at instant at, that the call of dec ended with the
// pause's outcome.
func (p outcomePause) report(t *testing.T, r *rig, at time.Time, decisionID string, d dialgate.Dial) {
	t.Helper()
	r.clock.set(at)
	o := dialgate.Outcome{DecisionID: decisionID, Dial: d}
	p.mark(&o)
	if err := r.gate.ReportOutcome(context.Background(), o); err != nil {
		t.Fatalf("ReportOutcome(%s): %v", p.name, err)
	}
}

// Inside the window a re-call is denied with frequency.capped, a message that
// names the pause and the evidence of the conversation pause; from the end
// of the window it is allowed. The pause runs from the report.
func TestOutcomePauseWindow(t *testing.T) {
	for _, p := range outcomePauses() {
		t.Run(p.name, func(t *testing.T) {
			r := newRig(t, p.config(&schedule.Pause{Window: dialgate.Duration(72 * time.Hour), Cite: pauseCite}), memstore.New())
			d := dialgate.Dial{To: callee, From: from1, Purpose: dialgate.PurposeMarketing}
			placed := r.want(start, d, true)
			r.want(start.Add(time.Minute), d, true) // nothing reported yet: no pause
			reported := start.Add(2 * time.Minute)
			p.report(t, r, reported, placed.ID, placed.Dial)
			end := reported.Add(72 * time.Hour)

			dec := r.want(reported, d, false)
			if len(dec.Reasons) != 1 {
				t.Fatalf("reasons %+v, want the pause only", dec.Reasons)
			}
			rs := dec.Reasons[0]
			if rs.Message != p.message {
				t.Errorf("message %q, want %q", rs.Message, p.message)
			}
			if !rs.NextAllowedAt.Equal(end) {
				t.Errorf("NextAllowedAt = %s, want %s", rs.NextAllowedAt, end)
			}
			for key, want := range map[string]string{
				"frequency.cap":             strings.TrimPrefix(p.message, p.message[:strings.Index(p.message, ": ")+2]),
				"frequency.count":           "1",
				"frequency.next_allowed_at": end.Format(time.RFC3339),
				"frequency.cite":            pauseCite.String(),
			} {
				if got := evidence(rs, key); got != want {
					t.Errorf("evidence %s = %q, want %q", key, got, want)
				}
			}
			r.want(start.Add(71*time.Hour), d, false)
			r.want(end.Add(-time.Second), d, false)
			r.want(end, d, true)
			r.want(end.Add(time.Hour), d, true)
		})
	}
}

// A pause is per callee within the tenant by default: other callees and the
// same callee of another tenant may be called; with per: subject it pauses
// calls about the matter whichever number is called.
func TestOutcomePauseScope(t *testing.T) {
	for _, p := range outcomePauses() {
		t.Run(p.name, func(t *testing.T) {
			r := newRig(t, p.config(&schedule.Pause{Window: dialgate.Duration(72 * time.Hour), Cite: pauseCite}), memstore.New())
			d := dialgate.Dial{To: callee, From: from1, Purpose: dialgate.PurposeMarketing}
			placed := r.want(start, d, true)
			p.report(t, r, start, placed.ID, placed.Dial)
			r.want(start.Add(time.Hour), d, false)
			r.want(start.Add(time.Hour), dialgate.Dial{To: callee, From: from2, Campaign: "other", Purpose: dialgate.PurposeMarketing}, false)
			r.want(start.Add(time.Hour), dialgate.Dial{To: other, From: from1, Purpose: dialgate.PurposeMarketing}, true)
			r.want(start.Add(time.Hour), dialgate.Dial{To: callee, From: from1, Tenant: "globex", Purpose: dialgate.PurposeMarketing}, true)

			bySubject := newRig(t, p.config(&schedule.Pause{Window: dialgate.Duration(72 * time.Hour), Per: schedule.CapPerSubject, Cite: pauseCite}), memstore.New())
			debt := dialgate.Dial{To: callee, From: from1, Purpose: dialgate.PurposeCollections, Subject: "debt-1"}
			placed = bySubject.want(start, debt, true)
			p.report(t, bySubject, start, placed.ID, placed.Dial)
			bySubject.want(start.Add(time.Hour), dialgate.Dial{To: other, From: from1, Purpose: dialgate.PurposeCollections, Subject: "debt-1"}, false)
			bySubject.want(start.Add(time.Hour), dialgate.Dial{To: callee, From: from1, Purpose: dialgate.PurposeCollections, Subject: "debt-2"}, true)
			wantNoSubject(t, bySubject.dial(start.Add(time.Hour), dialgate.Dial{To: callee, From: from1, Purpose: dialgate.PurposeCollections}))
			// An outcome whose dial names no subject cannot start the pause of
			// the right matter: an error naming dial.subject.
			o := dialgate.Outcome{DecisionID: placed.ID, Dial: dialgate.Dial{To: callee, From: from1, Tenant: "acme", Purpose: dialgate.PurposeCollections}}
			p.mark(&o)
			var fe *dialgate.FieldError
			if err := bySubject.gate.ReportOutcome(context.Background(), o); !errors.As(err, &fe) || fe.Field != "dial.subject" || !errors.Is(err, dialgate.ErrInvalidOutcome) {
				t.Errorf("outcome without a subject: %v, want a dial.subject FieldError", err)
			}
		})
	}
}

// A pause limited to purposes starts only on outcomes of calls of those
// purposes and holds back only dials of those purposes.
func TestOutcomePausePurposes(t *testing.T) {
	for _, p := range outcomePauses() {
		t.Run(p.name, func(t *testing.T) {
			r := newRig(t, p.config(&schedule.Pause{Window: dialgate.Duration(72 * time.Hour),
				Purposes: []dialgate.Purpose{dialgate.PurposeMarketing}, Cite: pauseCite}), memstore.New())
			service := dialgate.Dial{To: callee, From: from1, Purpose: dialgate.PurposeService}
			marketing := dialgate.Dial{To: callee, From: from1, Purpose: dialgate.PurposeMarketing}
			// The outcome of a service call starts no marketing pause.
			placed := r.want(start, service, true)
			p.report(t, r, start, placed.ID, placed.Dial)
			r.want(start.Add(time.Hour), marketing, true)
			// The outcome of a marketing call pauses marketing, not service.
			placed = r.want(start.Add(2*time.Hour), marketing, true)
			p.report(t, r, start.Add(2*time.Hour), placed.ID, placed.Dial)
			r.want(start.Add(3*time.Hour), marketing, false)
			r.want(start.Add(3*time.Hour), service, true)
		})
	}
}

// As for the pause after a conversation, the Gate does not ask whether the
// decision an outcome names is known or was released: the outcome pauses
// the dial it carries (fail closed). An outcome without its dial cannot be
// attributed and is an error wrapping ErrInvalidOutcome naming dial.to.
func TestOutcomePauseReleasedOrUnknownDecision(t *testing.T) {
	for _, p := range outcomePauses() {
		t.Run(p.name, func(t *testing.T) {
			r := newRig(t, p.config(&schedule.Pause{Window: dialgate.Duration(72 * time.Hour), Cite: pauseCite}), memstore.New())
			d := dialgate.Dial{To: callee, From: from1, Purpose: dialgate.PurposeMarketing}
			placed := r.want(start, d, true)
			if err := r.gate.Release(context.Background(), placed); err != nil {
				t.Fatal(err)
			}
			p.report(t, r, start.Add(time.Minute), placed.ID, placed.Dial)
			r.want(start.Add(time.Hour), d, false)

			d2 := dialgate.Dial{To: other, From: from1, Tenant: "acme", Purpose: dialgate.PurposeMarketing}
			p.report(t, r, start.Add(time.Minute), "dg-never-decided", d2)
			r.want(start.Add(time.Hour), d2, false)

			o := dialgate.Outcome{DecisionID: "dg-x"}
			p.mark(&o)
			err := r.gate.ReportOutcome(context.Background(), o)
			var fe *dialgate.FieldError
			if !errors.As(err, &fe) || fe.Field != "dial.to" || !errors.Is(err, dialgate.ErrInvalidOutcome) {
				t.Fatalf("outcome without its dial = %v, want a dial.to FieldError wrapping ErrInvalidOutcome", err)
			}
			if !strings.Contains(fe.Problem, strings.Fields(p.message)[1]) && !strings.Contains(fe.Problem, "refusal") {
				t.Errorf("problem %q does not name the pause", fe.Problem)
			}
		})
	}
}

// Each pause starts only on its own outcome: a conversation, an abandoned
// call and a refusal each pause what the profile says after that outcome and
// nothing else; all three together are checked, and a dial inside several
// reports each.
func TestOutcomePausesAreDistinct(t *testing.T) {
	hour := dialgate.Duration(time.Hour)
	cfg := schedule.CapsConfig{
		PauseAfterConversation: &schedule.Pause{Window: 1 * hour, Cite: pauseCite},
		PauseAfterAbandoned:    &schedule.Pause{Window: 2 * hour, Cite: pauseCite},
		PauseAfterRefusal:      &schedule.Pause{Window: 3 * hour, Cite: pauseCite},
	}
	for _, tc := range []struct {
		name string
		o    dialgate.Outcome
		end  time.Duration
		msg  string
	}{
		{"answered only", dialgate.Outcome{Answered: true}, 0, ""},
		{"conversation", dialgate.Outcome{Answered: true, Conversation: true}, time.Hour, "a conversation took place"},
		{"abandoned", dialgate.Outcome{Answered: true, Abandoned: true}, 2 * time.Hour, "a call was abandoned"},
		{"refused", dialgate.Outcome{Answered: true, Refused: true}, 3 * time.Hour, "the callee refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, cfg, memstore.New())
			d := dialgate.Dial{To: callee, From: from1, Purpose: dialgate.PurposeMarketing}
			placed := r.want(start, d, true)
			o := tc.o
			o.DecisionID, o.Dial = placed.ID, placed.Dial
			if err := r.gate.ReportOutcome(context.Background(), o); err != nil {
				t.Fatal(err)
			}
			if tc.end == 0 {
				r.want(start, d, true)
				return
			}
			dec := r.want(start.Add(time.Second), d, false)
			if len(dec.Reasons) != 1 || !strings.HasPrefix(dec.Reasons[0].Message, tc.msg) {
				t.Fatalf("reasons %+v, want one starting %q", dec.Reasons, tc.msg)
			}
			r.want(start.Add(tc.end-time.Second), d, false)
			r.want(start.Add(tc.end), d, true)
		})
	}
	t.Run("several", func(t *testing.T) {
		r := newRig(t, cfg, memstore.New())
		d := dialgate.Dial{To: callee, From: from1, Purpose: dialgate.PurposeMarketing}
		placed := r.want(start, d, true)
		o := dialgate.Outcome{DecisionID: placed.ID, Dial: placed.Dial, Answered: true, Conversation: true, Refused: true}
		if err := r.gate.ReportOutcome(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		dec := r.want(start.Add(time.Second), d, false)
		if len(dec.Reasons) != 2 || !dec.Reasons[1].NextAllowedAt.Equal(start.Add(3*time.Hour)) {
			t.Fatalf("reasons %+v, want the conversation and refusal pauses", dec.Reasons)
		}
		if next, _ := dec.NextAllowedAt(); !next.Equal(start.Add(3 * time.Hour)) {
			t.Errorf("decision NextAllowedAt = %s, want the later pause's end", next)
		}
	})
}

// An outcome recorded between a dial's Attest and its Commit refuses the
// Commit with the pause's reason.
func TestOutcomePauseRecordedBetweenAttestAndCommit(t *testing.T) {
	for _, p := range outcomePauses() {
		t.Run(p.name, func(t *testing.T) {
			ctx := context.Background()
			c, err := schedule.NewCapCheck(p.config(&schedule.Pause{Window: dialgate.Duration(72 * time.Hour), Cite: pauseCite}), memstore.New(), schedule.WithCapHashKey(testHK))
			if err != nil {
				t.Fatal(err)
			}
			d := dialgate.Dial{To: callee, From: from1, Tenant: "acme", Purpose: dialgate.PurposeMarketing, At: start}
			if rs, _, err := c.Attest(ctx, d); err != nil || rs != nil {
				t.Fatalf("Attest = %+v, %v; want a pass", rs, err)
			}
			o := dialgate.Outcome{DecisionID: "dg-earlier", Dial: d, At: start}
			p.mark(&o)
			if err := c.ObserveOutcome(ctx, o); err != nil {
				t.Fatal(err)
			}
			rs, err := c.Commit(ctx, d, "dg-1")
			if err != nil || len(rs) != 1 || rs[0].Message != p.message {
				t.Fatalf("Commit after the outcome = %+v, %v; want the pause", rs, err)
			}
		})
	}
}

func TestOutcomePauseValidate(t *testing.T) {
	day := dialgate.Duration(24 * time.Hour)
	for _, p := range outcomePauses() {
		for _, tc := range []struct {
			pause schedule.Pause
			field string
		}{
			{schedule.Pause{Cite: pauseCite}, ".window"},
			{schedule.Pause{Window: 400 * day, Cite: pauseCite}, ".window"},
			{schedule.Pause{Window: day, Purposes: []dialgate.Purpose{"sales"}, Cite: pauseCite}, ".purposes[0]"},
			{schedule.Pause{Window: day, Per: "household", Cite: pauseCite}, ".per"},
			{schedule.Pause{Window: day, Cite: dialgate.Citation{Source: "L"}}, ".cite.ref"},
		} {
			err := p.config(&tc.pause).Validate()
			if want := "frequency." + p.field + tc.field + ":"; err == nil || !errors.Is(err, schedule.ErrInvalidCaps) || !strings.HasPrefix(err.Error(), want) {
				t.Errorf("%s %+v: Validate = %v, want an error starting %q", p.name, tc.pause, err, want)
			}
		}
	}
}

// An outcome whose dial names no purpose (or an unknown one) cannot be
// matched against a pause limited to purposes: it must not be silently
// ignored (no pause, no error) but be an error naming dial.purpose, so that
// the caller reports the decided dial again.
func TestOutcomePauseDialWithoutPurpose(t *testing.T) {
	for _, p := range outcomePauses() {
		t.Run(p.name, func(t *testing.T) {
			r := newRig(t, p.config(&schedule.Pause{Window: dialgate.Duration(72 * time.Hour),
				Purposes: []dialgate.Purpose{dialgate.PurposeMarketing}, Cite: pauseCite}), memstore.New())
			d := dialgate.Dial{To: callee, From: from1, Purpose: dialgate.PurposeMarketing}
			placed := r.want(start, d, true)
			for _, purpose := range []dialgate.Purpose{"", "Marketing"} {
				o := dialgate.Outcome{DecisionID: placed.ID, Dial: dialgate.Dial{To: placed.Dial.To, Tenant: placed.Dial.Tenant, Purpose: purpose}}
				p.mark(&o)
				err := r.gate.ReportOutcome(context.Background(), o)
				var fe *dialgate.FieldError
				if !errors.As(err, &fe) || fe.Field != "dial.purpose" || !errors.Is(err, dialgate.ErrInvalidOutcome) {
					t.Errorf("outcome with dial purpose %q = %v, want a dial.purpose FieldError wrapping ErrInvalidOutcome", purpose, err)
				}
			}
		})
	}
}
