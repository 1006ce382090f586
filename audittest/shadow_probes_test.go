package audittest_test

import (
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
