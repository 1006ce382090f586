package sidecar

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
)

// twoBlackoutsYAML declares two blackouts in force now: one over +1 callees,
// then one over +86 callees.
func twoBlackoutsYAML() string {
	now := time.Now().UTC().Truncate(time.Second)
	entry := func(prefix, name string) string {
		return fmt.Sprintf("  - from: %s\n    until: %s\n    prefixes: [%q]\n    reason: %s\n    cite: {source: U, ref: test}\n",
			now.Add(-time.Hour).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339), prefix, name)
	}
	return "schema: dialgate.blackouts.v1\nblackouts:\n" + entry("+1", "Storm Test") + entry("+86", "Typhoon Test")
}

// A copy that fails to parse is read once more, in case a swap of several
// files was caught half done; that second read must settle like the first.
// Here the operator fixes a mistyped file by writing it in place: the
// second read catches it cut after its first entry — a valid file without
// the +86 blackout — and the writer finishes during the wait. The cut copy
// must never be put in force (it would allow the dials the emergency bars).
func TestBlackoutsReloadSettlesTheSecondRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "blackouts.yaml")
	full := twoBlackoutsYAML()
	cut := full[:strings.Index(full, "  - from:")+strings.Index(full[strings.Index(full, "  - from:")+1:], "  - from:")+1]
	if d, err := schedule.ParseDeclarations(path, []byte(cut)); err != nil || len(d.Blackouts) != 1 {
		t.Fatalf("the cut file should parse with one blackout (that is the hazard): %v", err)
	}
	writeFileAtomic(t, path, full)
	w, err := schedule.NewWindowCheck(schedule.Config{
		Windows: []schedule.Window{{Days: []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, Ranges: []string{"00:00-24:00"},
			Cite: dialgate.Citation{Source: dialgate.SourceConvention, Ref: "test"}}},
		DefaultZone: &schedule.Zone{Name: "UTC", Cite: dialgate.Citation{Source: dialgate.SourceConvention, Ref: "test"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	db, err := newDeclaredBlackouts(path, "test", []dialgate.Checker{w}, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	verdict := func() string {
		rs, _, err := w.Attest(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber("+8613800138000"),
			Purpose: dialgate.PurposeMarketing, At: time.Now()})
		switch {
		case err != nil:
			return "unavailable"
		case len(rs) > 0 && strings.Contains(rs[0].Message, "Typhoon Test"):
			return "blackout"
		}
		return fmt.Sprintf("allowed (%+v)", rs)
	}
	if v := verdict(); v != "blackout" {
		t.Fatalf("at start: %s", v)
	}
	// A mistyped copy: denied, unavailable.
	writeFileAtomic(t, path, strings.Replace(full, "blackouts:", "blackout:", 1))
	db.r.sleep = func(time.Duration) {}
	if err := db.Reload(false); err == nil {
		t.Fatal("a bad copy was accepted")
	}
	if v := verdict(); v != "unavailable" {
		t.Fatalf("bad copy: %s", v)
	}
	// The fix, written in place: the read after the failed parse catches it
	// cut; the writer finishes while the reloader waits.
	parse, parses := db.r.parse, 0
	db.r.parse = func(b [][]byte, reload bool) (*schedule.Declarations, error) {
		v, err := parse(b, reload)
		if parses++; parses == 1 {
			writeFileAtomic(t, path, cut)
		}
		return v, err
	}
	db.r.sleep = func(time.Duration) {
		if parses > 0 {
			writeFileAtomic(t, path, full) // the writer finishes
		}
	}
	_ = db.Reload(false)
	if parses == 0 {
		t.Fatal("the mistyped copy was not parsed")
	}
	if v := verdict(); v != "blackout" && v != "unavailable" {
		t.Fatalf("after a reload that caught the fix half written: %s; the cut copy was put in force", v)
	}
	// The next look puts the finished copy in force.
	db.r.sleep = func(time.Duration) {}
	if err := db.Reload(false); err != nil {
		t.Fatal(err)
	}
	if v := verdict(); v != "blackout" {
		t.Fatalf("finished copy: %s", v)
	}
}
