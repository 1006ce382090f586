package audittest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/audittest"
)

// attesting is a check that relies on a fact and says so, and that denies
// one number with evidence behind the reason.
type attesting struct{}

func (attesting) Name() string { return "fact" }

func (a attesting) Check(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, error) {
	rs, _, err := a.Attest(ctx, d)
	return rs, err
}

func (attesting) Attest(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, []dialgate.Evidence, error) {
	if d.To == dialgate.MustParseNumber("+8613900139009") {
		return []dialgate.Reason{{Code: dialgate.CodeDNCListed, Message: "listed",
			Evidence: []dialgate.Evidence{{Key: "dnc.list", Value: "internal"}}}}, nil, nil
	}
	return nil, []dialgate.Evidence{{Key: "consent.id", Value: d.ConsentID}}, nil
}

// alteringLog records each decision after change has altered it: a Gate
// whose audit record is not the decision it returned.
type alteringLog struct {
	*audittest.Log
	change func(*dialgate.Decision)
}

func (l alteringLog) RecordDecision(ctx context.Context, d dialgate.Decision) error {
	d.Evidence = append([]dialgate.Evidence(nil), d.Evidence...)
	d.Reasons = append([]dialgate.Reason(nil), d.Reasons...)
	l.change(&d)
	return l.Log.RecordDecision(ctx, d)
}

// The audit record must be the decision returned, evidence and all: an
// auditor reads the evidence (the consent relied on, the list that matched)
// from the record. CheckGate compared only allowed, shadow, codes and the
// instant, so a record that lost its evidence, or named another policy
// version, passed.
func TestCheckGateRecordEqualsDecision(t *testing.T) {
	probes := []audittest.Probe{
		{Name: "allowed with evidence", Dial: dial("+8613900139001", "c-1")},
		{Name: "denied with evidence", Dial: dial("+8613900139009", "c-1"), MustDeny: true, Codes: []dialgate.Code{dialgate.CodeDNCListed}},
	}
	changes := map[string]func(*dialgate.Decision){
		"decision evidence dropped": func(d *dialgate.Decision) { d.Evidence = nil },
		"decision evidence altered": func(d *dialgate.Decision) {
			for i := range d.Evidence {
				d.Evidence[i].Value = "c-other"
			}
		},
		"reason evidence dropped": func(d *dialgate.Decision) {
			for i := range d.Reasons {
				d.Reasons[i].Evidence = nil
			}
		},
		"reason message altered": func(d *dialgate.Decision) {
			for i := range d.Reasons {
				d.Reasons[i].Message = "something else"
			}
		},
		"policy version altered": func(d *dialgate.Decision) { d.PolicyVersion = "other" },
		"dial altered":           func(d *dialgate.Decision) { d.Dial.ConsentID = "c-other" },
		// The record of an allow tells the auditor until when the dialer
		// could place the call: a record that says later than the
		// decision returned covers calls placed after the allow lapsed.
		"valid until altered": func(d *dialgate.Decision) {
			if d.Allowed {
				d.ValidUntil = d.ValidUntil.Add(time.Hour)
			}
		},
	}
	// Unaltered, the probes pass.
	log := &audittest.Log{}
	g := newGate(t, []dialgate.Checker{attesting{}}, dialgate.WithAuditLog(log), dialgate.WithPolicyVersion("v1"))
	if err := audittest.CheckGate(g, log, probes); err != nil {
		t.Fatalf("faithful log: %v", err)
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			log := &audittest.Log{}
			g := newGate(t, []dialgate.Checker{attesting{}}, dialgate.WithAuditLog(alteringLog{log, change}), dialgate.WithPolicyVersion("v1"))
			if err := audittest.CheckGate(g, log, probes); !errors.Is(err, audittest.ErrAuditRecord) {
				t.Fatalf("CheckGate = %v, want ErrAuditRecord", err)
			}
		})
	}
}
