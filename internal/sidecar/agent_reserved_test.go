package sidecar

import (
	"testing"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
)

// Dial.agent_reserved reaches the Gate's Dial.AgentReserved; unset, it is
// false (a predictive dial, which may be abandoned).
func TestWireAgentReserved(t *testing.T) {
	for _, want := range []bool{true, false} {
		p := okDial("+8613900139002")
		p.AgentReserved = want
		d, err := dialFromProto("dial", p)
		if err != nil {
			t.Fatal(err)
		}
		if d.AgentReserved != want {
			t.Errorf("agent_reserved %v: Dial.AgentReserved = %v", want, d.AgentReserved)
		}
	}
	// And with an outcome's dial.
	p := okDial("+8613900139002")
	p.AgentReserved = true
	o, err := outcomeFromProto(&pb.ReportOutcomeRequest{DecisionId: "d-1", Answered: true, Dial: p})
	if err != nil {
		t.Fatal(err)
	}
	if !o.Dial.AgentReserved {
		t.Error("outcome's dial lost agent_reserved")
	}
}
