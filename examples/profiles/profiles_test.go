package profiles

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/schedule"
)

// TestProfilesLoad loads every example profile: each must parse, resolve its
// extends and validate.
func TestProfilesLoad(t *testing.T) {
	files, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no example profiles")
	}
	for _, f := range files {
		if _, err := policy.LoadFile(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestUSLAEmergency checks the Louisiana emergency overlay: it keeps us-la's
// windows and holidays, adds its blackout, and the schedule check denies
// Louisiana callees inside it only.
func TestUSLAEmergency(t *testing.T) {
	p, err := policy.LoadFile("us-la-emergency.yaml")
	if err != nil {
		t.Fatal(err)
	}
	base, err := policy.Builtin("us-la")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.Schedule.Windows, base.Schedule.Windows) || !reflect.DeepEqual(p.Schedule.Holidays, base.Schedule.Holidays) {
		t.Errorf("the overlay changed us-la's windows or holidays: %+v %+v", p.Schedule.Windows, p.Schedule.Holidays)
	}
	if !reflect.DeepEqual(p.DNC, base.DNC) || !reflect.DeepEqual(p.Consent, base.Consent) {
		t.Error("the overlay changed another section of us-la")
	}
	if len(p.Schedule.Blackouts) != 1 {
		t.Fatalf("blackouts %+v", p.Schedule.Blackouts)
	}
	if ws := policy.Lint(p, time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)); len(ws) != 0 {
		t.Errorf("lint warnings: %v", ws)
	}
	var explained bool
	for _, r := range policy.Explain(p) {
		if r.Path == "schedule.blackouts[0]" && strings.Contains(r.Text, "+1504") && strings.Contains(r.Text, "Proclamation No. 000 JML 2026") {
			explained = true
		}
	}
	if !explained {
		t.Error("policy explain does not describe the blackout")
	}

	w, err := schedule.NewWindowCheck(*p.Schedule)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		to, at string
		denied bool
		next   string
	}{
		{"+15045550120", "2026-08-25T19:59:59-05:00", false, ""},                         // the evening before
		{"+15045550120", "2026-08-26T08:00:00-05:00", true, "2026-09-25T08:00:00-05:00"}, // the until (06:00) is before the window opens
		{"+13375550121", "2026-09-10T12:00:00-05:00", true, "2026-09-25T08:00:00-05:00"},
		{"+12125550122", "2026-09-10T12:00:00-04:00", false, ""}, // New York: not covered
		{"+19855550123", "2026-09-25T08:00:00-05:00", false, ""}, // after it
	} {
		d := dialgate.Dial{To: dialgate.MustParseNumber(tt.to), Purpose: dialgate.PurposeMarketing, At: mustTime(t, tt.at)}
		rs, err := w.Check(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		if (len(rs) > 0) != tt.denied {
			t.Errorf("%s at %s: reasons %v, want denied=%v", tt.to, tt.at, rs, tt.denied)
			continue
		}
		if tt.denied && (rs[0].Code != dialgate.CodeOutsideWindow || !rs[0].NextAllowedAt.Equal(mustTime(t, tt.next))) {
			t.Errorf("%s at %s: %s next %v, want schedule.outside_window next %s", tt.to, tt.at, rs[0].Code, rs[0].NextAllowedAt, tt.next)
		}
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
