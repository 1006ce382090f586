package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
)

func lostRecord(id string, n dialgate.Number, granted time.Time) consent.Record {
	return consent.Record{
		ID: id, Number: n, Scope: "industry:finance", Method: consent.MethodWebForm,
		DisclosureSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		EvidenceURI:      "https://evidence.example/" + id, Channel: "website",
		GrantedAt: granted, ExpiresAt: granted.AddDate(1, 0, 0),
	}
}

// sqlConn returns a connection to url with schema sc on its search path.
func sqlConn(t *testing.T, url, sc string) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	if _, err := c.Exec(ctx, "SET search_path TO "+pgx.Identifier{sc}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	return c
}

// A sidecar (b) has cached a grant at revision 2. The database loses that
// last write (a failover to a standby that lagged: revision 1 again), and
// another sidecar (a) acknowledges a revocation of the cached number at
// revision 2 again. b's cache must see it.
func TestConsentLostWriteThenRevocationAtSameRevision(t *testing.T) {
	ctx := context.Background()
	url := pgURL(t)
	sc := newSchema(t, url)
	a, b := open(t, url, sc), open(t, url, sc)
	check, err := consent.NewCheck(consent.Config{Require: []consent.Requirement{{
		Purposes: []dialgate.Purpose{dialgate.PurposeMarketing},
		Cite:     dialgate.Citation{Source: dialgate.SourceLaw, Ref: "test"},
	}}}, b)
	if err != nil {
		t.Fatal(err)
	}
	n := dialgate.MustParseNumber("+8613900139000")
	granted := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	if err := a.AddConsent(ctx, lostRecord("c-1", n, granted)); err != nil {
		t.Fatal(err)
	}
	if err := a.AddConsent(ctx, lostRecord("c-2", dialgate.MustParseNumber("+8613900139002"), granted)); err != nil {
		t.Fatal(err)
	}
	d := dialgate.Dial{To: n, Purpose: dialgate.PurposeMarketing, Industry: "finance", At: granted.Add(time.Hour)}
	if rs, err := check.Check(ctx, d); err != nil || len(rs) != 0 {
		t.Fatalf("first dial: %+v %v, want allowed", rs, err)
	}
	c := sqlConn(t, url, sc)
	for _, q := range []string{
		`DELETE FROM consent_events WHERE seq = 2`,
		`DELETE FROM consents WHERE id = 'c-2'`,
		`UPDATE consent_revision SET rev = 1`,
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatal(q, err)
		}
	}
	if _, err := a.RevokeConsent(ctx, "c-1", granted.Add(30*time.Minute), "call"); err != nil {
		t.Fatal(err)
	}
	rs, err := check.Check(ctx, d)
	if err != nil || len(rs) != 1 || rs[0].Code != "consent.revoked" {
		t.Fatalf("after the lost write and a revocation at the same revision: %+v %v, want consent.revoked (the cache served a revoked consent)", rs, err)
	}
}

// An event written by a build before stamps loads, and its stored text
// stands in for the stamp.
func TestConsentRevisionWithoutStamp(t *testing.T) {
	ctx := context.Background()
	url := pgURL(t)
	sc := newSchema(t, url)
	s := open(t, url, sc)
	granted := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	if rev, stamp, err := s.ConsentRevisionStamp(ctx); err != nil || rev != 0 || stamp != "" {
		t.Fatalf("empty store: %d %q %v, want 0 \"\" nil", rev, stamp, err)
	}
	if err := s.AddConsent(ctx, lostRecord("c-1", dialgate.MustParseNumber("+8613900139000"), granted)); err != nil {
		t.Fatal(err)
	}
	_, stamped, err := s.ConsentRevisionStamp(ctx)
	if err != nil || stamped == "" {
		t.Fatalf("stamp = %q, %v", stamped, err)
	}
	c := sqlConn(t, url, sc)
	if _, err := c.Exec(ctx, `UPDATE consent_events SET event = event - 'stamp'`); err != nil {
		t.Fatal(err)
	}
	rev, stamp, err := s.ConsentRevisionStamp(ctx)
	if err != nil || rev != 1 || stamp == "" || stamp == stamped {
		t.Fatalf("without a stamp: %d %q %v, want 1 and the event's text", rev, stamp, err)
	}
	if evs, err := s.ConsentEventsSince(ctx, 0, 10); err != nil || len(evs) != 1 {
		t.Fatalf("events without a stamp: %+v %v", evs, err)
	}
}
