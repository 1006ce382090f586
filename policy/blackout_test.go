package policy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
)

// laEmergency is a profile file that extends us-la with one blackout.
const laEmergency = `schema: dialgate.profile.v1
name: acme-us-la
extends: us-la
schedule:
  blackouts:
    - from: 2026-08-26T06:00:00-05:00
      until: 2026-09-25T06:00:00-05:00
      prefixes: ["+1225", "+1504"]
      reason: Hurricane Test, Proclamation 1 JML 2026
      cite: {source: S, ref: La. R.S. 45:844.31}
`

func TestBlackoutsParse(t *testing.T) {
	p, err := Parse("acme.yaml", []byte(laEmergency))
	if err != nil {
		t.Fatal(err)
	}
	base := builtin(t, "us-la")
	// extends merges the schedule key by key: the windows and holidays of
	// us-la stay, the blackouts are added.
	if !reflect.DeepEqual(p.Schedule.Windows, base.Schedule.Windows) || !reflect.DeepEqual(p.Schedule.Holidays, base.Schedule.Holidays) {
		t.Errorf("windows or holidays changed: %+v %+v", p.Schedule.Windows, p.Schedule.Holidays)
	}
	want := []schedule.Blackout{{
		From:     time.Date(2026, 8, 26, 11, 0, 0, 0, time.UTC),
		Until:    time.Date(2026, 9, 25, 11, 0, 0, 0, time.UTC),
		Prefixes: []string{"+1225", "+1504"},
		Reason:   "Hurricane Test, Proclamation 1 JML 2026",
		Cite:     dialgate.Citation{Source: dialgate.SourceSecondary, Ref: "La. R.S. 45:844.31"},
	}}
	if len(p.Schedule.Blackouts) != 1 {
		t.Fatalf("blackouts %+v", p.Schedule.Blackouts)
	}
	got := p.Schedule.Blackouts[0]
	if !got.From.Equal(want[0].From) || !got.Until.Equal(want[0].Until) || !reflect.DeepEqual(got.Prefixes, want[0].Prefixes) ||
		got.Reason != want[0].Reason || got.Cite != want[0].Cite {
		t.Errorf("blackout %+v, want %+v", got, want[0])
	}
	if p.Version() == base.Version() {
		t.Error("a blackout does not change the policy version")
	}
	// The citation is found and explained like every rule's.
	var cited bool
	for _, c := range Citations(p) {
		cited = cited || c.Path == "schedule.blackouts[0].cite"
	}
	if !cited {
		t.Error("Citations misses schedule.blackouts[0].cite")
	}
	var rule *Rule
	for _, r := range Explain(p) {
		if r.Path == "schedule.blackouts[0]" {
			rule = &r
		}
	}
	if rule == nil || !strings.Contains(rule.Text, "+1225, +1504") || !strings.Contains(rule.Text, "2026-09-25T06:00:00-05:00") ||
		!strings.Contains(rule.Text, "Hurricane Test") || !strings.Contains(rule.Text, "instant callbacks included") {
		t.Errorf("explain: %+v", rule)
	}
	// The canonical form parses back to the same version (a base profile
	// of the same content).
	j, err := p.JSON()
	if err != nil {
		t.Fatal(err)
	}
	q, err := Parse("canonical.json", j)
	if err != nil {
		t.Fatal(err)
	}
	if q.Version() != p.Version() {
		t.Error("the canonical form changes the version")
	}
}

// TestBlackoutsDeny builds a gate from the overlay: a Louisiana callee is
// denied inside the blackout, for any purpose, and the next allowed instant
// is after it; a New York callee is not affected.
func TestBlackoutsDeny(t *testing.T) {
	p, err := Parse("acme.yaml", []byte(laEmergency))
	if err != nil {
		t.Fatal(err)
	}
	q := p.Clone()
	q.DNC, q.Consent, q.Abandonment = nil, nil, nil // only the schedule matters here
	var now time.Time
	g, err := Build(q, Deps{}, dialgate.WithoutAuditLog(), dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return now })))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		to, at  string
		purpose dialgate.Purpose
		allowed bool
		next    string
	}{
		{"+15045550140", "2026-08-25T12:00:00-05:00", dialgate.PurposeMarketing, true, ""},
		{"+15045550140", "2026-09-01T12:00:00-05:00", dialgate.PurposeMarketing, false, "2026-09-25T08:00:00-05:00"},
		{"+12255550141", "2026-09-01T12:00:00-05:00", dialgate.PurposeService, false, "2026-09-25T08:00:00-05:00"},
		{"+12125550142", "2026-09-01T12:00:00-04:00", dialgate.PurposeMarketing, true, ""},
		{"+15045550140", "2026-09-25T08:00:00-05:00", dialgate.PurposeMarketing, true, ""},
	} {
		now, _ = time.Parse(time.RFC3339, tt.at)
		dec, err := g.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber(tt.to), From: dialgate.MustParseNumber("+12025550123"), Purpose: tt.purpose, LeadID: "crm-1"})
		if err != nil {
			t.Fatal(err)
		}
		if dec.Allowed != tt.allowed {
			t.Errorf("%s at %s: allowed=%v %v, want %v", tt.to, tt.at, dec.Allowed, dec.Codes(), tt.allowed)
			continue
		}
		if !tt.allowed {
			next, ok := dec.NextAllowedAt()
			want, _ := time.Parse(time.RFC3339, tt.next)
			if !dec.Has(dialgate.CodeOutsideWindow) || !ok || !next.Equal(want) {
				t.Errorf("%s at %s: %v next %v, want schedule.outside_window next %s", tt.to, tt.at, dec.Codes(), next, tt.next)
			}
		}
	}
}

func TestBlackoutsValidationNamesTheField(t *testing.T) {
	head := "schema: dialgate.profile.v1\nname: mine\nextends: us-la\nschedule:\n  blackouts:\n"
	entry := func(fields string) string {
		return head + "    - " + strings.ReplaceAll(strings.TrimSpace(fields), "\n", "\n      ") + "\n"
	}
	ok := "from: 2026-08-26T06:00:00-05:00\nuntil: 2026-09-25T06:00:00-05:00\nreason: r\ncite: {source: S, ref: x}"
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"no until", entry("from: 2026-08-26T06:00:00-05:00\nreason: r\ncite: {source: S, ref: x}"),
			"mine.yaml:6: schedule.blackouts[0].until: missing (an RFC 3339 instant with its offset, e.g. 2026-08-26T06:00:00-05:00; a blackout must end"},
		{"no from", entry("until: 2026-09-25T06:00:00-05:00\nreason: r\ncite: {source: S, ref: x}"),
			"mine.yaml:6: schedule.blackouts[0].from: missing"},
		{"until before from", entry("from: 2026-09-25T06:00:00-05:00\nuntil: 2026-08-26T06:00:00-05:00\nreason: r\ncite: {source: S, ref: x}"),
			"schedule.blackouts[0].until: 2026-08-26T06:00:00-05:00 is not after from (2026-09-25T06:00:00-05:00)"},
		{"no reason", entry("from: 2026-08-26T06:00:00-05:00\nuntil: 2026-09-25T06:00:00-05:00\ncite: {source: S, ref: x}"),
			"schedule.blackouts[0].reason: missing"},
		{"no cite", entry("from: 2026-08-26T06:00:00-05:00\nuntil: 2026-09-25T06:00:00-05:00\nreason: r"),
			"schedule.blackouts[0].cite.source: missing"},
		{"bad prefix", entry(ok + "\nprefixes: [\"+1225\", \"1504\"]"),
			`schedule.blackouts[0].prefixes[1]: "1504" is not an E.164 prefix`},
		{"date only", entry("from: 2026-08-26\nuntil: 2026-09-25T06:00:00-05:00\nreason: r\ncite: {source: S, ref: x}"),
			"mine.yaml:6: schedule.blackouts[0].from: parsing time"},
		{"no offset", entry("from: 2026-08-26T06:00:00\nuntil: 2026-09-25T06:00:00-05:00\nreason: r\ncite: {source: S, ref: x}"),
			"schedule.blackouts[0].from: parsing time"},
		{"unknown key", entry(ok + "\nto: 2026-09-25T06:00:00-05:00"), `"to"`},
		{"second entry", entry(ok) + "    - {from: 2026-08-26T06:00:00-05:00, reason: r, cite: {source: S, ref: x}}\n",
			"mine.yaml:10: schedule.blackouts[1].until: missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("mine.yaml", []byte(tt.src))
			if err == nil {
				t.Fatalf("no error for\n%s", tt.src)
			}
			if !errors.Is(err, ErrInvalidProfile) {
				t.Errorf("error does not wrap ErrInvalidProfile: %v", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// TestBlackoutsOverlayMerge documents how extends merges blackouts (RFC 7386):
// an overlay that sets other schedule keys keeps its base's blackouts, and an
// overlay that sets blackouts replaces its base's list whole.
func TestBlackoutsOverlayMerge(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	write("acme.yaml", laEmergency)
	narrower := write("narrower.yaml", `schema: dialgate.profile.v1
name: acme-narrower
extends: acme.yaml
schedule:
  windows:
    - {days: [mon-fri], ranges: ["09:00-17:00"], cite: {source: U, ref: acme's hours}}
`)
	second := write("second.yaml", `schema: dialgate.profile.v1
name: acme-second
extends: acme.yaml
schedule:
  blackouts:
    - {from: 2026-10-01T00:00:00-05:00, until: 2026-10-05T00:00:00-05:00, reason: Second emergency, cite: {source: S, ref: La. R.S. 45:844.31}}
`)
	p, err := LoadFile(narrower)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Schedule.Blackouts) != 1 || p.Schedule.Blackouts[0].Reason != "Hurricane Test, Proclamation 1 JML 2026" {
		t.Errorf("an overlay of the windows lost the base's blackouts: %+v", p.Schedule.Blackouts)
	}
	if p.Schedule.Holidays == nil || !p.Schedule.Holidays.Forbid {
		t.Error("an overlay of the windows lost us-la's holidays")
	}
	p, err = LoadFile(second)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Schedule.Blackouts) != 1 || p.Schedule.Blackouts[0].Reason != "Second emergency" {
		t.Errorf("blackouts %+v: want the second overlay's list only (RFC 7386 replaces a list)", p.Schedule.Blackouts)
	}
	if !reflect.DeepEqual(p.Schedule.Windows, builtin(t, "us-la").Schedule.Windows) {
		t.Error("an overlay of the blackouts lost us-la's windows")
	}
	// A scenario's policy: override (Merge) merges the same way.
	m, err := Merge(builtin(t, "us-la"), []byte("schedule: {blackouts: [{from: 2026-08-26T06:00:00-05:00, until: 2026-09-25T06:00:00-05:00, reason: r, cite: {source: S, ref: x}}]}"))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Schedule.Blackouts) != 1 || len(m.Schedule.Windows) != 1 || m.Schedule.Holidays == nil {
		t.Errorf("Merge: %+v", m.Schedule)
	}
}
