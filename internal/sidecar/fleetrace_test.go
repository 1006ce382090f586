package sidecar

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/faultproxy"
	"github.com/dialgate/dialgate/internal/testdb"
)

// fleetRaceProfile has one rule of each kind whose state a fleet shares:
// consent for marketing (PostgreSQL), store-backed do-not-call lists for
// every purpose (Redis, with its change feed), a refusal reported in an
// outcome listing the callee, a cap per callee and one per subject (debt)
// for collections, a pause after an abandoned call and an abandoned-call rate
// cap per survey campaign (Redis counters), and the sequential-run rule
// and stride rules (Redis runs). It has no calling
// window: the sidecar decides on the wall clock, at any hour.
const fleetRaceProfile = `schema: dialgate.profile.v1
name: fleet-race
consent:
  require:
    - purposes: [marketing]
      cite: {source: U, ref: "fleet race test"}
dnc:
  purposes: [marketing, service, callback, collections, survey]
  purposes_cite: {source: U, ref: "fleet race test"}
  hold: {months: 12, cite: {source: U, ref: "fleet race test"}}
  list_refusals: {cite: {source: U, ref: "fleet race test"}}
frequency:
  caps:
    - {count: 3, window: 24h, cite: {source: U, ref: "fleet race test: three a day per callee"}}
    - {count: 2, window: 24h, purposes: [collections], per: subject, cite: {source: U, ref: "fleet race test: two a day per debt"}}
  pause_after_abandoned: {window: 72h, cite: {source: U, ref: "fleet race test"}}
abandonment: {max_rate: 0.25, window: 24h, purposes: [survey], cite: {source: U, ref: "fleet race test: a quarter, per campaign"}}
sweep:
  sequential: {min_run: 10, max_gap: 2, window: 24h, cite: {source: U, ref: "fleet race test: us-ok thresholds"}}
  stride: {min_run: 10, max_gap: 2, window: 24h, cite: {source: U, ref: "fleet race test"}}
`

// The limits of fleetRaceProfile the history is checked against.
const (
	frCalleeCap  = 3
	frSubjectCap = 2
	frMinRun     = 10
	frMaxGap     = 2
	frMaxRatePPM = 250_000 // abandoned per million answered
)

// frEnvInt reads a positive integer from the environment variable name, or
// returns def.
func frEnvInt(t *testing.T, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return n
}

// frCheck is one Check of the history.
type frCheck struct {
	gate       int
	dial       dialgate.Dial
	start, end time.Time
	dec        dialgate.Decision
	err        error
}

// frWrite is one acknowledged-or-not write that must deny the dials that
// start after it returns nil: a DNC add (number), a consent revocation
// (consent id), or the outcome of an abandoned or refused call (number).
type frWrite struct {
	kind       string // "dnc", "revoke", "abandon", "refusal"
	key        string // the number, or the consent id
	gate       int
	start, end time.Time
	err        error
}

// frRated is an outcome of a campaign under the abandoned-call rate cap.
type frRated struct {
	campaign   string
	abandoned  bool
	start, end time.Time
	err        error
}

// frRelease is one Release of the history.
type frRelease struct {
	id         string
	gate       int
	start, end time.Time
	err        error
}

// frRace is one Release racing a ReportOutcome of the same decision on two
// Gates, then a retried Release on a third.
type frRace struct {
	id               string
	release, outcome error
	retry            error
	relGate, outGate int
	retryGate        int
}

// frHistory is everything the clients did and were answered. Safe for
// concurrent use.
type frHistory struct {
	mu       sync.Mutex
	checks   []frCheck
	writes   []frWrite
	releases []frRelease
	outcomes map[string]error // decision id → ReportOutcome's error (placed calls)
	rated    []frRated        // the outcomes of the abandoned-call rate's campaigns
	races    []frRace
	after    map[string]int // decision id → calls of the outcome-after-release hook
}

func (h *frHistory) addCheck(c frCheck) {
	h.mu.Lock()
	h.checks = append(h.checks, c)
	h.mu.Unlock()
}

// frFleet is a fleet of Gates on one Redis and one PostgreSQL, built as
// `dialgate serve` builds them (Open), and the clients' history.
type frFleet struct {
	bes  []*Backend
	h    *frHistory
	seq  atomic.Int64 // fresh numbers, consent ids
	swp  atomic.Int64 // the sweep's next number
	str  atomic.Int64 // the stride sweep's next number
	open struct {     // allowed decisions neither released nor reported
		sync.Mutex
		decs []dialgate.Decision
	}
}

// frCapPool are the callees dialled again and again (their caps fill).
var frCapPool = func() []dialgate.Number {
	var ns []dialgate.Number
	for i := range 6 {
		ns = append(ns, dialgate.MustParseNumber(fmt.Sprintf("+1405556%04d", 10*(i+1))))
	}
	return ns
}()

// fresh returns a number no other step dials: ten apart, so that they
// never make a sequential run.
func (f *frFleet) fresh() dialgate.Number {
	k := f.seq.Add(1)
	return dialgate.MustParseNumber(fmt.Sprintf("+1405%03d%04d", 560+k/900, (k%900)*10+5))
}

// sweepNumber returns the sweep's next number: runs of 40 consecutive
// numbers, each in a segment (NPA-NXX) of its own.
func (f *frFleet) sweepNumber() dialgate.Number {
	k := f.swp.Add(1) - 1
	return dialgate.MustParseNumber(fmt.Sprintf("+1405%03d%04d", 540+k/40, 1000+k%40))
}

// check checks d on gate, records it and keeps an allowed decision for a
// later step to release or report.
// strideNumber returns the stride sweep's next number: one suffix stepped
// through 40 successive segments (NPA-NXX), then the next suffix (ten
// apart, so that no segment holds a sequential run of them).
func (f *frFleet) strideNumber() dialgate.Number {
	k := f.str.Add(1) - 1
	return dialgate.MustParseNumber(fmt.Sprintf("+1405%03d%04d", 600+k%40, 7000+10*(k/40)%3000))
}

func (f *frFleet) check(ctx context.Context, gate int, d dialgate.Dial) dialgate.Decision {
	return f.checkKeep(ctx, gate, d, true)
}

// checkKeep is check; keep false keeps the decision for the caller alone.
func (f *frFleet) checkKeep(ctx context.Context, gate int, d dialgate.Dial, keep bool) dialgate.Decision {
	c := frCheck{gate: gate, dial: d, start: time.Now()}
	c.dec, c.err = f.bes[gate].Gate.Check(ctx, d)
	c.end = time.Now()
	f.h.addCheck(c)
	if c.dec.Allowed && keep {
		f.open.Lock()
		f.open.decs = append(f.open.decs, c.dec)
		f.open.Unlock()
	}
	return c.dec
}

// take removes a random open decision (false: none).
func (f *frFleet) take(r *rand.Rand) (dialgate.Decision, bool) {
	f.open.Lock()
	defer f.open.Unlock()
	if len(f.open.decs) == 0 {
		return dialgate.Decision{}, false
	}
	i := r.IntN(len(f.open.decs))
	d := f.open.decs[i]
	f.open.decs = slices.Delete(f.open.decs, i, i+1)
	return d, true
}

func (f *frFleet) release(ctx context.Context, gate int, d dialgate.Decision) error {
	rl := frRelease{id: d.ID, gate: gate, start: time.Now()}
	rl.err = f.bes[gate].Gate.Release(ctx, d)
	rl.end = time.Now()
	f.h.mu.Lock()
	f.h.releases = append(f.h.releases, rl)
	f.h.mu.Unlock()
	return rl.err
}

func (f *frFleet) outcome(ctx context.Context, gate int, o dialgate.Outcome) error {
	err := f.bes[gate].Gate.ReportOutcome(ctx, o)
	f.h.mu.Lock()
	f.h.outcomes[o.DecisionID] = err
	f.h.mu.Unlock()
	return err
}

// write runs w (a write that must deny what starts after it) on gate while
// probes check dial on random Gates around it, then checks dial on another
// Gate at once after it returns (read your writes across the fleet).
func (f *frFleet) write(ctx context.Context, r *rand.Rand, kind, key string, gate int, dial dialgate.Dial, w func() error) {
	var wg sync.WaitGroup
	for range 1 + r.IntN(3) {
		g, delay := r.IntN(len(f.bes)), time.Duration(r.IntN(3000))*time.Microsecond
		wg.Go(func() {
			time.Sleep(delay)
			f.check(ctx, g, dial)
		})
	}
	wr := frWrite{kind: kind, key: key, gate: gate, start: time.Now()}
	wr.err = w()
	wr.end = time.Now()
	f.h.mu.Lock()
	f.h.writes = append(f.h.writes, wr)
	f.h.mu.Unlock()
	other := (gate + 1 + r.IntN(len(f.bes)-1)) % len(f.bes)
	f.check(ctx, other, dial)
	wg.Wait()
}

// step runs one random client action.
func (f *frFleet) step(ctx context.Context, r *rand.Rand) {
	k := len(f.bes)
	g := r.IntN(k)
	switch p := r.IntN(100); {
	case p < 25: // a callee of the pool, for a random purpose
		f.check(ctx, g, f.poolDial(r))
	case p < 35: // a burst: one callee (or debt) on several Gates at once
		d := f.poolDial(r)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 2 + r.IntN(3) {
			g := r.IntN(k)
			wg.Go(func() { <-start; f.check(ctx, g, d) })
		}
		close(start)
		wg.Wait()
	case p < 38: // a survey campaign's calls and outcomes, under the abandoned-call rate cap
		f.rated(ctx, r)
	case p < 44: // the sweep, spread over the Gates
		f.check(ctx, g, dialgate.Dial{To: f.sweepNumber(), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-sweep"})
	case p < 50: // a stride sweep (one suffix through successive segments), spread over the Gates
		f.check(ctx, g, dialgate.Dial{To: f.strideNumber(), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-stride"})
	case p < 62: // a dial not placed
		if d, ok := f.take(r); ok {
			f.release(ctx, g, d)
		}
	case p < 70: // a placed call's outcome
		if d, ok := f.take(r); ok {
			f.outcome(ctx, g, dialgate.Outcome{DecisionID: d.ID, Dial: d.Dial, Answered: true, RingDuration: 5 * time.Second})
		}
	case p < 78: // a Release racing an outcome on two Gates
		d, ok := f.take(r)
		if !ok || k < 2 {
			return
		}
		rc := frRace{id: d.ID, relGate: g, outGate: (g + 1 + r.IntN(k-1)) % k, retryGate: r.IntN(k)}
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Go(func() { <-start; rc.release = f.release(ctx, rc.relGate, d) })
		wg.Go(func() {
			<-start
			rc.outcome = f.outcome(ctx, rc.outGate, dialgate.Outcome{DecisionID: d.ID, Dial: d.Dial, Answered: true, RingDuration: 5 * time.Second})
		})
		close(start)
		wg.Wait()
		rc.retry = f.release(ctx, rc.retryGate, d)
		f.h.mu.Lock()
		f.h.races = append(f.h.races, rc)
		f.h.mu.Unlock()
	case p < 84: // an opt-out
		n := f.fresh()
		dial := dialgate.Dial{To: n, Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-dnc"}
		if r.IntN(2) == 0 {
			f.check(ctx, r.IntN(k), dial)
		}
		f.write(ctx, r, "dnc", n.String(), g, dial, func() error {
			return f.bes[g].DNC.AddDNC(ctx, DNCEntry{Number: n, Scope: "global", Source: "fleetrace", AddedAt: time.Now()})
		})
	case p < 92: // a consent granted, used, revoked
		n, id := f.fresh(), "c-"+strconv.FormatInt(f.seq.Add(1), 10)
		if err := f.grant(ctx, r.IntN(k), id, n); err != nil {
			return
		}
		dial := dialgate.Dial{To: n, Purpose: dialgate.PurposeMarketing, Tenant: "acme", Industry: "finance", ConsentID: id}
		if r.IntN(2) == 0 {
			f.check(ctx, r.IntN(k), dial)
		}
		f.write(ctx, r, "revoke", id, g, dial, func() error {
			_, _, _, err := f.bes[g].Consents.RevokeConsent(ctx, id, time.Now(), "fleetrace")
			return err
		})
	default: // an abandoned call, which pauses its callee, or a refusal, which lists it
		n := f.fresh()
		dial := dialgate.Dial{To: n, Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-outcome"}
		dec := f.checkKeep(ctx, r.IntN(k), dial, false) // reported here
		if !dec.Allowed {
			return
		}
		kind, o := "abandon", dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Abandoned: true, RingDuration: 20 * time.Second}
		if r.IntN(2) == 0 {
			kind, o = "refusal", dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Answered: true, Refused: true, RingDuration: 5 * time.Second}
		}
		f.write(ctx, r, kind, n.String(), g, dial, func() error { return f.outcome(ctx, g, o) })
	}
}

// rated dials a new survey campaign's callees, then reports their outcomes
// (a third abandoned, with the cap at a quarter) on random Gates while more
// of its dials are checked on others, and checks one more at the end.
func (f *frFleet) rated(ctx context.Context, r *rand.Rand) {
	k := len(f.bes)
	camp := "camp-" + strconv.FormatInt(f.seq.Add(1), 10)
	dial := func() dialgate.Dial {
		return dialgate.Dial{To: f.fresh(), Purpose: dialgate.PurposeSurvey, Tenant: "acme", Campaign: camp, LeadID: "crm-rated"}
	}
	var decs []dialgate.Decision
	for range 3 + r.IntN(5) {
		if d := f.checkKeep(ctx, r.IntN(k), dial(), false); d.Allowed {
			decs = append(decs, d)
		}
	}
	var wg sync.WaitGroup
	for _, d := range decs {
		g, abandoned := r.IntN(k), r.IntN(3) == 0
		wg.Go(func() {
			o := dialgate.Outcome{DecisionID: d.ID, Dial: d.Dial, Answered: !abandoned, Abandoned: abandoned, RingDuration: 5 * time.Second}
			rt := frRated{campaign: camp, abandoned: abandoned, start: time.Now()}
			rt.err = f.outcome(ctx, g, o)
			rt.end = time.Now()
			f.h.mu.Lock()
			f.h.rated = append(f.h.rated, rt)
			f.h.mu.Unlock()
		})
	}
	for range 1 + r.IntN(4) {
		g, delay := r.IntN(k), time.Duration(r.IntN(2000))*time.Microsecond
		wg.Go(func() { time.Sleep(delay); f.checkKeep(ctx, g, dial(), false) })
	}
	wg.Wait()
	f.checkKeep(ctx, r.IntN(k), dial(), false)
}

// poolDial returns a dial of a callee of frCapPool for a random purpose:
// service, marketing (with the callee's consent) or collections (about one
// of three debts).
func (f *frFleet) poolDial(r *rand.Rand) dialgate.Dial {
	i := r.IntN(len(frCapPool))
	d := dialgate.Dial{To: frCapPool[i], Tenant: "acme", LeadID: "crm-" + strconv.Itoa(r.IntN(1000))}
	switch r.IntN(3) {
	case 0:
		d.Purpose = dialgate.PurposeService
	case 1:
		d.Purpose, d.LeadID, d.ConsentID, d.Industry = dialgate.PurposeMarketing, "", "pool-c-"+strconv.Itoa(i), "finance"
	case 2:
		d.Purpose, d.Subject = dialgate.PurposeCollections, "D-"+strconv.Itoa(r.IntN(3))
	}
	return d
}

func (f *frFleet) grant(ctx context.Context, gate int, id string, n dialgate.Number) error {
	_, err := f.bes[gate].Consents.GrantConsent(ctx, ConsentGrant{ID: id, Number: n, Scope: "industry:finance", Tenant: "acme",
		Method: "web_form", GrantedAt: time.Now().Add(-time.Hour),
		EvidenceSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"})
	return err
}

// frOptions are the knobs of one randomized run.
type frOptions struct {
	seed    uint64
	gates   int // 2–4
	workers int
	steps   int           // per worker, at least
	until   time.Duration // and each worker goes on until this long has passed
	faults  bool
	pgOnly  bool // no Redis: the fleet's PostgreSQL keeps everything
}

// TestFleetRace drives a fleet of 2–4 sidecars' Gates on one Redis and one
// PostgreSQL (every other run on PostgreSQL alone, which then keeps the
// counters, runs and lists too), as `dialgate serve --config` builds them
// (Open), with concurrent
// clients issuing Check, Release, ReportOutcome, opt-outs and consent
// revocations at random moments, and then checks what a regulator checks
// against the whole history (see frVerify). The steps each client takes are
// drawn from DIALGATE_FLEETRACE_SEED (default 1; the interleaving is the
// scheduler's); DIALGATE_FLEETRACE_N sets the steps per client (default 80)
// and DIALGATE_FLEETRACE_RUNS the number of runs (default 2, each with the
// next seed). For a serious search: DIALGATE_FLEETRACE_N=2000
// DIALGATE_FLEETRACE_RUNS=20 (a few minutes).
func TestFleetRace(t *testing.T) {
	frRun(t, false)
}

// TestFleetRaceFaults is TestFleetRace with the fleet's Redis and
// PostgreSQL behind fault proxies that stall (a black hole) and cut every
// connection at random moments: the invariants still hold (an outage
// denies, never allows). Each run lasts DIALGATE_FLEETRACE_FAULT_MS
// milliseconds at least (default 3000).
func TestFleetRaceFaults(t *testing.T) {
	frRun(t, true)
}

func frRun(t *testing.T, faults bool) {
	pgURL, redisURL := os.Getenv("DIALGATE_TEST_POSTGRES"), os.Getenv("DIALGATE_TEST_REDIS")
	if pgURL == "" || redisURL == "" {
		t.Skip("DIALGATE_TEST_POSTGRES and DIALGATE_TEST_REDIS are not both set")
	}
	seed := uint64(frEnvInt(t, "DIALGATE_FLEETRACE_SEED", 1))
	steps := frEnvInt(t, "DIALGATE_FLEETRACE_N", 80)
	runs := frEnvInt(t, "DIALGATE_FLEETRACE_RUNS", 2)
	for i := range runs {
		s := seed + uint64(i)
		// Every other run keeps everything in PostgreSQL, as a fleet
		// without Redis does (counters, runs and lists too).
		opts := frOptions{seed: s, gates: 2 + int(s%3), workers: 6, steps: steps, faults: faults, pgOnly: s%2 == 0}
		if faults {
			// Long enough for a few dozen stalls and cuts.
			opts.until = time.Duration(frEnvInt(t, "DIALGATE_FLEETRACE_FAULT_MS", 3000)) * time.Millisecond
		}
		back := "redis+postgres"
		if opts.pgOnly {
			back = "postgres"
		}
		t.Run(fmt.Sprintf("seed=%d/gates=%d/%s", s, opts.gates, back), func(t *testing.T) {
			frOnce(t, pgURL, redisURL, opts)
		})
	}
}

func frOnce(t *testing.T, pgURL, redisURL string, o frOptions) {
	name := fmt.Sprintf("fleetrace%d_%d", time.Now().UnixNano(), o.seed)
	t.Cleanup(func() {
		testdb.DropPostgresSchema(pgURL, name)
		testdb.DropRedisPrefix(redisURL, name)
	})
	cfg := Config{Postgres: pgURL, PostgresSchema: name, Redis: redisURL, RedisPrefix: name, RedisRequireAOF: new(false)}
	if o.pgOnly {
		cfg.Redis, cfg.RedisPrefix, cfg.RedisRequireAOF = "", "", nil
	}
	var rx, pgx *faultproxy.Proxy
	if o.faults {
		rx, cfg.Redis = faultproxy.ForURL(t, redisURL, "6379")
		pgx, cfg.Postgres = faultproxy.ForURL(t, pgURL, "5432")
		if o.pgOnly {
			cfg.Redis = ""
		}
		cfg.CheckTimeout = Duration(300 * time.Millisecond)
	}
	bes := fleetSidecarsOn(t, o.gates, cfg, fleetRaceProfile)
	if o.faults {
		// Cut before the backends close: a stalled connection holds a
		// pgx pool's Close up for 15 s.
		t.Cleanup(rx.Cut)
		t.Cleanup(pgx.Cut)
	}
	f := &frFleet{bes: bes, h: &frHistory{outcomes: map[string]error{}, after: map[string]int{}}}
	for _, be := range bes {
		be.afterRelease.set(func(_ context.Context, id string) {
			f.h.mu.Lock()
			f.h.after[id]++
			f.h.mu.Unlock()
		})
	}
	ctx := context.Background()
	for i, n := range frCapPool {
		if err := f.grant(ctx, i%o.gates, "pool-c-"+strconv.Itoa(i), n); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan struct{})
	var faultsWG sync.WaitGroup
	if o.faults {
		faultsWG.Go(func() { frFaults(rand.New(rand.NewPCG(o.seed, 1<<32)), done, rx, pgx) })
	}
	begun := time.Now()
	var wg sync.WaitGroup
	for w := range o.workers {
		r := rand.New(rand.NewPCG(o.seed, uint64(w)))
		wg.Go(func() {
			for i := 0; i < o.steps || time.Since(begun) < o.until; i++ {
				f.step(ctx, r)
				if r.IntN(4) == 0 {
					time.Sleep(time.Duration(r.IntN(1500)) * time.Microsecond)
				}
			}
		})
	}
	wg.Wait()
	close(done)
	faultsWG.Wait()
	if o.faults {
		rx.Restore()
		pgx.Restore()
	}
	took := time.Since(begun)
	for _, p := range frVerify(f.h) {
		t.Error(p)
	}
	st := frStats(f.h)
	t.Logf("%d gates, %d clients × %d steps in %v: %s", o.gates, o.workers, o.steps, took.Round(time.Millisecond), st)
}

// frFaults stalls or cuts the fleet's Redis or PostgreSQL for a few to a
// hundred milliseconds at a time until done is closed.
func frFaults(r *rand.Rand, done <-chan struct{}, rx, pgx *faultproxy.Proxy) {
	for {
		select {
		case <-done:
			return
		case <-time.After(time.Duration(20+r.IntN(150)) * time.Millisecond):
		}
		p := rx
		if r.IntN(2) == 0 {
			p = pgx
		}
		if r.IntN(2) == 0 {
			p.Stall()
		} else {
			p.Cut()
		}
		select {
		case <-done:
		case <-time.After(time.Duration(5+r.IntN(100)) * time.Millisecond):
		}
		p.Restore()
	}
}

// frStats sums up a history for the log: how much of each kind happened,
// so that a run that exercised nothing shows.
func frStats(h *frHistory) string {
	var allowed, denied, errs, capped, overRate, swept, unavailable, releasedOK int
	for _, c := range h.checks {
		switch {
		case c.err != nil:
			errs++
		case c.dec.Allowed:
			allowed++
		default:
			denied++
			if c.dec.Has(dialgate.CodeFrequencyCapped) {
				capped++
			}
			if c.dec.Has(dialgate.CodeAbandonRateExceeded) {
				overRate++
			}
			if c.dec.Has(dialgate.CodeSweepSequential) {
				swept++
			}
			for _, code := range c.dec.Codes() {
				if strings.HasSuffix(string(code), ".unavailable") {
					unavailable++
					break
				}
			}
		}
	}
	for _, rl := range h.releases {
		if rl.err == nil {
			releasedOK++
		}
	}
	var relFirst, outFirst int
	for _, rc := range h.races {
		switch {
		case rc.release == nil:
			relFirst++
		case errors.Is(rc.release, dialgate.ErrPlaced):
			outFirst++
		}
	}

	var writesOK int
	okByKind := map[string]int{}
	for _, w := range h.writes {
		if w.err == nil {
			writesOK++
			okByKind[w.kind]++
		}
	}
	return fmt.Sprintf("checks %d (allowed %d, denied %d: capped %d, over the abandoned rate %d, sweeps %d, unavailable %d; errors %d), releases %d (%d ok), outcomes %d, races %d (release first %d, outcome first %d), writes %d (%d ok: %v)",
		len(h.checks), allowed, denied, capped, overRate, swept, unavailable, errs, len(h.releases), releasedOK, len(h.outcomes), len(h.races), relFirst, outFirst, len(h.writes), writesOK, okByKind)
}

// frVerify checks the invariants a regulator checks against the whole
// history and returns the violations found:
//
//   - an error never comes with an allow;
//   - per callee, and per collections subject, the allows the clients got
//     less the dials not placed (see frNotPlaced) never exceed the cap
//     (every window of the profile is longer than a run);
//   - an opt-out, a consent revocation or the outcome of an abandoned or a
//     refused call acknowledged on any Gate denies every dial (of the
//     number, of the consent) whose Check started after it returned, on
//     every Gate;
//   - a survey campaign whose acknowledged abandoned calls are above the
//     cap of every answered call it may have counted denies the dials checked
//     after them;
//   - a Release racing an outcome of the same decision: never both taken as
//     first (the Release succeeded and the outcome was not reported as one
//     after a release), and a retried Release agrees with the first;
//   - the numbers allowed (less those released) in each segment never hold a
//     run of frMinRun numbers at most frMaxGap apart, and the segments each
//     suffix is allowed in never hold such a run (a stride).
func frVerify(h *frHistory) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var bad []string
	released := frNotPlaced(h)
	perCallee := map[dialgate.Number]int{}
	perSubject := map[string]int{}
	segments := map[string][]int{} // NPA-NXX → the last four digits allowed
	suffixes := map[string][]int{} // last four digits → the NPA-NXX allowed
	for _, c := range h.checks {
		if c.err != nil && c.dec.Allowed {
			bad = append(bad, fmt.Sprintf("gate %d: %s allowed with an error: %v", c.gate, c.dec.ID, c.err))
		}
		if !c.dec.Allowed || released[c.dec.ID] {
			continue
		}
		perCallee[c.dial.To]++
		if c.dial.Purpose == dialgate.PurposeCollections {
			perSubject[c.dial.Subject]++
		}
		// Every number dialled is a +1 number: +1, NPA-NXX, four digits.
		s := c.dial.To.String()
		seg, x := s[:len(s)-4], s[len(s)-4:]
		v, _ := strconv.Atoi(x)
		segments[seg] = append(segments[seg], v)
		sv, _ := strconv.Atoi(seg[2:])
		suffixes[x] = append(suffixes[x], sv)
	}
	for n, c := range perCallee {
		if c > frCalleeCap {
			bad = append(bad, fmt.Sprintf("callee %s: %d dials allowed and not released, cap %d%s", n, c, frCalleeCap, frCalleeHistory(h, n)))
		}
	}
	for s, c := range perSubject {
		if c > frSubjectCap {
			bad = append(bad, fmt.Sprintf("subject %s: %d dials allowed and not released, cap %d", s, c, frSubjectCap))
		}
	}
	for seg, xs := range segments {
		if run := frLongestRun(xs); run >= frMinRun {
			bad = append(bad, fmt.Sprintf("segment %s: %d numbers of a run allowed (%v), a sweep from %d", seg, run, xs, frMinRun))
		}
	}
	for x, segs := range suffixes {
		if run := frLongestRun(segs); run >= frMinRun {
			bad = append(bad, fmt.Sprintf("suffix %s: allowed in a run of %d successive segments (%v), a stride from %d", x, run, segs, frMinRun))
		}
	}
	for _, w := range h.writes {
		if w.err != nil {
			continue
		}
		for _, c := range h.checks {
			if !c.dec.Allowed || !c.start.After(w.end) {
				continue
			}
			hit := false
			switch w.kind {
			case "dnc", "abandon", "refusal":
				hit = c.dial.To.String() == w.key
			case "revoke":
				hit = c.dial.ConsentID == w.key
			}
			if hit {
				bad = append(bad, fmt.Sprintf("%s %s acknowledged by gate %d, then a dial checked on gate %d %v later allowed (%s)",
					w.kind, w.key, w.gate, c.gate, c.start.Sub(w.end), c.dec.ID))
			}
		}
	}
	for _, c := range h.checks {
		if !c.dec.Allowed || !strings.HasPrefix(c.dial.Campaign, "camp-") || c.dial.AgentReserved {
			continue
		}
		// Over the cap for sure: the abandoned calls acknowledged before
		// the check started, against every answered call it may have
		// counted (reported before it ended, acknowledged or not).
		var abandoned, answered int64
		for _, o := range h.rated {
			if o.campaign != c.dial.Campaign {
				continue
			}
			if o.start.Before(c.end) {
				answered++
			}
			if o.abandoned && o.err == nil && o.end.Before(c.start) {
				abandoned++
			}
		}
		if abandoned*1_000_000 > frMaxRatePPM*answered {
			bad = append(bad, fmt.Sprintf("campaign %s: %d of at most %d answered calls abandoned before gate %d allowed %s, above the cap",
				c.dial.Campaign, abandoned, answered, c.gate, c.dec.ID))
		}
	}
	for _, rc := range h.races {
		afterRelease := h.after[rc.id] > 0
		relFirst, outFirst := rc.release == nil, errors.Is(rc.release, dialgate.ErrPlaced)
		switch {
		case relFirst && rc.outcome == nil && !afterRelease:
			bad = append(bad, fmt.Sprintf("decision %s: released (gate %d) and placed (gate %d), each as the first", rc.id, rc.relGate, rc.outGate))
		case outFirst && afterRelease:
			bad = append(bad, fmt.Sprintf("decision %s: the Release was refused as placed (gate %d) and the outcome reported as after a release (gate %d)", rc.id, rc.relGate, rc.outGate))
		case relFirst && errors.Is(rc.retry, dialgate.ErrPlaced):
			bad = append(bad, fmt.Sprintf("decision %s: released first, a retried Release (gate %d) refused as placed", rc.id, rc.retryGate))
		case outFirst && rc.retry == nil:
			bad = append(bad, fmt.Sprintf("decision %s: placed first, a retried Release (gate %d) succeeded", rc.id, rc.retryGate))
		}
	}
	return bad
}

// frNotPlaced returns the decisions whose calls the clients did not place:
// those a Release succeeded for, and those a Release failed for (other than
// as placed) with no outcome acknowledged. A client that asked to release a
// dial does not place it, whatever the answer; and a failed Release may
// have given the capacity back all the same (a connection cut after the
// store committed it), so that another dial may take it. h.mu is held.
//
// A failed Release with an outcome acknowledged (a Release racing an
// outcome) is left out too when the outcome was reported as one after a
// release (h.after): the release guard marked the release first, so the
// Release went on to give the capacity back (Gate.Release runs the
// Committers' Release after the guard) and failed only afterwards (a
// Committer's DELETE committed before its connection was cut, or the audit
// write failed). Between that give-back and the outcome's recount another
// dial of the callee may take the freed slot — legal, exactly as after a
// Release that succeeded, which this model leaves out whatever its outcome —
// so that the callee ends with one allow more than its cap. Without h.after
// the guard saw no release before the outcome: nothing was given back, and
// the dial counts as placed.
func frNotPlaced(h *frHistory) map[string]bool {
	out := map[string]bool{}
	for _, rl := range h.releases {
		switch err, reported := h.outcomes[rl.id]; {
		case rl.err == nil:
			out[rl.id] = true
		case errors.Is(rl.err, dialgate.ErrPlaced):
		case !reported || err != nil:
			out[rl.id] = true
		case h.after[rl.id] > 0:
			out[rl.id] = true
		}
	}
	return out
}

// frLongestRun returns the length of the longest run of distinct values of
// xs at most frMaxGap apart (sorting xs).
func frLongestRun(xs []int) int {
	slices.Sort(xs)
	xs = slices.Compact(xs)
	longest, run := min(len(xs), 1), 1
	for i := 1; i < len(xs); i++ {
		if xs[i]-xs[i-1] <= frMaxGap+1 {
			run++
		} else {
			run = 1
		}
		longest = max(longest, run)
	}
	return longest
}

// frCalleeHistory lists the allowed checks of n, with the releases and
// outcomes of each, for a failure message. h.mu is held.
func frCalleeHistory(h *frHistory, n dialgate.Number) string {
	var b strings.Builder
	for _, c := range h.checks {
		if c.dial.To != n || !c.dec.Allowed {
			continue
		}
		fmt.Fprintf(&b, "\n\t%s gate %d %s (%s) [%s, %s]", c.dec.ID, c.gate, c.dial.Purpose, c.dial.Subject,
			c.start.Format("15:04:05.000000"), c.end.Format("15:04:05.000000"))
		for _, rl := range h.releases {
			if rl.id == c.dec.ID {
				fmt.Fprintf(&b, "\n\t\trelease gate %d [%s, %s]: %v", rl.gate, rl.start.Format("15:04:05.000000"), rl.end.Format("15:04:05.000000"), rl.err)
			}
		}
		if err, ok := h.outcomes[c.dec.ID]; ok {
			fmt.Fprintf(&b, "\n\t\toutcome: %v", err)
		}
	}
	return b.String()
}
