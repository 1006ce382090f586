package pgstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/internal/sharedgate"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/pgstore"
)

var identityT0 = time.Date(2026, 12, 5, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// identityGate is the Gate one sidecar process builds on a shared store (sharedgate.New).
func identityGate(t *testing.T, s sharedgate.Store) (*dialgate.Gate, *dnc.Lists) {
	t.Helper()
	return sharedgate.New(t, s, identityT0)
}

func identityDial(to string) dialgate.Dial { return sharedgate.Dial(to) }

// execURL runs q on a connection of its own to url (a DBA's session).
func execURL(t *testing.T, url, q string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, q); err != nil {
		t.Fatal(err)
	}
}

// The fleet's schema is dropped while a sidecar runs (a failover to an
// empty server, a DBA's mistake), then re-created by another sidecar that
// starts: the opt-outs and the cap counts are gone. The running sidecar must
// deny with <check>.unavailable, never decide from the empty schema, neither
// at once nor once its change feed has had time to resynchronise.
func TestRecreatedSchemaDenies(t *testing.T) {
	url := pgURL(t)
	sc := newSchema(t, url)
	s := open(t, url, sc)
	g, lists := identityGate(t, s)
	ctx := context.Background()

	capped, listed := "+8613900139101", "+8613900139102"
	if d, err := g.Check(ctx, identityDial(capped)); !d.Allowed || err != nil {
		t.Fatalf("first dial: %v, %v", d.Codes(), err)
	}
	if err := lists.Add(ctx, dnc.Entry{Number: dialgate.MustParseNumber(listed), Scope: dnc.MustParseScope("global"),
		List: "opt_out", Source: "call", AddedAt: identityT0}); err != nil {
		t.Fatal(err)
	}
	if d, _ := g.Check(ctx, identityDial(listed)); !d.Has(dialgate.CodeDNCListed) {
		t.Fatalf("listed before the drop: %v", d.Codes())
	}
	deny := func(when string) {
		t.Helper()
		if d, _ := g.Check(ctx, identityDial(capped)); d.Allowed || !d.Has(dialgate.UnavailableCode("frequency")) {
			t.Errorf("capped callee %s: allowed %v, codes %v; want a deny with frequency.unavailable", when, d.Allowed, d.Codes())
		}
		if d, _ := g.Check(ctx, identityDial(listed)); d.Allowed {
			t.Errorf("opted-out callee %s: allowed, codes %v", when, d.Codes())
		}
	}

	execURL(t, url, "DROP SCHEMA "+pgx.Identifier{sc}.Sanitize()+" CASCADE")
	deny("with the schema dropped")

	// Another sidecar starts: it creates the schema anew, and serves.
	gb, _ := identityGate(t, open(t, url, sc))
	if d, err := gb.Check(ctx, identityDial("+8613900139105")); !d.Allowed || err != nil {
		t.Fatalf("the new sidecar's first dial: %v, %v", d.Codes(), err)
	}
	deny("right after the schema was re-created")
	if _, err := s.DNCEntries(ctx, dialgate.MustParseNumber(listed)); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("DNCEntries on the re-created schema: %v; want storage.ErrUnavailable", err)
	}
	if err := s.Ping(ctx); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Ping on the re-created schema: %v; want storage.ErrUnavailable (health must go red)", err)
	}
	// The running sidecar's change feed is lost (a network blip) and
	// reconnects: its Bloom filter and cache would be rebuilt from the
	// schema it finds.
	pgstore.DeafenFeed(s)
	time.Sleep(2 * time.Second)
	deny("a second after the schema was re-created")
	if d, _ := g.Check(ctx, identityDial(listed)); !d.Has(dialgate.UnavailableCode("dnc")) {
		t.Fatalf("opted-out callee after the re-creation: codes %v; want dnc.unavailable", d.Codes())
	}
	// A callee the Bloom filter never held: it may be answered from memory
	// or deny, never from the new schema's empty state; its cap still must
	// deny (the counters are gone).
	if d, _ := g.Check(ctx, identityDial("+8613900139103")); d.Allowed {
		t.Fatalf("new callee on the re-created schema: allowed, codes %v", d.Codes())
	}
}

// The reads a decision or a resynchronisation makes outside a transaction
// check the store's identity in their own query: with the change feed
// held (no heartbeat to notice), a schema re-created under the store fails
// them at once rather than answering from the empty schema (a Bloom filter
// rebuilt without the opt-outs, a sweep run never seen, a ledger or
// consent revision taken for the store's).
func TestRecreatedSchemaReadsFail(t *testing.T) {
	url := pgURL(t)
	sc := newSchema(t, url)
	s := open(t, url, sc)
	ctx := context.Background()
	rp := storage.RunParams{MinRun: 20, MaxGap: 2, Window: time.Hour}
	if _, err := s.RunLength(ctx, "acme|seg", 7, identityT0, rp); err != nil {
		t.Fatal(err)
	}
	held, release := pgstore.HoldFeed(s)
	defer release()
	<-held
	execURL(t, url, "DROP SCHEMA "+pgx.Identifier{sc}.Sanitize()+" CASCADE")
	o := open(t, url, sc)
	if _, err := o.RunLength(ctx, "acme|seg", 7, identityT0, rp); err != nil { // the new store's run tables
		t.Fatal(err)
	}
	n := dialgate.MustParseNumber("+8613900139106")
	for name, f := range map[string]func() error{
		"ScanDNC":          func() error { return s.ScanDNC(ctx, func(dnc.Entry) error { return nil }) },
		"DNCEntries":       func() error { _, err := s.DNCEntries(ctx, n); return err },
		"RunLength":        func() error { _, err := s.RunLength(ctx, "acme|seg", 7, identityT0, rp); return err },
		"LedgerVersion":    func() error { _, err := s.LedgerVersion(ctx); return err },
		"ConsentRevision":  func() error { _, err := s.ConsentRevision(ctx); return err },
		"ConsentsByNumber": func() error { _, err := s.ConsentsByNumber(ctx, n); return err },
	} {
		pgstore.ForgetStoreChanged(s)
		if err := f(); !errors.Is(err, storage.ErrUnavailable) {
			t.Errorf("%s on the re-created schema: %v; want storage.ErrUnavailable", name, err)
		}
	}
}

// The consent check's cache reads ConsentRevisionStamp, not
// ConsentRevision, on every dial (a hit reads nothing else): it must check
// the store's identity as ConsentRevision does, or a cache hit answers from
// a store the schema no longer holds until a heartbeat notices.
func TestRecreatedSchemaConsentStampFails(t *testing.T) {
	url := pgURL(t)
	sc := newSchema(t, url)
	s := open(t, url, sc)
	ctx := context.Background()
	if _, _, err := s.ConsentRevisionStamp(ctx); err != nil {
		t.Fatal(err)
	}
	held, release := pgstore.HoldFeed(s)
	defer release()
	<-held
	execURL(t, url, "DROP SCHEMA "+pgx.Identifier{sc}.Sanitize()+" CASCADE")
	o := open(t, url, sc)
	if _, _, err := o.ConsentRevisionStamp(ctx); err != nil { // the new store's
		t.Fatal(err)
	}
	pgstore.ForgetStoreChanged(s)
	if _, _, err := s.ConsentRevisionStamp(ctx); !errors.Is(err, pgstore.ErrStoreChanged) {
		t.Errorf("ConsentRevisionStamp on the re-created schema: %v; want pgstore.ErrStoreChanged", err)
	}
}

// Usage is a decision's read too, outside a transaction: the frequency
// caps' Check and Attest, and the abandoned-call guard (which only reads),
// count from it. On a re-created schema it must fail, not count nothing,
// before a heartbeat notices.
func TestRecreatedSchemaUsageFails(t *testing.T) {
	url := pgURL(t)
	sc := newSchema(t, url)
	s := open(t, url, sc)
	ctx := context.Background()
	lim := []storage.Limit{{Key: "acme|abandon", Window: time.Hour, Max: 1}}
	if ok, _, err := s.Reserve(ctx, "r-1", identityT0, lim); err != nil || !ok {
		t.Fatalf("Reserve: %v %v", ok, err)
	}
	held, release := pgstore.HoldFeed(s)
	defer release()
	<-held
	execURL(t, url, "DROP SCHEMA "+pgx.Identifier{sc}.Sanitize()+" CASCADE")
	o := open(t, url, sc)
	if _, err := o.Usage(ctx, identityT0, lim); err != nil { // the new store's
		t.Fatal(err)
	}
	pgstore.ForgetStoreChanged(s)
	if us, err := s.Usage(ctx, identityT0, lim); !errors.Is(err, pgstore.ErrStoreChanged) {
		t.Errorf("Usage on the re-created schema: %+v %v; want pgstore.ErrStoreChanged (it counted the empty store)", us, err)
	}
}
