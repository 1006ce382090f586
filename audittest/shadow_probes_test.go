package audittest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/audittest"
)

// CheckShadow takes the same probes as CheckGate, so it must honour what
// each probe says: a probe's Outage is made to fail for each of the two
// dials (a shadow Gate that swallows a store outage changes the reasons
// exactly where it matters), and its Codes and MustDeny hold in both modes.
// It used to ignore all three, so a probe list whose outage never happened
// and whose expected codes were missing from both Gates passed.
func TestCheckShadowHonoursProbes(t *testing.T) {
	t.Run("outage applied", func(t *testing.T) {
		w, outage := newWorld(), &audittest.Fault{}
		enf := newGate(t, []dialgate.Checker{audittest.NewFaultyChecker("", w.dnc(), outage), w.consent(false)},
			dialgate.WithAuditLog(&audittest.Log{}))
		sh := newGate(t, []dialgate.Checker{audittest.NewFaultyChecker("", w.dnc(), outage), w.consent(false)},
			dialgate.WithAuditLog(&audittest.Log{}), dialgate.WithShadowMode(true))
		if err := audittest.CheckShadow(enf, sh, probes(w, outage)); err != nil {
			t.Fatal(err)
		}
		if got := outage.Injected(); got != 2 {
			t.Fatalf("the outage probe injected %d failures, want 2 (one per Gate)", got)
		}
	})
	t.Run("shadow gate swallows the outage", func(t *testing.T) {
		// The shadow deployment's dnc store never fails: under the probe's
		// outage the enforcing Gate says dnc.unavailable and the shadow one
		// says nothing.
		w, outage, elsewhere := newWorld(), &audittest.Fault{}, &audittest.Fault{}
		enf := newGate(t, []dialgate.Checker{audittest.NewFaultyChecker("", w.dnc(), outage), w.consent(false)},
			dialgate.WithAuditLog(&audittest.Log{}))
		sh := newGate(t, []dialgate.Checker{audittest.NewFaultyChecker("", w.dnc(), elsewhere), w.consent(false)},
			dialgate.WithAuditLog(&audittest.Log{}), dialgate.WithShadowMode(true))
		err := audittest.CheckShadow(enf, sh, probes(w, outage))
		if !errors.Is(err, audittest.ErrModeMismatch) || !errors.Is(err, audittest.ErrOutageAllowed) {
			t.Fatalf("CheckShadow = %v, want ErrModeMismatch and ErrOutageAllowed", err)
		}
	})
	t.Run("both gates ignore revocations", func(t *testing.T) {
		w, outage := newWorld(), &audittest.Fault{}
		enf := newGate(t, []dialgate.Checker{audittest.NewFaultyChecker("", w.dnc(), outage), w.consent(true)},
			dialgate.WithAuditLog(&audittest.Log{}))
		sh := newGate(t, []dialgate.Checker{audittest.NewFaultyChecker("", w.dnc(), outage), w.consent(true)},
			dialgate.WithAuditLog(&audittest.Log{}), dialgate.WithShadowMode(true))
		err := audittest.CheckShadow(enf, sh, probes(w, outage))
		if !errors.Is(err, audittest.ErrMustDenyAllowed) || !errors.Is(err, audittest.ErrMissingCode) {
			t.Fatalf("CheckShadow = %v, want ErrMustDenyAllowed and ErrMissingCode", err)
		}
	})
}

// failOpen is a check that swallows its store's errors and passes: the
// envoy-ratelimit default dialgate must never have.
func failOpen(f *audittest.Fault) dialgate.Checker {
	return dialgate.CheckerFunc("consent", func(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, error) {
		_ = f.Err() // the store call fails; the error is dropped
		return nil, nil
	})
}

// One Fault may take down several wrappers (a data-centre outage): the
// stores and the audit log. The audit failure then denies with
// audit.unavailable on its own, and that used to satisfy the outage probe, so
// a check that failed open under the same outage passed. The outage must be
// reported by a check, not only by the log.
func TestCheckGateOutageNeedsACheck(t *testing.T) {
	outage, log := &audittest.Fault{}, &audittest.Log{}
	g := newGate(t, []dialgate.Checker{failOpen(outage)}, dialgate.WithAuditLog(audittest.NewFaultyLog(log, outage)))
	err := audittest.CheckGate(g, log, []audittest.Probe{
		{Name: "store and log down", Dial: dial("+8613900139001", "c-1"), Outage: outage, MustDeny: true},
	})
	if !errors.Is(err, audittest.ErrOutageAllowed) {
		t.Fatalf("CheckGate = %v, want ErrOutageAllowed", err)
	}
	// A check that fails closed under the same outage passes.
	outage, log = &audittest.Fault{}, &audittest.Log{}
	g = newGate(t, []dialgate.Checker{audittest.NewFaultyChecker("consent", nil, outage)}, dialgate.WithAuditLog(audittest.NewFaultyLog(log, outage)))
	if err := audittest.CheckGate(g, log, []audittest.Probe{
		{Name: "store and log down", Dial: dial("+8613900139001", "c-1"), Outage: outage, MustDeny: true},
	}); err != nil {
		t.Fatal(err)
	}
}

// A MustDeny dial must be denied by the rules: a decision denied only
// because it could not be recorded says nothing about them. A consent
// check that ignores revocations, probed while the log was down, used to
// pass.
func TestCheckGateMustDenyNeedsARule(t *testing.T) {
	w, log, logFault := newWorld(), &audittest.Log{}, &audittest.Fault{}
	g := newGate(t, []dialgate.Checker{w.consent(true)}, dialgate.WithAuditLog(audittest.NewFaultyLog(log, logFault)))
	err := audittest.CheckGate(g, log, []audittest.Probe{
		{Name: "revoked consent while the log is down", Dial: dial("+8613900139003", "c-2"), MustDeny: true,
			Setup: func(ctx context.Context) error {
				w.mu.Lock()
				defer w.mu.Unlock()
				w.revoked["c-2"] = true
				logFault.FailNext(1, nil)
				return nil
			}},
	})
	if !errors.Is(err, audittest.ErrMustDenyAllowed) {
		t.Fatalf("CheckGate = %v, want ErrMustDenyAllowed", err)
	}
}
