package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/dnc"
)

// Fault breaks and mends the connections between a store and its server:
// internal/faultproxy.Proxy, whose documentation says what each does.
type Fault interface {
	// Cut closes every connection; new ones are closed at once.
	Cut()
	// Stall stops forwarding on every connection, for good, and on new
	// ones until Restore: nothing is closed, only a timeout notices.
	Stall()
	// Restore forwards new connections again.
	Restore()
}

// SharedStore is a store shared between processes whose DNC entries come
// with a change feed (storage/redisstore, storage/pgstore). A store that is
// also a consent.Store and a callerid.Store has those checked too.
type SharedStore interface {
	dnc.Store
	dnc.ChangeFeed
	// FeedLive reports whether the change feed is live.
	FeedLive() bool
}

// OutageTiming bounds what the outage tests accept.
type OutageTiming struct {
	// Heartbeat is the gated store's feed heartbeat.
	Heartbeat time.Duration
	// CheckTimeout is the Gate's (WithCheckTimeout).
	CheckTimeout time.Duration
	// Recover bounds how long after Restore decisions resume.
	Recover time.Duration
}

// outage numbers and caller IDs: synthetic.
var (
	outFrom      = dialgate.MustParseNumber("+861058001234")
	outFromGone  = dialgate.MustParseNumber("+861058001235")
	outListed    = dialgate.MustParseNumber("+8613900138100") // listed before the outage
	outConsented = dialgate.MustParseNumber("+8613900138101") // consent before, opt-out during
	outRevoked   = dialgate.MustParseNumber("+8613900138102") // consent before, revoked during
	outEarly     = dialgate.MustParseNumber("+8613900138103") // opt-out as the fault starts
	outKept      = dialgate.MustParseNumber("+8613900138104") // consent before, untouched
	outClean     = dialgate.MustParseNumber("+8613900138105") // never listed
	outT0        = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
)

// outageGate is the Gate one sidecar builds on a shared store: dnc (its
// Bloom filter kept current by the change feed), and consent and callerid
// when the store keeps them. Its clock runs from outT0 at real speed (the
// callerid check polls the ledger by dial time).
type outageGate struct {
	g     *dialgate.Gate
	audit *decisionLog
	lists *dnc.Lists
	// consent and ledger: the store keeps consents (a consent check) and
	// the caller-ID ledger (a callerid check).
	consent, ledger bool
}

func newOutageGate(t *testing.T, s SharedStore, tm OutageTiming) *outageGate {
	t.Helper()
	ctx := context.Background()
	lists, err := dnc.NewLists(ctx, s, dnc.ListsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lists.Close() })
	dc, err := dnc.New(dnc.Config{}, lists)
	if err != nil {
		t.Fatal(err)
	}
	checks := []dialgate.Checker{dc}
	cs, okc := s.(consent.Store)
	ls, okl := s.(callerid.Store)
	if okc {
		cc, err := consent.NewCheck(consent.Config{Require: []consent.Requirement{{
			Purposes: []dialgate.Purpose{dialgate.PurposeMarketing},
			Cite:     dialgate.Citation{Source: dialgate.SourceLaw, Ref: "storetest"},
		}}}, cs)
		if err != nil {
			t.Fatal(err)
		}
		checks = append(checks, cc)
	}
	if okl {
		law := dialgate.Citation{Source: dialgate.SourceLaw, Ref: "storetest"}
		ci, err := callerid.New(callerid.Config{Cite: law, Ledger: &callerid.Rule{Cite: law}}, ls)
		if err != nil {
			t.Fatal(err)
		}
		checks = append(checks, ci)
	}
	start := time.Now()
	audit := &decisionLog{byID: map[string]dialgate.Decision{}}
	g, err := dialgate.New(checks, dialgate.WithAuditLog(audit),
		dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return outT0.Add(time.Since(start)) })),
		dialgate.WithCheckTimeout(tm.CheckTimeout))
	if err != nil {
		t.Fatal(err)
	}
	return &outageGate{g: g, audit: audit, lists: lists, consent: okc, ledger: okl}
}

// check decides a dial to to from from; marketing needs a consent.
func (og *outageGate) check(to, from dialgate.Number, marketing bool) (dialgate.Decision, time.Duration) {
	d := dialgate.Dial{To: to, From: from, Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1"}
	if marketing {
		d.Purpose, d.Industry = dialgate.PurposeMarketing, "finance"
	}
	start := time.Now()
	dec, _ := og.g.Check(context.Background(), d)
	return dec, time.Since(start)
}

// seedOutage writes, through w, what the outage tests expect to survive.
func seedOutage(t *testing.T, w SharedStore) {
	t.Helper()
	ctx := context.Background()
	if err := w.AddDNC(ctx, dnc.Entry{Number: outListed, Scope: dnc.GlobalScope, List: "opt_out", Source: "call", AddedAt: outT0.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if cs, ok := w.(consent.Store); ok {
		for _, n := range []dialgate.Number{outConsented, outRevoked, outEarly, outKept, outClean} {
			if err := cs.AddConsent(ctx, conRecord("out-"+n.String()[1:], n, outT0.Add(-24*time.Hour))); err != nil {
				t.Fatal(err)
			}
		}
	}
	ls, ok := w.(callerid.Store)
	if !ok {
		return
	}
	ledger := "number,holder,purposes,valid_until\n" +
		outFrom.String() + ",Acme Ltd,marketing;service,2027-12-31T00:00:00Z\n" +
		outFromGone.String() + ",Acme Ltd,marketing;service,2027-12-31T00:00:00Z\n"
	entries, err := callerid.ParseLedger(strings.NewReader(ledger), "acme")
	if err != nil {
		t.Fatal(err)
	}
	if err := ls.PutLedger(ctx, entries...); err != nil {
		t.Fatal(err)
	}
}

// decisionLog is an audit log that keeps every decision by id (package
// audittest imports the stores).
type decisionLog struct {
	mu   sync.Mutex
	byID map[string]dialgate.Decision
}

func (l *decisionLog) RecordDecision(_ context.Context, d dialgate.Decision) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, dup := l.byID[d.ID]; dup {
		return fmt.Errorf("decision %s recorded twice", d.ID)
	}
	l.byID[d.ID] = d
	return nil
}

func (l *decisionLog) RecordOutcome(context.Context, dialgate.Outcome) error { return nil }

// Decision returns the decision recorded with id.
func (l *decisionLog) Decision(id string) (dialgate.Decision, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	d, ok := l.byID[id]
	return d, ok
}

func hasCode(d dialgate.Decision, c dialgate.Code) bool { return d.Has(c) }

func unavailable(d dialgate.Decision) bool {
	for _, r := range d.Reasons {
		if strings.HasSuffix(string(r.Code), ".unavailable") {
			return true
		}
	}
	return false
}

// TestOutage cuts or stalls (cut false) every connection of gated, a store
// reached through fault, while writer, another process's store on the same
// data, keeps writing; then it restores the connections. It checks that:
//
//   - every decision during the fault denies, within the Gate's timeout and
//     a little, with a <check>.unavailable reason, and is recorded as such;
//     a dial the Bloom filter alone would answer is allowed only until the
//     feed is found lost, within a few heartbeats;
//   - after Restore decisions resume without a restart (within
//     tm.Recover), nothing written before the fault is lost, and every
//     opt-out, consent revocation and caller-ID removal written meanwhile
//     by the other process is in force (a stalled connection is never
//     revived: the store must give up on it by itself).
func TestOutage(t *testing.T, writer, gated SharedStore, fault Fault, cut bool, tm OutageTiming) {
	t.Helper()
	ctx := context.Background()
	seedOutage(t, writer)
	og := newOutageGate(t, gated, tm)
	if !waitTrue(5*time.Second, gated.FeedLive) {
		t.Fatal("the gated store's change feed never went live")
	}
	// Before: the Bloom filter says "not listed" for every number but
	// outListed without a store read; the consent and ledger are cached.
	want := func(step string, to, from dialgate.Number, marketing bool, code dialgate.Code) {
		t.Helper()
		d, _ := og.check(to, from, marketing)
		switch {
		case code == "" && !d.Allowed:
			t.Fatalf("%s: dial %s denied %v, want allowed", step, to, d.Codes())
		case code != "" && (d.Allowed || !hasCode(d, code)):
			t.Fatalf("%s: dial %s: allowed %v, codes %v; want a deny with %s", step, to, d.Allowed, d.Codes(), code)
		}
	}
	want("before", outListed, outFrom, false, dialgate.CodeDNCListed)
	for _, n := range []dialgate.Number{outConsented, outRevoked, outEarly, outKept, outClean} {
		want("before", n, outFrom, og.consent, "")
	}
	if og.ledger {
		want("before", outKept, outFromGone, og.consent, "")
	}

	faulted := time.Now()
	if cut {
		fault.Cut()
	} else {
		fault.Stall()
	}
	// The other process takes an opt-out as the fault starts: the feed may
	// never relay it to this one.
	if err := writer.AddDNC(ctx, dnc.Entry{Number: outEarly, Scope: dnc.GlobalScope, List: "opt_out", Source: "call", AddedAt: outT0}); err != nil {
		t.Fatal(err)
	}
	// During the fault: every dial denies within bounded time; only the
	// Bloom filter's answers (service dials) may allow, and only until the
	// feed is found lost.
	slow := tm.CheckTimeout + 250*time.Millisecond
	lostBy := 4*tm.Heartbeat + time.Second // a probe's wait and its answer, and slack
	var lost time.Duration
	for lost == 0 || time.Since(faulted) < lost+tm.CheckTimeout+200*time.Millisecond {
		if time.Since(faulted) > 2*lostBy {
			t.Fatalf("the change feed was still live %v into the fault", time.Since(faulted).Round(time.Millisecond))
		}
		feedDown := !gated.FeedLive()
		if feedDown && lost == 0 {
			lost = time.Since(faulted)
		}
		for _, c := range []struct {
			to        dialgate.Number
			marketing bool
		}{{outClean, false}, {outKept, og.consent}} {
			d, took := og.check(c.to, outFrom, c.marketing)
			if took > slow {
				t.Errorf("a decision during the fault took %v, more than the check timeout %v and a little", took.Round(time.Millisecond), tm.CheckTimeout)
			}
			if d.Allowed && (feedDown || c.marketing) {
				t.Errorf("dial %s allowed %v into the fault (feed lost: %v): a store that does not answer must deny", c.to, time.Since(faulted).Round(time.Millisecond), feedDown)
			}
			if !d.Allowed && !unavailable(d) {
				t.Errorf("a deny during the fault without a <check>.unavailable code: %v", d.Codes())
			}
			if rec, ok := og.audit.Decision(d.ID); !ok || rec.Allowed != d.Allowed || len(rec.Reasons) != len(d.Reasons) {
				t.Errorf("decision %s (allowed %v, %v) not recorded as given: %+v, %v", d.ID, d.Allowed, d.Codes(), rec, ok)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("feed found lost %v into the fault", lost.Round(time.Millisecond))
	// A burst of concurrent dials: none waits on another past its own
	// deadline (a pool slot, a cache or ledger reload under a lock).
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, took := og.check(outKept, outFrom, i%2 == 0)
			if d.Allowed || took > slow {
				t.Errorf("a concurrent dial during the fault: allowed %v, codes %v, took %v", d.Allowed, d.Codes(), took.Round(time.Millisecond))
			}
		}()
	}
	wg.Wait()
	if lost > lostBy {
		t.Errorf("the change feed was found lost %v into the fault, want within %v", lost.Round(time.Millisecond), lostBy)
	}

	// The other process writes while this one is cut off.
	if err := writer.AddDNC(ctx, dnc.Entry{Number: outConsented, Scope: dnc.GlobalScope, List: "opt_out", Source: "call", AddedAt: outT0}); err != nil {
		t.Fatal(err)
	}
	if og.consent {
		if _, err := writer.(consent.Store).RevokeConsent(ctx, "out-"+outRevoked.String()[1:], outT0, "call"); err != nil {
			t.Fatal(err)
		}
	}
	var ledgerChanged time.Time
	if og.ledger {
		if err := writer.(callerid.Store).DeleteLedgerEntry(ctx, "acme", outFromGone); err != nil {
			t.Fatal(err)
		}
		ledgerChanged = time.Now()
	}
	for _, n := range []dialgate.Number{outConsented, outEarly, outClean} {
		if d, took := og.check(n, outFrom, false); d.Allowed || !unavailable(d) || took > slow {
			t.Errorf("dial %s with the feed lost: allowed %v, codes %v, took %v; want a prompt deny with a <check>.unavailable code", n, d.Allowed, d.Codes(), took.Round(time.Millisecond))
		}
	}

	fault.Restore()
	restored := time.Now()
	var back time.Duration
	for back == 0 {
		if d, took := og.check(outClean, outFrom, og.consent); d.Allowed {
			back = time.Since(restored)
		} else if took > slow {
			t.Errorf("a decision after Restore took %v", took.Round(time.Millisecond))
		}
		if back == 0 && time.Since(restored) > tm.Recover {
			d, _ := og.check(outClean, outFrom, og.consent)
			t.Fatalf("decisions did not resume within %v of Restore: last %v (feed live: %v)", tm.Recover, d.Codes(), gated.FeedLive())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("decisions resumed %v after Restore", back.Round(time.Millisecond))
	// Whether or not the feed is live yet, and once it is (the Bloom filter
	// rebuilt), everything written before and during the fault holds.
	after := func(step string) {
		t.Helper()
		want(step, outListed, outFrom, false, dialgate.CodeDNCListed)
		want(step, outConsented, outFrom, false, dialgate.CodeDNCListed)
		want(step, outEarly, outFrom, false, dialgate.CodeDNCListed)
		if og.consent {
			want(step, outRevoked, outFrom, true, dialgate.CodeConsentRevoked)
			want(step, outKept, outFrom, true, "")
		}
		if og.ledger {
			// The callerid check asks the store whether the ledger changed
			// once per callerid.DefaultRefreshInterval of dial time, outage
			// or not: a removal is in force within that time.
			for {
				d, _ := og.check(outKept, outFromGone, false)
				if d.Has(dialgate.CodeCallerIDNotInLedger) {
					break
				}
				if d.Allowed && time.Since(ledgerChanged) > callerid.DefaultRefreshInterval+250*time.Millisecond || !d.Allowed && !unavailable(d) {
					t.Fatalf("%s: a caller ID the other process removed %v ago: allowed %v, codes %v; want callerid.not_in_ledger",
						step, time.Since(ledgerChanged).Round(time.Millisecond), d.Allowed, d.Codes())
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
	after("after Restore")
	if !waitTrue(tm.Recover, gated.FeedLive) {
		t.Fatalf("the change feed was not live again within %v of Restore", tm.Recover)
	}
	after("with the feed live again")
}

// TestStalledFeed stalls every connection gated has open and restores the
// proxy at once: new connections work, but the change feed's connection
// (LISTEN, SUBSCRIBE) stays a black hole, open and silent. An opt-out that
// writer, another process, takes meanwhile must deny at gated within a few
// heartbeats, and never be lost: the feed must notice the stall by itself
// and resynchronise on a new connection. isolate, if not nil, runs just
// before the stall: it should close gated's idle pool connections, so that
// the feed's connection is the only one stalled.
func TestStalledFeed(t *testing.T, writer, gated SharedStore, fault Fault, tm OutageTiming, isolate func()) {
	t.Helper()
	ctx := context.Background()
	seedOutage(t, writer)
	og := newOutageGate(t, gated, tm)
	if !waitTrue(5*time.Second, gated.FeedLive) {
		t.Fatal("the gated store's change feed never went live")
	}
	n := outEarly
	if d, _ := og.check(n, outFrom, false); !d.Allowed {
		t.Fatalf("before the stall: %v", d.Codes())
	}
	if isolate != nil {
		isolate()
	}
	fault.Stall()
	fault.Restore()
	stalled := time.Now()
	if err := writer.AddDNC(ctx, dnc.Entry{Number: n, Scope: dnc.GlobalScope, List: "opt_out", Source: "call", AddedAt: outT0}); err != nil {
		t.Fatal(err)
	}
	bound := 4*tm.Heartbeat + time.Second
	for {
		d, _ := og.check(n, outFrom, false)
		if hasCode(d, dialgate.CodeDNCListed) {
			t.Logf("the opt-out denied %v after the feed's connection stalled", time.Since(stalled).Round(time.Millisecond))
			break
		}
		if d.Allowed && time.Since(stalled) > bound {
			t.Fatalf("an opt-out taken by another process was still allowed %v after this process's feed connection stalled (feed live: %v)",
				time.Since(stalled).Round(time.Millisecond), gated.FeedLive())
		}
		if time.Since(stalled) > tm.Recover+bound {
			t.Fatalf("the opt-out never denied: last %v (feed live: %v)", d.Codes(), gated.FeedLive())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !waitTrue(tm.Recover, gated.FeedLive) {
		t.Fatal("the change feed never came back on a new connection")
	}
	if d, _ := og.check(n, outFrom, false); !hasCode(d, dialgate.CodeDNCListed) {
		t.Fatalf("with the feed back: %v, want dnc.listed", d.Codes())
	}
	if d, _ := og.check(outClean, outFrom, false); !d.Allowed {
		t.Fatalf("with the feed back, a clean number: %v", d.Codes())
	}
}

func waitTrue(d time.Duration, f func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if f() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}
