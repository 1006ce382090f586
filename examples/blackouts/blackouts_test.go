package blackouts

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/schedule"
)

// TestUSLA declares the example on us-la's window check: Louisiana callees
// are denied inside the period, others and later dials are not.
func TestUSLA(t *testing.T) {
	b, err := os.ReadFile("us-la.yaml")
	if err != nil {
		t.Fatal(err)
	}
	decl, err := schedule.ParseDeclarations("us-la.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Builtin("us-la")
	if err != nil {
		t.Fatal(err)
	}
	w, err := schedule.NewWindowCheck(*p.Schedule)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Declare(decl); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		to, at string
		denied bool
	}{
		{"+15045550120", "2026-08-25T19:59:59-05:00", false}, // the evening before
		{"+15045550120", "2026-08-27T12:00:00-05:00", true},
		{"+13375550121", "2026-09-10T12:00:00-05:00", true},
		{"+12125550122", "2026-09-10T12:00:00-04:00", false}, // New York: not covered
		{"+19855550123", "2026-09-25T08:00:00-05:00", false}, // after it
	} {
		at, err := time.Parse(time.RFC3339, tt.at)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := w.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber(tt.to), Purpose: dialgate.PurposeMarketing, At: at})
		if err != nil {
			t.Fatal(err)
		}
		denied := len(rs) > 0 && strings.Contains(rs[0].Message, "Hurricane Example")
		if denied != tt.denied {
			t.Errorf("%s at %s: reasons %+v, want denied by the declaration %v", tt.to, tt.at, rs, tt.denied)
		}
	}
}
