package auditlog

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestRecordChangeReplacedEntries: a ledger.import replacing two entries,
// one of them unreadable, names both (caller ID and the entry as stored,
// instants in UTC, nothing redacted though the change names no number), the
// log verifies, and the records read back as written; an import replacing
// nothing carries no list.
func TestRecordChangeReplacedEntries(t *testing.T) {
	ctx := context.Background()
	l, dir, k, _ := logWithDecision(t, "change-replaced-entries")
	at := t0.Add(time.Hour)
	sum := strings.Repeat("0f", 32)
	c := Change{Op: OpLedgerImport, Result: ResultRequested, ChangeID: "chg-9", Actor: "ops", Tenant: "acme",
		Source: "import:ledger.csv", Count: 3, SHA256: sum, Replace: true, At: at,
		ReplacedEntries: []LedgerReplacement{
			{CallerID: "+861058001234", Replaced: testReplaced()},
			{CallerID: "+861058001235", ReplacedUnreadable: true},
		}}
	if err := l.RecordChange(ctx, c); err != nil {
		t.Fatal(err)
	}
	none := Change{Op: OpLedgerImport, Result: ResultApplied, ChangeID: "chg-10", Actor: "ops", Tenant: "acme",
		Source: "import:other.csv", Count: 1, SHA256: sum, Replace: true, At: at}
	if err := l.RecordChange(ctx, none); err != nil {
		t.Fatal(err)
	}
	files, rep := sealVerified(t, l, dir, k)
	if rep.Changes != 2 {
		t.Fatalf("%d change records, want 2", rep.Changes)
	}
	got := changeLines(t, files)
	want := *testReplaced()
	want.ValidFrom = want.ValidFrom.UTC()
	g := got[0]
	if len(g.ReplacedEntries) != 2 || len(g.Redacted) != 0 || g.Replaced != nil || g.CallerID != "" || !g.Replace {
		t.Fatalf("record: %+v", g)
	}
	if e := g.ReplacedEntries[0]; e.CallerID != "+861058001234" || e.ReplacedUnreadable || e.Replaced == nil || !reflect.DeepEqual(*e.Replaced, want) {
		t.Fatalf("first replaced: %+v (%+v), want %+v", e, e.Replaced, want)
	}
	if e := g.ReplacedEntries[1]; e.CallerID != "+861058001235" || !e.ReplacedUnreadable || e.Replaced != nil {
		t.Fatalf("second replaced: %+v", e)
	}
	if g := got[1]; g.ReplacedEntries != nil {
		t.Fatalf("an import replacing nothing carries %+v", g.ReplacedEntries)
	}
}

// TestRecordChangeRejectsReplacedEntries: a list of replaced entries that
// does not fit (without replace, an item without its caller ID, with both
// or neither of replaced and replaced_unreadable, a caller ID twice,
// replaced facts missing or out of range) is refused (ErrInvalidRecord)
// and nothing is written.
func TestRecordChangeRejectsReplacedEntries(t *testing.T) {
	base := func() Change {
		return Change{Op: OpLedgerImport, Result: ResultRequested, Actor: "ops", Tenant: "acme", Count: 2, Replace: true, At: t0,
			ReplacedEntries: []LedgerReplacement{{CallerID: "+861058001234", Replaced: testReplaced()}}}
	}
	refusesChanges(t, "change-rejects-replaced-entries", base, map[string]func(*Change){
		"no replace":   func(c *Change) { c.Replace = false },
		"no caller id": func(c *Change) { c.ReplacedEntries[0].CallerID = "" },
		"both":         func(c *Change) { c.ReplacedEntries[0].ReplacedUnreadable = true },
		"neither":      func(c *Change) { c.ReplacedEntries[0].Replaced = nil },
		"no holder":    func(c *Change) { c.ReplacedEntries[0].Replaced.Holder = "" },
		"no purposes":  func(c *Change) { c.ReplacedEntries[0].Replaced.Purposes = nil },
		"caller id twice": func(c *Change) {
			c.ReplacedEntries = append(c.ReplacedEntries, LedgerReplacement{CallerID: "+861058001234", ReplacedUnreadable: true})
		},
		"until 10000": func(c *Change) {
			c.ReplacedEntries[0].Replaced.ValidUntil = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
		},
	})
}

// TestParseLineReplacedEntries: the verifier reads a ledger.import with
// replaced_entries and refuses an item without its caller ID, or with both
// or neither of replaced and replaced_unreadable.
func TestParseLineReplacedEntries(t *testing.T) {
	const head = `{"schema":"dialgate.audit.v1","seq":0,"kind":"change","change":{"op":"ledger.import","at":"2026-12-05T01:00:00Z","result":"applied","actor":"ops","tenant":"acme","replace":true,"replaced_entries":`
	const entry = `{"type":"fixed","holder":"Example Ltd","purposes":["service"]}`
	ok := head + `[{"caller_id":"+861058001234","replaced":` + entry + `},{"caller_id":"+861058001235","replaced_unreadable":true}],"count":2}}`
	if _, err := ParseLine([]byte(ok)); err != nil {
		t.Errorf("%s: %v", ok, err)
	}
	for _, bad := range []struct{ line, want string }{
		{head + `[{"replaced":` + entry + `}]}}`, "change.replaced_entries[0].caller_id"},
		{head + `[{"caller_id":"+861058001234"}]}}`, "change.replaced_entries[0]"},
		{head + `[{"caller_id":"+861058001234","replaced":` + entry + `,"replaced_unreadable":true}]}}`, "change.replaced_entries[0].replaced_unreadable"},
		{head + `[{"caller_id":"+861058001234","number":"+861058001234","replaced_unreadable":true}]}}`, "unknown field"},
	} {
		_, err := ParseLine([]byte(bad.line))
		if err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: err %v, want one naming %q", bad.line, err, bad.want)
		}
	}
}
