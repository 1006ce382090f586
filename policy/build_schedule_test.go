package policy

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

func TestCNSchedule(t *testing.T) {
	p, err := Builtin("cn")
	if err != nil {
		t.Fatal(err)
	}
	if p.Schedule == nil {
		t.Fatal("cn has no schedule section")
	}
	var now time.Time
	q := p.Clone()
	q.DNC = nil // only the schedule section matters here
	g, err := Build(q, Deps{}, dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return now })))
	if err != nil {
		t.Fatal(err)
	}
	d := dialgate.Dial{To: dialgate.MustParseNumber("+8613800138000"), Purpose: dialgate.PurposeService, LeadID: "x"}
	for at, want := range map[string]bool{
		"2026-12-04T22:30:00+08:00": false,
		"2026-12-05T10:00:00+08:00": true,
		"2026-12-05T12:00:00+08:00": false,
		"2026-12-05T14:00:00+08:00": true,
	} {
		now, _ = time.Parse(time.RFC3339, at)
		dec, err := g.Check(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		if dec.Allowed != want || (!want && !dec.Has(dialgate.CodeOutsideWindow)) {
			t.Errorf("%s: allowed=%v %v, want %v", at, dec.Allowed, dec.Codes(), want)
		}
	}
	rules := explainSchedule(p.Schedule)
	if len(rules) < 4 {
		t.Errorf("explain gives %d rules", len(rules))
	}
}
