package audittest_test

import (
	"errors"
	"testing"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/audittest"
)

// CheckGate and CheckShadow given no probe check nothing: they must not
// report success (a list of probes built by a loop that found no case, or
// a filter that removed them all, would otherwise pass an audit). A nil log
// or gate is an error, not a panic.
func TestNoProbesIsNotAPass(t *testing.T) {
	log := &audittest.Log{}
	g, err := dialgate.New(nil, dialgate.WithAuditLog(log), dialgate.WithClock(audittest.NewClock(t0)))
	if err != nil {
		t.Fatal(err)
	}
	sg, err := dialgate.New(nil, dialgate.WithAuditLog(&audittest.Log{}), dialgate.WithClock(audittest.NewClock(t0)), dialgate.WithShadowMode(true))
	if err != nil {
		t.Fatal(err)
	}
	if err := audittest.CheckGate(g, log, nil); !errors.Is(err, audittest.ErrNoProbes) {
		t.Errorf("CheckGate without probes: %v, want ErrNoProbes", err)
	}
	if err := audittest.CheckShadow(g, sg, []audittest.Probe{}); !errors.Is(err, audittest.ErrNoProbes) {
		t.Errorf("CheckShadow without probes: %v, want ErrNoProbes", err)
	}
	probes := []audittest.Probe{{Name: "one", Dial: dial("+8613800138000", "c-1")}}
	if err := audittest.CheckGate(g, nil, probes); err == nil {
		t.Error("CheckGate with a nil log: nil error")
	}
	if err := audittest.CheckGate(nil, log, probes); err == nil {
		t.Error("CheckGate with a nil gate: nil error")
	}
	if err := audittest.CheckShadow(nil, sg, probes); err == nil {
		t.Error("CheckShadow with a nil gate: nil error")
	}
}
