package auditlog

import (
	"bytes"
	"context"
	"os"
	"testing"
)

// A dial that says an agent is reserved for it is recorded with
// "agent_reserved":true, verifies and parses back; a dial that does not say
// so has no such key.
func TestAgentReservedRoundTrips(t *testing.T) {
	k := newTestKeys(t, "agent-reserved-test")
	dir := t.TempDir()
	l := openTest(t, dir, testOptions(k))
	reserved, plain := sampleDecision(0), sampleDecision(1)
	reserved.Dial.AgentReserved = true
	ctx := context.Background()
	if err := l.RecordDecision(ctx, reserved); err != nil {
		t.Fatal(err)
	}
	if err := l.RecordDecision(ctx, plain); err != nil {
		t.Fatal(err)
	}
	files, rep := sealVerified(t, l, dir, k)
	if rep.Decisions != 2 {
		t.Fatalf("decisions = %d, want 2", rep.Decisions)
	}
	got := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
			pl, err := ParseLine(line)
			if err != nil {
				t.Fatal(err)
			}
			if d := pl.Decision; d != nil {
				got[d.ID] = d.AgentReserved
				if has := bytes.Contains(line, []byte(`"agent_reserved":true`)); has != d.AgentReserved {
					t.Errorf("decision %s: line %s, parsed agent_reserved %v", d.ID, line, d.AgentReserved)
				}
			}
		}
	}
	if !got[reserved.ID] || got[plain.ID] || len(got) != 2 {
		t.Errorf("agent_reserved by decision %v, want %s only", got, reserved.ID)
	}
}
