package pgstore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage/pgstore"
	"github.com/dialgate/dialgate/storage/storetest"
)

// Another tool revokes a consent in the shared database and appends the
// event without its number. The consent check's cache, which drops the
// records of the number each new event names, would have kept the callee's
// records as it cached them, unrevoked, and allowed; the damaged event now
// fails the cache's sync and the dial is denied consent.unavailable.
func TestConsentCacheRefusesDamagedEvent(t *testing.T) {
	url := pgURL(t)
	s := open(t, url, newSchema(t, url))
	ctx := context.Background()
	to := dialgate.MustParseNumber("+8613900139077")
	granted := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	r := consent.Record{ID: "c-1", Number: to, Scope: "industry:finance", Method: consent.MethodWritten,
		EvidenceURI: "https://evidence.example/c-1", GrantedAt: granted}
	if err := s.AddConsent(ctx, r); err != nil {
		t.Fatal(err)
	}
	c, err := consent.NewCheck(consent.Config{Require: []consent.Requirement{{Purposes: []dialgate.Purpose{dialgate.PurposeMarketing},
		Cite: dialgate.Citation{Source: "U", Ref: "test"}}}}, s)
	if err != nil {
		t.Fatal(err)
	}
	at := granted.AddDate(0, 1, 0)
	g, err := dialgate.New([]dialgate.Checker{c}, dialgate.WithoutAuditLog(), dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return at })))
	if err != nil {
		t.Fatal(err)
	}
	d := dialgate.Dial{To: to, From: dialgate.MustParseNumber("+861058001234"), Purpose: dialgate.PurposeMarketing, Industry: "finance", Tenant: "acme", ConsentID: "c-1"}
	if dec, err := g.Check(ctx, d); err != nil || !dec.Allowed {
		t.Fatalf("before: %+v %v; want allowed (and the records cached)", dec.Reasons, err)
	}

	revoked := r
	revoked.RevokedAt, revoked.RevocationChannel = at.Add(-time.Hour), "sms"
	js := fmt.Sprintf(`{"id":"c-1","number":%q,"scope":"industry:finance","method":"written","evidence_uri":"https://evidence.example/c-1","granted_at":%q,"revoked_at":%q,"revocation_channel":"sms"}`,
		to, granted.Format(time.RFC3339), revoked.RevokedAt.Format(time.RFC3339))
	if err := pgstore.Exec(ctx, s, `UPDATE consents SET record = $1 WHERE id = 'c-1'`, js); err != nil {
		t.Fatal(err)
	}
	if err := pgstore.Plant(ctx, s, storetest.RawRecord{Kind: "consent event", Seq: 2, Number: to,
		JSON: []byte(fmt.Sprintf(`{"seq":2,"type":"revoked","consent_id":"c-1","at":%q,"channel":"sms"}`, revoked.RevokedAt.Format(time.RFC3339)))}); err != nil {
		t.Fatal(err)
	}
	if err := pgstore.Exec(ctx, s, `UPDATE consent_revision SET rev = 2`); err != nil {
		t.Fatal(err)
	}
	dec, err := g.Check(ctx, d)
	if err != nil || dec.Allowed || len(dec.Reasons) != 1 || dec.Reasons[0].Code != "consent.unavailable" ||
		!strings.Contains(dec.Reasons[0].Message, "consent event 2 as stored: consent: number: missing") {
		t.Fatalf("after: allowed %v, %+v, %v; want consent.unavailable naming the event and its number", dec.Allowed, dec.Reasons, err)
	}
}

// An opt-out added over a damaged entry replaces it and keeps the damaged
// JSON, as evidence, under "replaced" in the new row; a later re-add that
// extends the hold or dates the entry again rewrites only hold_until and
// added_at, so the evidence stays.
func TestAddDNCKeepsTheDamagedEntryItReplaces(t *testing.T) {
	url := pgURL(t)
	s := open(t, url, newSchema(t, url))
	ctx := context.Background()
	n := dialgate.MustParseNumber("+8613900139055")
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	damaged := fmt.Sprintf(`{"number":%q,"scope":"global","list":"opt_out","added_at":"0001-01-01T00:00:00Z","evidence":"decision:dg-0"}`, n)
	if err := pgstore.Plant(ctx, s, storetest.RawRecord{Kind: "dnc entry", Number: n, Scope: "global", JSON: []byte(damaged)}); err != nil {
		t.Fatal(err)
	}
	e := dnc.Entry{Number: n, Scope: dnc.GlobalScope, List: "opt_out", Source: "call", AddedAt: at}
	if err := s.AddDNC(ctx, e); err != nil {
		t.Fatalf("AddDNC over a damaged entry: %v", err)
	}
	e.HoldUntil = at.AddDate(1, 0, 0)
	if err := s.AddDNC(ctx, e); err != nil {
		t.Fatal(err)
	}
	es, err := s.DNCEntries(ctx, n)
	if err != nil || len(es) != 1 || !es[0].HoldUntil.Equal(e.HoldUntil) || !es[0].AddedAt.Equal(at) {
		t.Fatalf("DNCEntries: %+v, %v; want the entry added, held a year", es, err)
	}
	// A new refusal, later and without a hold, dates the entry again
	// (added_at rewritten, the hold kept): the evidence stays too.
	later := e
	later.AddedAt, later.HoldUntil = at.AddDate(0, 1, 0), time.Time{}
	if err := s.AddDNC(ctx, later); err != nil {
		t.Fatal(err)
	}
	es, err = s.DNCEntries(ctx, n)
	if err != nil || len(es) != 1 || !es[0].HoldUntil.Equal(e.HoldUntil) || !es[0].AddedAt.Equal(later.AddedAt) {
		t.Fatalf("DNCEntries after a later refusal: %+v, %v; want added %s, held a year from %s", es, err, later.AddedAt, at)
	}
	kept, err := pgstore.QueryBool(ctx, s, `SELECT entry->'replaced' = $1::jsonb FROM dnc_entries WHERE number = $2`, damaged, int64(n.Uint64()))
	if err != nil || !kept {
		t.Fatalf("the damaged entry kept under \"replaced\": %v, %v", kept, err)
	}
}
