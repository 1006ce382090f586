package audittest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// The invariants CheckGate checks. Every error it returns wraps one of them.
var (
	// ErrDenyWithoutReason: a decision denied (or was not compliant) without a reason.
	ErrDenyWithoutReason = errors.New("audittest: deny without a reason")
	// ErrAuditRecord: a decision was not recorded exactly once, or the record
	// differs from the decision returned.
	ErrAuditRecord = errors.New("audittest: not exactly one audit record per decision")
	// ErrDuplicateID: two decisions share an id, or a decision has none.
	ErrDuplicateID = errors.New("audittest: decision ids not unique")
	// ErrModeMismatch: Allowed does not follow from the reasons and the mode
	// (enforcing: allowed exactly when there is no reason; shadow: allowed
	// unless the dial is malformed or the audit failed, and reasons unchanged).
	ErrModeMismatch = errors.New("audittest: shadow mode changed the decision's reasons or enforcement")
	// ErrOutageAllowed: a store outage did not deny with "<check>.unavailable".
	ErrOutageAllowed = errors.New("audittest: a store outage did not deny")
	// ErrMustDenyAllowed: a dial that must never be allowed (revoked consent,
	// listed number) was allowed (or, in shadow mode, found compliant).
	ErrMustDenyAllowed = errors.New("audittest: a dial that must be denied was allowed")
	// ErrMissingCode: a reason code the probe expects is missing.
	ErrMissingCode = errors.New("audittest: expected reason code missing")
	// ErrNoProbes: CheckGate or CheckShadow was given no probe, so nothing
	// was checked; it is never a pass.
	ErrNoProbes = errors.New("audittest: no probes: nothing was checked")
)

// Probe is one dial CheckGate places, with what must hold for it.
type Probe struct {
	// Name identifies the probe in errors ("revoked consent").
	Name string
	// Dial is the dial to check. The Gate sets its At from its Clock.
	Dial dialgate.Dial
	// Setup, when set, runs just before the dial: revoke a consent, list the
	// number, move the clock. An error fails the probe.
	Setup func(ctx context.Context) error
	// Outage, when set, is made to fail for this dial and healed after it: the
	// Gate must deny with a "<check>.unavailable" reason from a check
	// (audit.unavailable alone does not count: a log that fails under the
	// same outage would hide a check that failed open).
	Outage *Fault
	// MustDeny says the dial must never be allowed: a revoked consent, a
	// listed number. In shadow mode it must not be compliant. A rule must
	// say so: audit.unavailable alone (the log was down) does not count.
	MustDeny bool
	// Codes must each be among the decision's reason codes, in either mode.
	Codes []dialgate.Code
}

// CheckGate places every probe's dial through gate (in order, one at a time)
// and checks the invariants every deployment must keep:
//
//   - every deny has a reason (ErrDenyWithoutReason);
//   - one audit record per decision in log, equal to the decision returned
//     in every field (reasons with their messages and evidence, the
//     decision's evidence, policy version, valid until, dial), and none for a decision
//     whose recording failed (ErrAuditRecord);
//   - decision ids are unique and not empty (ErrDuplicateID);
//   - shadow mode never changes reasons: a decision is allowed exactly when
//     it has no reason (enforcing), or unless the dial was malformed or not
//     recorded (shadow), Decision.Shadow matches the Gate, and each probe's
//     expected codes are present in either mode (ErrModeMismatch,
//     ErrMissingCode; CheckShadow compares two Gates reason by reason);
//   - a store outage (Probe.Outage) denies with "<check>.unavailable"
//     (ErrOutageAllowed);
//   - a revoked consent or a listed number (Probe.MustDeny) never allows
//     (ErrMustDenyAllowed).
//
// log must be the audit log the Gate writes to (directly or through a
// FaultyLog). CheckGate returns errors.Join of every violation found, each
// naming its probe, or nil. Without probes it returns ErrNoProbes (nothing
// was checked), and with a nil gate or log an error.
func CheckGate(gate *dialgate.Gate, log *Log, probes []Probe) error {
	switch {
	case gate == nil:
		return errors.New("audittest: CheckGate: gate: nil")
	case log == nil:
		return errors.New("audittest: CheckGate: log: nil (the audit log the Gate writes to)")
	case len(probes) == 0:
		return fmt.Errorf("%w: CheckGate needs at least one probe", ErrNoProbes)
	}
	ctx := context.Background()
	var (
		errs     []error
		seen     = map[string]string{}
		recorded int
		start    = log.Len()
	)
	for i, p := range probes {
		name := p.Name
		if name == "" {
			name = fmt.Sprintf("probe %d", i)
		}
		fail := func(inv error, format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s: %w: %s", name, inv, fmt.Sprintf(format, args...)))
		}
		if p.Setup != nil {
			if err := p.Setup(ctx); err != nil {
				errs = append(errs, fmt.Errorf("%s: setup: %w", name, err))
				continue
			}
		}
		if p.Outage != nil {
			p.Outage.Fail(nil)
		}
		dec, err := gate.Check(ctx, p.Dial)
		if p.Outage != nil {
			p.Outage.Heal()
		}
		auditFailed := errors.Is(err, dialgate.ErrAuditUnavailable)

		if dec.ID == "" {
			fail(ErrDuplicateID, "decision without an id")
		} else if other, dup := seen[dec.ID]; dup {
			fail(ErrDuplicateID, "id %s already given to %s", dec.ID, other)
		} else {
			seen[dec.ID] = name
		}
		if !dec.Allowed && len(dec.Reasons) == 0 {
			fail(ErrDenyWithoutReason, "decision %s denies with no reason (error %v)", dec.ID, err)
		}
		if err != nil && dec.Allowed {
			fail(ErrModeMismatch, "decision %s is allowed although Check returned %v", dec.ID, err)
		}
		if dec.Shadow != gate.Shadow() {
			fail(ErrModeMismatch, "decision %s has Shadow=%v in a gate with Shadow()=%v", dec.ID, dec.Shadow, gate.Shadow())
		}
		if gate.Shadow() {
			unenforceable := dec.Has(dialgate.CodeDialInvalid) || dec.Has(dialgate.CodeAuditUnavailable)
			if dec.Allowed == unenforceable {
				fail(ErrModeMismatch, "shadow decision %s: allowed=%v with reasons %v", dec.ID, dec.Allowed, dec.Codes())
			}
		} else if dec.Allowed != (len(dec.Reasons) == 0) {
			fail(ErrModeMismatch, "decision %s: allowed=%v with reasons %v", dec.ID, dec.Allowed, dec.Codes())
		}
		errs = append(errs, probeExpectations(name, p, dec, gate.Shadow())...)
		if dec.ID == "" {
			continue
		}
		n := log.Count(dec.ID)
		switch {
		case auditFailed && n != 0:
			fail(ErrAuditRecord, "decision %s failed to record (%v) but the log holds %d records of it", dec.ID, err, n)
		case !auditFailed && n != 1:
			fail(ErrAuditRecord, "decision %s has %d audit records, want 1", dec.ID, n)
		case !auditFailed:
			recorded++
			rec, _ := log.Decision(dec.ID)
			if diff := decisionDiff(rec, dec); diff != "" {
				fail(ErrAuditRecord, "decision %s: the record differs from the decision returned: %s", dec.ID, diff)
			}
		}
	}
	if got := log.Len() - start; got != recorded {
		errs = append(errs, fmt.Errorf("%w: the log gained %d decision records during %d recorded decisions", ErrAuditRecord, got, recorded))
	}
	return errors.Join(errs...)
}

// CheckShadow places every probe's dial through an enforcing Gate and a
// shadow Gate built from the same policy, and checks that both give the same
// reason codes and that the shadow Gate enforces none of them
// (ErrModeMismatch). Each probe's own expectations hold for both dials, as in
// CheckGate: its Outage fails during each dial, which must carry a
// "<check>.unavailable" reason (ErrOutageAllowed); a MustDeny dial is denied
// by the enforcing Gate and not compliant in the shadow one
// (ErrMustDenyAllowed); its Codes are present in both (ErrMissingCode). Each
// probe's Setup runs before each of the two dials, so it must be idempotent;
// give each Gate its own stores if checks keep state (frequency caps), or the
// second dial sees the first. Without probes it returns ErrNoProbes, and with
// a nil gate an error.
func CheckShadow(enforcing, shadow *dialgate.Gate, probes []Probe) error {
	if enforcing == nil || shadow == nil {
		return errors.New("audittest: CheckShadow: gate: nil")
	}
	if enforcing.Shadow() || !shadow.Shadow() {
		return fmt.Errorf("%w: CheckShadow needs an enforcing gate and a shadow gate (got Shadow()=%v and %v)",
			ErrModeMismatch, enforcing.Shadow(), shadow.Shadow())
	}
	if len(probes) == 0 {
		return fmt.Errorf("%w: CheckShadow needs at least one probe", ErrNoProbes)
	}
	ctx := context.Background()
	var errs []error
	for i, p := range probes {
		name := p.Name
		if name == "" {
			name = fmt.Sprintf("probe %d", i)
		}
		var decs [2]dialgate.Decision
		for j, g := range []*dialgate.Gate{enforcing, shadow} {
			mode := [2]string{"enforcing", "shadow"}[j]
			if p.Setup != nil {
				if err := p.Setup(ctx); err != nil {
					errs = append(errs, fmt.Errorf("%s (%s): setup: %w", name, mode, err))
					continue
				}
			}
			decs[j] = placeProbe(ctx, g, p)
			errs = append(errs, probeExpectations(name+" ("+mode+")", p, decs[j], g.Shadow())...)
		}
		e, s := decs[0], decs[1]
		if !slices.Equal(e.Codes(), s.Codes()) {
			errs = append(errs, fmt.Errorf("%s: %w: enforcing reasons %v, shadow reasons %v", name, ErrModeMismatch, e.Codes(), s.Codes()))
		}
		unenforceable := s.Has(dialgate.CodeDialInvalid) || s.Has(dialgate.CodeAuditUnavailable)
		if !s.Shadow || s.Allowed == unenforceable {
			errs = append(errs, fmt.Errorf("%s: %w: shadow decision allowed=%v shadow=%v with reasons %v", name, ErrModeMismatch, s.Allowed, s.Shadow, s.Codes()))
		}
	}
	return errors.Join(errs...)
}

// decisionDiff says how the audit record rec differs from the decision dec
// the Gate returned — every field, evidence included, instants compared with
// Equal — and returns "" when they are the same.
func decisionDiff(rec, dec dialgate.Decision) string {
	switch {
	case rec.ID != dec.ID:
		return fmt.Sprintf("id %q, returned %q", rec.ID, dec.ID)
	case !rec.At.Equal(dec.At):
		return fmt.Sprintf("at %v, returned %v", rec.At, dec.At)
	case rec.Allowed != dec.Allowed || rec.Shadow != dec.Shadow:
		return fmt.Sprintf("allowed=%v shadow=%v, returned allowed=%v shadow=%v", rec.Allowed, rec.Shadow, dec.Allowed, dec.Shadow)
	case rec.PolicyVersion != dec.PolicyVersion:
		return fmt.Sprintf("policy version %q, returned %q", rec.PolicyVersion, dec.PolicyVersion)
	case !rec.ValidUntil.Equal(dec.ValidUntil):
		// The record says until when the dialer could place the call.
		return fmt.Sprintf("valid until %v, returned %v", rec.ValidUntil, dec.ValidUntil)
	case !slices.Equal(rec.Codes(), dec.Codes()):
		return fmt.Sprintf("reasons %v, returned %v", rec.Codes(), dec.Codes())
	case !slices.Equal(rec.Evidence, dec.Evidence):
		return fmt.Sprintf("evidence %v, returned %v", rec.Evidence, dec.Evidence)
	}
	for i, r := range rec.Reasons {
		d := dec.Reasons[i]
		switch {
		case r.Check != d.Check || r.Message != d.Message:
			return fmt.Sprintf("reason %s: check %q message %q, returned check %q message %q", r.Code, r.Check, r.Message, d.Check, d.Message)
		case !r.NextAllowedAt.Equal(d.NextAllowedAt):
			return fmt.Sprintf("reason %s: next allowed at %v, returned %v", r.Code, r.NextAllowedAt, d.NextAllowedAt)
		case !slices.Equal(r.Evidence, d.Evidence):
			return fmt.Sprintf("reason %s: evidence %v, returned %v", r.Code, r.Evidence, d.Evidence)
		}
	}
	// The dial's fields are named, not shown: the callee number stays out of
	// test output.
	rd, dd := rec.Dial, dec.Dial
	var fields []string
	for _, f := range []struct {
		name string
		same bool
	}{
		{"to", rd.To == dd.To}, {"from", rd.From == dd.From}, {"purpose", rd.Purpose == dd.Purpose},
		{"tenant", rd.Tenant == dd.Tenant}, {"industry", rd.Industry == dd.Industry},
		{"business_line", rd.BusinessLine == dd.BusinessLine}, {"campaign", rd.Campaign == dd.Campaign},
		{"subject", rd.Subject == dd.Subject}, {"consent_id", rd.ConsentID == dd.ConsentID},
		{"lead_id", rd.LeadID == dd.LeadID}, {"trigger_at", rd.TriggerAt.Equal(dd.TriggerAt)},
		{"route", rd.Route == dd.Route}, {"callee_zone", rd.CalleeZone == dd.CalleeZone},
		{"agent_reserved", rd.AgentReserved == dd.AgentReserved}, {"at", rd.At.Equal(dd.At)},
	} {
		if !f.same {
			fields = append(fields, f.name)
		}
	}
	if len(fields) > 0 {
		return "the dial's " + strings.Join(fields, ", ") + " differ"
	}
	// A field added to Dial later is still compared.
	rd.At, dd.At, rd.TriggerAt, dd.TriggerAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if rd != dd {
		return "the dial differs"
	}
	// So is a field added to Decision later: what is left once the fields
	// compared above are cleared must be equal.
	rest := func(d dialgate.Decision) dialgate.Decision {
		d.ID, d.At, d.Allowed, d.Shadow, d.PolicyVersion, d.ValidUntil = "", time.Time{}, false, false, "", time.Time{}
		d.Reasons, d.Evidence, d.Dial = nil, nil, dialgate.Dial{}
		return d
	}
	if !reflect.DeepEqual(rest(rec), rest(dec)) {
		return "the decision differs"
	}
	return ""
}

// placeProbe places p's dial through gate, with p's Outage failing for it.
func placeProbe(ctx context.Context, gate *dialgate.Gate, p Probe) dialgate.Decision {
	if p.Outage != nil {
		p.Outage.Fail(nil)
		defer p.Outage.Heal()
	}
	dec, _ := gate.Check(ctx, p.Dial)
	return dec
}

// probeExpectations checks what the probe itself says must hold for its
// decision dec, made by a Gate in shadow mode or not: an outage denies with
// "<check>.unavailable" (not enforced in shadow mode, but present), a
// MustDeny dial is neither allowed (enforcing) nor compliant, and every
// expected code is present.
func probeExpectations(name string, p Probe, dec dialgate.Decision, shadow bool) []error {
	var errs []error
	fail := func(inv error, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %w: %s", name, inv, fmt.Sprintf(format, args...)))
	}
	if p.Outage != nil {
		// audit.unavailable does not count: when the Fault also takes down
		// the audit log, the log's failure denies on its own and would hide
		// a check that failed open under the same outage.
		unavailable := slices.ContainsFunc(dec.Reasons, func(r dialgate.Reason) bool {
			return r.Code.IsUnavailable() && r.Code != dialgate.CodeAuditUnavailable
		})
		switch {
		case !shadow && dec.Allowed:
			fail(ErrOutageAllowed, "decision %s: allowed=%v, reasons %v", dec.ID, dec.Allowed, dec.Codes())
		case !unavailable:
			fail(ErrOutageAllowed, "decision %s: no check reported the outage with <check>.unavailable (allowed=%v, reasons %v)", dec.ID, dec.Allowed, dec.Codes())
		}
	}
	// A MustDeny dial must be denied by a rule: audit.unavailable alone
	// (the decision could not be recorded) says nothing about the rules.
	ruled := slices.ContainsFunc(dec.Reasons, func(r dialgate.Reason) bool { return r.Code != dialgate.CodeAuditUnavailable })
	if p.MustDeny && ((!shadow && dec.Allowed) || !ruled) {
		fail(ErrMustDenyAllowed, "decision %s: allowed=%v, reasons %v (a rule must deny it)", dec.ID, dec.Allowed, dec.Codes())
	}
	for _, c := range p.Codes {
		if !dec.Has(c) {
			fail(ErrMissingCode, "decision %s lacks %s (reasons %v)", dec.ID, c, dec.Codes())
		}
	}
	return errs
}

// TestGate runs CheckGate and reports each violation with t.Error.
func TestGate(t testing.TB, gate *dialgate.Gate, log *Log, probes []Probe) {
	t.Helper()
	if err := CheckGate(gate, log, probes); err != nil {
		var joined interface{ Unwrap() []error }
		if errors.As(err, &joined) {
			for _, e := range joined.Unwrap() {
				t.Error(e)
			}
			return
		}
		t.Error(err)
	}
}
