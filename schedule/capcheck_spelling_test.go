package schedule_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/teststores"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
)

// A synthetic Martinique line in its two spellings: the territory's own
// country code, and +33 as a dialer converting the national 0596 … with
// region FR writes it.
var (
	domOwn = dialgate.MustParseNumber("+596596000101")
	domFR  = dialgate.MustParseNumber("+33596000101")
	frFrom = dialgate.MustParseNumber("+33159000001")
)

// spellingStores opens every counters back-end a test can reach: the
// in-memory and embedded stores always, Redis and PostgreSQL when
// DIALGATE_TEST_REDIS and DIALGATE_TEST_POSTGRES name one.
func spellingStores(t *testing.T) map[string]func(t testing.TB) storage.Counters {
	return teststores.Counters(t)
}

// legacyKey is the counter key a release before the spellings were joined
// counted a callee-scoped rule of suffix under, for n as spelt: the keyed
// hash of the number as given.
func legacyKey(n dialgate.Number, tenant, suffix string) string {
	m := hmac.New(sha256.New, testHK)
	m.Write([]byte("callee\x00" + tenant + "\x00" + strconv.FormatUint(n.Uint64(), 10)))
	return "frequency|" + hex.EncodeToString(m.Sum(nil)[:16]) + suffix
}

func marketingTo(n dialgate.Number) dialgate.Dial {
	return dialgate.Dial{To: n, From: frFrom, Purpose: dialgate.PurposeMarketing, Tenant: "acme"}
}

// fr's "at most 4 calls per 30 days" counts the calls to a French overseas
// line once whichever spelling each dial uses: a dialer alternating
// +596 596 … and +33 596 … used to get 8.
func TestOverseasSpellingsShareOneCap(t *testing.T) {
	for name, open := range spellingStores(t) {
		t.Run(name, func(t *testing.T) {
			r := newRig(t, schedule.CapsFR(), open(t))
			for i := range 4 {
				n := domOwn
				if i%2 == 1 {
					n = domFR
				}
				r.want(start.Add(time.Duration(i)*time.Hour), marketingTo(n), true)
			}
			for i, n := range []dialgate.Number{domOwn, domFR} {
				dec := r.want(start.Add(time.Duration(5+i)*time.Hour), marketingTo(n), false)
				if got := evidence(dec.Reasons[0], "frequency.count"); got != "4" {
					t.Errorf("%s: frequency.count = %q, want 4", n, got)
				}
			}
			// The first call leaves the window 30 days on: one slot again.
			r.want(start.Add(30*24*time.Hour+time.Minute), marketingTo(domFR), true)
			r.want(start.Add(30*24*time.Hour+2*time.Minute), marketingTo(domOwn), false)
		})
	}
}

// Calls counted before the upgrade, under each spelling's own key, still
// count: two under +596 … and two under +33 … fill fr's cap of 4.
func TestOverseasSpellingsKeepCountsOfEitherSpelling(t *testing.T) {
	const suffix = "|cap|callee|marketing|30d"
	for name, open := range spellingStores(t) {
		t.Run(name, func(t *testing.T) {
			store := open(t)
			ctx := context.Background()
			for i, n := range []dialgate.Number{domOwn, domOwn, domFR, domFR} {
				l := storage.Limit{Key: legacyKey(n, "acme", suffix), Window: 30 * day, Max: 4}
				if ok, _, err := store.Reserve(ctx, "frequency:old-"+strconv.Itoa(i), start.Add(time.Duration(i)*time.Hour), []storage.Limit{l}); err != nil || !ok {
					t.Fatalf("seeding: %v %v", ok, err)
				}
			}
			r := newRig(t, schedule.CapsFR(), store)
			for _, n := range []dialgate.Number{domOwn, domFR} {
				dec := r.want(start.Add(5*time.Hour), marketingTo(n), false)
				if got := evidence(dec.Reasons[0], "frequency.count"); got != "4" {
					t.Errorf("%s: frequency.count = %q, want 4", n, got)
				}
				if want := start.Add(30 * day); dec.Reasons[0].NextAllowedAt.Before(want) {
					t.Errorf("%s: next allowed at %s, before the first call leaves the window (%s)", n, dec.Reasons[0].NextAllowedAt, want)
				}
			}
			// Three counted before: one slot left, taken under either spelling.
			if err := store.Release(ctx, "frequency:old-3"); err != nil {
				t.Fatal(err)
			}
			r.want(start.Add(6*time.Hour), marketingTo(domFR), true)
			r.want(start.Add(7*time.Hour), marketingTo(domOwn), false)
			r.want(start.Add(7*time.Hour), marketingTo(domFR), false)
		})
	}
}

// A refusal reported under one spelling pauses dials under the other (fr's
// 60 days), and so does an abandoned call (uk's 72 hours); an outcome
// recorded before the upgrade under either spelling's own key too.
func TestOverseasSpellingsSharePauses(t *testing.T) {
	for name, open := range spellingStores(t) {
		t.Run(name, func(t *testing.T) {
			for _, tc := range []struct {
				name     string
				cfg      schedule.CapsConfig
				outcome  dialgate.Outcome
				suffix   string
				pause    time.Duration
				purposes dialgate.Purpose
			}{
				{"fr refusal", schedule.CapsFR(), dialgate.Outcome{Answered: true, Refused: true}, "|pause_refusal|callee|marketing|61d", 61 * day, dialgate.PurposeMarketing},
				{"uk abandoned", schedule.CapsUK(), dialgate.Outcome{Abandoned: true}, "|pause_abandoned|callee||3d", 72 * time.Hour, dialgate.PurposeService},
			} {
				for _, spelt := range []struct{ report, dial dialgate.Number }{{domOwn, domFR}, {domFR, domOwn}} {
					t.Run(tc.name+"/reported "+spelt.report.String(), func(t *testing.T) {
						store := open(t)
						r := newRig(t, tc.cfg, store)
						d := marketingTo(spelt.report)
						d.Purpose = tc.purposes
						placed := r.want(start, d, true)
						o := tc.outcome
						o.DecisionID, o.Dial = placed.ID, placed.Dial
						r.clock.set(start.Add(time.Minute))
						if err := r.gate.ReportOutcome(context.Background(), o); err != nil {
							t.Fatal(err)
						}
						d.To = spelt.dial
						r.want(start.Add(time.Hour), d, false)
						r.want(start.Add(time.Minute+tc.pause-time.Second), d, false)
						r.want(start.Add(time.Minute+tc.pause), d, true)
					})
					t.Run(tc.name+"/before the upgrade under "+spelt.report.String(), func(t *testing.T) {
						store := open(t)
						l := storage.Limit{Key: legacyKey(spelt.report, "acme", tc.suffix), Window: tc.pause, Max: 1 << 30}
						if ok, _, err := store.Reserve(context.Background(), "old-outcome", start, []storage.Limit{l}); err != nil || !ok {
							t.Fatalf("seeding: %v %v", ok, err)
						}
						r := newRig(t, tc.cfg, store)
						for _, n := range []dialgate.Number{domOwn, domFR} {
							d := marketingTo(n)
							d.Purpose = tc.purposes
							dec := r.want(start.Add(time.Hour), d, false)
							if want := start.Add(tc.pause); !dec.Reasons[0].NextAllowedAt.Equal(want) {
								t.Errorf("%s: next allowed at %s, want %s", n, dec.Reasons[0].NextAllowedAt, want)
							}
						}
					})
				}
			}
		})
	}
}

// Dials under both spellings at once never both take a cap's last slot,
// also when part of the count was kept under the other spelling's key
// before the upgrade.
func TestOverseasSpellingsRaceForLastSlot(t *testing.T) {
	const suffix = "|cap|callee|marketing|30d"
	for name, open := range spellingStores(t) {
		t.Run(name, func(t *testing.T) {
			store := open(t)
			ctx := context.Background()
			for i, n := range []dialgate.Number{domFR, domFR} {
				l := storage.Limit{Key: legacyKey(n, "acme", suffix), Window: 30 * day, Max: 4}
				if ok, _, err := store.Reserve(ctx, "frequency:old-"+strconv.Itoa(i), start.Add(-time.Duration(i+1)*time.Hour), []storage.Limit{l}); err != nil || !ok {
					t.Fatalf("seeding: %v %v", ok, err)
				}
			}
			r := newRig(t, schedule.CapsFR(), store)
			// A shared store under -race on a busy machine may take longer
			// than the default check timeout to serialise 32 reservations.
			g, err := dialgate.New([]dialgate.Checker{r.caps}, dialgate.WithoutAuditLog(), dialgate.WithClock(r.clock), dialgate.WithCheckTimeout(30*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			r.gate = g
			r.want(start, marketingTo(domOwn), true) // 3 of 4
			var (
				wg      sync.WaitGroup
				allowed atomic.Int32
				startCh = make(chan struct{})
			)
			r.clock.set(start.Add(time.Hour))
			for i := range 32 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-startCh
					n := domOwn
					if i%2 == 1 {
						n = domFR
					}
					d := marketingTo(n)
					d.Campaign = "c" + strconv.Itoa(i)
					dec, err := r.gate.Check(ctx, d)
					if err != nil {
						t.Error(err)
						return
					}
					if dec.Allowed {
						allowed.Add(1)
					} else if !dec.Has(dialgate.CodeFrequencyCapped) {
						t.Errorf("denied without frequency.capped: %+v", dec.Reasons)
					}
				}()
			}
			close(startCh)
			wg.Wait()
			if got := allowed.Load(); got != 1 {
				t.Fatalf("32 concurrent dials under both spellings: %d allowed, want exactly 1 (the last slot)", got)
			}
		})
	}
}

// While a changed window is carried (WithCounterHistory), the calls counted
// under the earlier key under either spelling still count.
func TestOverseasSpellingsWithCounterHistory(t *testing.T) {
	prev := capsOf(oneCap(2, 30*day))
	next := capsOf(oneCap(2, 60*day))
	h := history(t, prev, next, start)
	store := memstore.New()
	ctx := context.Background()
	for i, n := range []dialgate.Number{domOwn, domFR} {
		l := storage.Limit{Key: legacyKey(n, "acme", "|cap|callee||30d"), Window: 30 * day, Max: 2}
		if ok, _, err := store.Reserve(ctx, "frequency:old-"+strconv.Itoa(i), start.Add(-time.Duration(i+1)*time.Hour), []storage.Limit{l}); err != nil || !ok {
			t.Fatalf("seeding: %v %v", ok, err)
		}
	}
	r := newHistoryRig(t, next, store, h)
	r.want(start.Add(time.Hour), marketingTo(domOwn), false)
	r.want(start.Add(time.Hour), marketingTo(domFR), false)
}

// A line of another country is counted as spelt: no other key is read.
func TestNonOverseasNumberReadsOneKey(t *testing.T) {
	store := &countingStore{Counters: memstore.New()}
	r := newRig(t, schedule.CapsFR(), store)
	r.want(start, marketingTo(dialgate.MustParseNumber("+33159000002")), true)
	keys := map[string]bool{}
	for _, k := range store.keys {
		keys[k] = true
	}
	if len(keys) != 2 { // the cap and the pause
		t.Errorf("keys %v, want the cap's and the pause's only", store.keys)
	}
}
