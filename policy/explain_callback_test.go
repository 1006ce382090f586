package policy

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
)

// TestExplainCallbackExemptFromHolidays: the window check exempts an instant
// callback from no-call holidays as well as from the windows
// (schedule.Callback); explain said "exempt from the windows" only, so a
// reader of a cn overlay with holidays forbidden took holidays to stop
// callbacks.
func TestExplainCallbackExemptFromHolidays(t *testing.T) {
	p, err := Parse("x.yaml", []byte("schema: dialgate.profile.v1\nname: x\nextends: cn\nschedule: {holidays: {forbid: true}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := schedule.NewWindowCheck(*p.Schedule)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 10, 1, 10, 0, 0, 0, time.FixedZone("CST", 8*3600)) // 国庆节
	rs, err := c.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber("+8613800138000"),
		Purpose: dialgate.PurposeCallback, At: at, TriggerAt: at.Add(-time.Minute)})
	if err != nil || len(rs) != 0 {
		t.Fatalf("callback on a no-call holiday: %v, %v; want exempt", rs, err)
	}
	for _, r := range Explain(p) {
		if r.Path == "schedule.callback" && !strings.Contains(r.Text, "holidays") {
			t.Errorf("explain: %q; the check exempts callbacks from the no-call holidays too", r.Text)
		}
	}
}
