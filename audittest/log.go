package audittest

import (
	"context"
	"slices"
	"sync"

	"github.com/dialgate/dialgate"
)

// Log is an in-memory dialgate.AuditLog that keeps every decision and
// outcome it is given, for tests to inspect: the httptest.ResponseRecorder
// of the audit log. It keeps decisions as the Gate passed them, raw callee
// included (use package auditlog for a redacted, durable log).
//
// The zero Log is an empty log ready to use. A Log is safe for concurrent
// use; do not copy it after first use.
type Log struct {
	mu        sync.Mutex
	decisions []dialgate.Decision
	outcomes  []dialgate.Outcome
	byID      map[string][]int // decision id → indexes in decisions
}

var _ dialgate.AuditLog = (*Log)(nil)

// RecordDecision keeps a deep copy of d. It never fails.
func (l *Log) RecordDecision(ctx context.Context, d dialgate.Decision) error {
	d = copyDecision(d)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byID == nil {
		l.byID = make(map[string][]int)
	}
	l.byID[d.ID] = append(l.byID[d.ID], len(l.decisions))
	l.decisions = append(l.decisions, d)
	return nil
}

// RecordOutcome keeps o. It never fails.
func (l *Log) RecordOutcome(ctx context.Context, o dialgate.Outcome) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.outcomes = append(l.outcomes, o)
	return nil
}

// Decisions returns copies of the decisions recorded so far, in order.
func (l *Log) Decisions() []dialgate.Decision {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]dialgate.Decision, len(l.decisions))
	for i, d := range l.decisions {
		out[i] = copyDecision(d)
	}
	return out
}

// Outcomes returns the outcomes recorded so far, in order.
func (l *Log) Outcomes() []dialgate.Outcome {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.outcomes)
}

// Decision returns the (first) decision recorded with id.
func (l *Log) Decision(id string) (dialgate.Decision, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	idx := l.byID[id]
	if len(idx) == 0 {
		return dialgate.Decision{}, false
	}
	return copyDecision(l.decisions[idx[0]]), true
}

// Count returns how many decisions were recorded with id (1 for a healthy
// Gate).
func (l *Log) Count(id string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.byID[id])
}

// OutcomesFor returns the outcomes recorded for decision id, in order.
func (l *Log) OutcomesFor(id string) []dialgate.Outcome {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []dialgate.Outcome
	for _, o := range l.outcomes {
		if o.DecisionID == id {
			out = append(out, o)
		}
	}
	return out
}

// Len returns the number of decisions recorded.
func (l *Log) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.decisions)
}

// Reset forgets everything recorded.
func (l *Log) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.decisions, l.outcomes, l.byID = nil, nil, nil
}

func copyDecision(d dialgate.Decision) dialgate.Decision {
	d.Evidence = slices.Clone(d.Evidence)
	d.Reasons = slices.Clone(d.Reasons)
	for i := range d.Reasons {
		d.Reasons[i].Evidence = slices.Clone(d.Reasons[i].Evidence)
	}
	return d
}
