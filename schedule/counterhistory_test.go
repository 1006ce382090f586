package schedule_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
)

const day = 24 * time.Hour

var historyCite = dialgate.Citation{Source: dialgate.SourceConvention, Ref: "history test"}

func capsOf(caps ...schedule.Cap) schedule.CapsConfig {
	for i := range caps {
		caps[i].Cite = historyCite
	}
	return schedule.CapsConfig{Caps: caps}
}

func oneCap(n int, w time.Duration) schedule.Cap {
	return schedule.Cap{Count: n, Window: dialgate.Duration(w)}
}

// history returns the history a run of next keeps when it starts at now
// after a run of prev (itself the first run).
func history(t *testing.T, prev, next schedule.CapsConfig, now time.Time) schedule.CounterHistory {
	t.Helper()
	h0, err := schedule.NextCounterHistory(schedule.CounterHistory{}, prev, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(h0.Transitions) != 0 {
		t.Fatalf("first run carries %+v", h0.Transitions)
	}
	h1, err := schedule.NextCounterHistory(h0, next, now)
	if err != nil {
		t.Fatal(err)
	}
	return h1
}

// newHistoryRig is newRig with the counter history h.
func newHistoryRig(t *testing.T, cfg schedule.CapsConfig, counters storage.Counters, h schedule.CounterHistory) *rig {
	t.Helper()
	caps, err := schedule.NewCapCheck(cfg, counters, schedule.WithCapHashKey(testHK), schedule.WithCounterHistory(h))
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: start}
	g, err := dialgate.New([]dialgate.Checker{caps}, dialgate.WithoutAuditLog(), dialgate.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	return &rig{t: t, gate: g, clock: clk, caps: caps}
}

// Lengthening the longest window (cn's 30 days to 60) keeps the call counted
// before the change: the callee stays capped until the call leaves the new
// window, and the carrying then ends.
func TestCounterHistoryLongerWindow(t *testing.T) {
	store := &countingStore{Counters: memstore.New()}
	old, cur := capsOf(oneCap(1, 30*day)), capsOf(oneCap(1, 60*day))
	d := dialgate.Dial{To: callee, From: from1}
	newRig(t, old, store).want(start, d, true)

	switched := start.Add(day)
	h := history(t, old, cur, switched)
	if len(h.Transitions) != 1 || h.Transitions[0].From.Suffix != "|cap|callee||30d" || !h.Transitions[0].Since.Equal(switched) {
		t.Fatalf("transitions %+v", h.Transitions)
	}
	until := h.Transitions[0].Until(cur)
	if want := switched.Add(60*day + dialgate.MaxAllowLifetime + storage.PruneMargin); !until.Equal(want) {
		t.Fatalf("Until = %s, want %s (the new window, the longest allow lifetime and the clock margin from the change)", until, want)
	}
	r := newHistoryRig(t, cur, store, h)
	dec := r.want(switched.Add(time.Hour), d, false)
	if len(dec.Reasons) != 1 {
		t.Fatalf("reasons %+v, want the cap once", dec.Reasons)
	}
	if got, want := dec.Reasons[0].NextAllowedAt, start.Add(60*day+time.Minute); !got.Equal(want) { // counted over 60d1m
		t.Errorf("NextAllowedAt = %s, want %s", got, want)
	}
	if got := evidence(dec.Reasons[0], "frequency.cap"); got != "1 call per 60d per callee" {
		t.Errorf("frequency.cap = %q", got)
	}
	// Past the old 30 days the 60-day cap still counts the old call.
	r.want(start.Add(45*day), d, false)
	// Once it left 60 days the callee may be called; that call is counted
	// under both keys while the carrying lasts.
	placed := start.Add(60*day + time.Minute)
	r.want(placed, d, true)
	if dec := r.want(placed.Add(time.Hour), d, false); len(dec.Reasons) != 1 {
		t.Errorf("reasons %+v, want the cap once (counted under both keys)", dec.Reasons)
	}

	// From Until on, the earlier key is no longer used.
	store.mu.Lock()
	store.keys = nil
	store.mu.Unlock()
	r.want(until, d, false) // the call placed at day 60 still counts
	store.mu.Lock()
	defer store.mu.Unlock()
	for _, k := range store.keys {
		if strings.HasSuffix(k, "|30d") {
			t.Errorf("after Until the check still used %q", k)
		}
	}
	if len(store.keys) == 0 {
		t.Error("no keys used")
	}
}

// Shortening the longest window keeps the earlier key's pruning horizon: a
// check still on the earlier configuration (a fleet host not yet restarted)
// keeps seeing every call, including those placed under the new one.
func TestCounterHistoryShorterWindowKeepsHorizon(t *testing.T) {
	store := memstore.New()
	old, cur := capsOf(oneCap(2, 30*day)), capsOf(oneCap(1, 7*day))
	d := dialgate.Dial{To: callee, From: from1}
	oldRig := newRig(t, old, store)
	oldRig.want(start, d, true)

	switched := start.Add(day)
	r := newHistoryRig(t, cur, store, history(t, old, cur, switched))
	r.want(switched, d, false) // within 7 days of the old call
	r.want(start.Add(7*day+time.Minute), d, true)
	// Two calls within 30 days under the earlier key: the earlier
	// configuration caps the callee.
	oldRig.want(start.Add(8*day), d, false)
}

// Adding a longer cap of the same scope and purposes moves the group to a
// new key: the calls counted before keep counting under every cap, and a
// passing dial's evidence reports the count with them, once per cap.
func TestCounterHistoryAddedLongerCap(t *testing.T) {
	store := memstore.New()
	old := capsOf(oneCap(2, day), oneCap(3, 30*day))
	cur := capsOf(oneCap(2, day), oneCap(3, 30*day), oneCap(4, 90*day))
	d := dialgate.Dial{To: callee, From: from1}
	or := newRig(t, old, store)
	or.want(start, d, true)
	or.want(start.Add(2*day), d, true)

	r := newHistoryRig(t, cur, store, history(t, old, cur, start.Add(3*day)))
	caps := r.caps
	ctx := context.Background()
	dd := d
	// A day and a minute after the second call: the 24-hour cap counts
	// over 24h1m (the allow lifetime).
	dd.Tenant, dd.Purpose, dd.At = "acme", dialgate.PurposeService, start.Add(3*day+time.Minute)
	rs, ev, err := caps.Attest(ctx, dd)
	if err != nil || len(rs) != 0 {
		t.Fatalf("Attest: %v %+v", err, rs)
	}
	want := []string{"0 of 2 calls per 24h per callee", "2 of 3 calls per 30d per callee", "2 of 4 calls per 90d per callee"}
	if len(ev) != len(want) {
		t.Fatalf("evidence %+v, want %v", ev, want)
	}
	for i, e := range ev {
		if e.Key != "frequency.seen" || e.Value != want[i] {
			t.Errorf("evidence[%d] = %+v, want frequency.seen %q", i, e, want[i])
		}
	}
	r.want(start.Add(3*day+time.Minute), d, true)
	dec := r.want(start.Add(4*day), d, false)
	if len(dec.Reasons) != 1 || evidence(dec.Reasons[0], "frequency.cap") != "3 calls per 30d per callee" {
		t.Errorf("reasons %+v, want the 30-day cap once", dec.Reasons)
	}
	// Beyond 30 days of the first calls, the 90-day cap still counts them.
	r.want(start.Add(33*day), d, true)
	r.want(start.Add(35*day), d, false)
}

// Changing a pause's window (uk's pause after an abandoned call, 72h to 96h)
// keeps the abandoned calls reported before: the callee stays paused for the
// new window. Outcomes reported meanwhile are recorded under both keys.
func TestCounterHistoryPauseWindow(t *testing.T) {
	store := memstore.New()
	pause := func(w time.Duration) schedule.CapsConfig {
		return schedule.CapsConfig{PauseAfterAbandoned: &schedule.Pause{Window: dialgate.Duration(w), Cite: pauseCite}}
	}
	old, cur := pause(72*time.Hour), pause(96*time.Hour)
	d := dialgate.Dial{To: callee, From: from1, Purpose: dialgate.PurposeMarketing}
	ab := outcomePauses()[0]
	oldRig := newRig(t, old, store)
	placed := oldRig.want(start, d, true)
	ab.report(t, oldRig, start.Add(time.Minute), placed.ID, placed.Dial)

	switched := start.Add(time.Hour)
	h := history(t, old, cur, switched)
	if len(h.Transitions) != 1 || h.Transitions[0].From.Suffix != "|pause_abandoned|callee||3d" {
		t.Fatalf("transitions %+v", h.Transitions)
	}
	r := newHistoryRig(t, cur, store, h)
	dec := r.want(start.Add(80*time.Hour), d, false)
	if want := start.Add(time.Minute + 96*time.Hour); len(dec.Reasons) != 1 || !dec.Reasons[0].NextAllowedAt.Equal(want) {
		t.Fatalf("reasons %+v, want the 96h pause once, until %s", dec.Reasons, want)
	}
	r.want(start.Add(97*time.Hour+time.Minute), d, true)
	// While the carrying lasts, an abandoned call reported to the new
	// configuration pauses the callee for a check still on the earlier one,
	// too.
	d2 := d
	d2.To = dialgate.MustParseNumber("+8613900139002")
	placed = r.want(start.Add(2*time.Hour), d2, true)
	ab.report(t, r, start.Add(3*time.Hour), placed.ID, placed.Dial)
	oldRig.want(start.Add(4*time.Hour), d2, false)
	r.want(start.Add(4*time.Hour), d2, false)
}

// Concurrent dials for a callee with calls counted before the change never
// take more than the cap leaves.
func TestCounterHistoryConcurrent(t *testing.T) {
	store := memstore.New()
	old, cur := capsOf(oneCap(5, 30*day)), capsOf(oneCap(5, 60*day))
	d := dialgate.Dial{To: callee, From: from1}
	or := newRig(t, old, store)
	for i := range 2 {
		or.want(start.Add(time.Duration(i)*time.Minute), d, true)
	}
	r := newHistoryRig(t, cur, store, history(t, old, cur, start.Add(time.Hour)))
	r.clock.set(start.Add(2 * time.Hour))
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dec, err := r.gate.Check(context.Background(), dialgate.Dial{To: callee, From: from1, Tenant: "acme", Purpose: dialgate.PurposeService})
			if err != nil {
				t.Error(err)
				return
			}
			if dec.Allowed {
				allowed.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := allowed.Load(); n != 3 {
		t.Errorf("%d dials allowed, want 3 (5 minus the 2 counted before the change)", n)
	}
}

// NextCounterHistory keeps a transition until it ends, drops one whose key is
// in use again (a change undone), and carries the key that change left.
func TestNextCounterHistory(t *testing.T) {
	c30, c60 := capsOf(oneCap(1, 30*day)), capsOf(oneCap(1, 60*day))
	h := history(t, c30, c60, start)
	if keys, err := schedule.CounterKeys(c60); err != nil || !slices.Equal(keys, h.Keys) {
		t.Fatalf("CounterKeys = %+v, %v, want %+v", keys, err, h.Keys)
	}
	later, err := schedule.NextCounterHistory(h, c60, start.Add(59*day))
	if err != nil || len(later.Transitions) != 1 || !later.Transitions[0].Since.Equal(start) {
		t.Fatalf("a day before Until: %+v, %v", later, err)
	}
	ended, err := schedule.NextCounterHistory(h, c60, start.Add(60*day+dialgate.MaxAllowLifetime+storage.PruneMargin))
	if err != nil || len(ended.Transitions) != 0 {
		t.Fatalf("at Until: %+v, %v", ended, err)
	}
	undone, err := schedule.NextCounterHistory(h, c30, start.Add(day))
	if err != nil || len(undone.Transitions) != 1 || undone.Transitions[0].From.Suffix != "|cap|callee||60d" || !undone.Transitions[0].Since.Equal(start.Add(day)) {
		t.Fatalf("undone: %+v, %v", undone, err)
	}
	// Two changes in a row carry both earlier keys, each until its calls
	// left the newest window.
	c90 := capsOf(oneCap(1, 90*day))
	twice, err := schedule.NextCounterHistory(h, c90, start.Add(day))
	if err != nil || len(twice.Transitions) != 2 {
		t.Fatalf("twice: %+v, %v", twice, err)
	}
	if got := twice.Transitions[0].Until(c90); !got.Equal(start.Add(90*day + dialgate.MaxAllowLifetime + storage.PruneMargin)) {
		t.Errorf("first transition Until = %s", got)
	}
}

// A malformed history, or one made for another configuration, is refused
// with an error naming the field.
func TestCounterHistoryInvalid(t *testing.T) {
	c30, c60 := capsOf(oneCap(1, 30*day)), capsOf(oneCap(1, 60*day))
	h := history(t, c30, c60, start)
	bad := func(name string, h schedule.CounterHistory, cfg schedule.CapsConfig, field string) {
		t.Helper()
		_, err := schedule.NewCapCheck(cfg, memstore.New(), schedule.WithCounterHistory(h))
		if !errors.Is(err, schedule.ErrInvalidCaps) || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: %v, want ErrInvalidCaps naming %s", name, err, field)
		}
	}
	bad("another configuration", h, c30, "WithCounterHistory: keys")
	h2 := h
	h2.Transitions = []schedule.CounterTransition{{From: schedule.CounterKey{Suffix: "30d", Window: dialgate.Duration(30 * day)}, Since: start}}
	bad("suffix", h2, c60, "WithCounterHistory.transitions[0].from.suffix")
	h2.Transitions = []schedule.CounterTransition{{From: schedule.CounterKey{Suffix: "|cap|callee||30d"}, Since: start}}
	bad("window", h2, c60, "WithCounterHistory.transitions[0].from.window")
	// A window other than the one the suffix names (a hand-edited file)
	// would end the carrying, or prune the earlier key, at the wrong time.
	h2.Transitions = []schedule.CounterTransition{{From: schedule.CounterKey{Suffix: "|cap|callee||30d", Window: dialgate.Duration(day)}, Since: start}}
	bad("window not the suffix's", h2, c60, `WithCounterHistory.transitions[0].from.window: 24h is not the window 30d the suffix "|cap|callee||30d" names`)
	h3 := h
	h3.Keys = []schedule.CounterKey{{Suffix: "|cap|callee||60d", Window: dialgate.Duration(30 * day)}}
	bad("key window not the suffix's", h3, c60, "WithCounterHistory.keys[0].window")
	h2.Transitions = []schedule.CounterTransition{{From: h.Transitions[0].From}}
	bad("since", h2, c60, "WithCounterHistory.transitions[0].since")
	if _, err := schedule.NextCounterHistory(h2, c60, start); !errors.Is(err, schedule.ErrInvalidCaps) || !strings.Contains(err.Error(), "prev.transitions[0].since") {
		t.Errorf("NextCounterHistory with a bad prev: %v", err)
	}
}

// A caller keeps the history between runs: the first run carries nothing,
// a run whose configuration lengthened a window carries the earlier key.
func ExampleNextCounterHistory() {
	cite := dialgate.Citation{Source: dialgate.SourceConvention, Ref: "example"}
	before := schedule.CapsConfig{Caps: []schedule.Cap{{Count: 1, Window: dialgate.Duration(30 * 24 * time.Hour), Cite: cite}}}
	after := schedule.CapsConfig{Caps: []schedule.Cap{{Count: 1, Window: dialgate.Duration(60 * 24 * time.Hour), Cite: cite}}}
	first := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	h, _ := schedule.NextCounterHistory(schedule.CounterHistory{}, before, first) // kept (e.g. in a file)
	h, _ = schedule.NextCounterHistory(h, after, first.Add(24*time.Hour))         // the next start
	for _, t := range h.Transitions {
		fmt.Println(t.From.Suffix, "carried until", t.Until(after).Format(time.DateOnly))
	}
	caps, err := schedule.NewCapCheck(after, memstore.New(), schedule.WithCounterHistory(h))
	fmt.Println(caps != nil, err)
	// Output:
	// |cap|callee||30d carried until 2027-01-31
	// true <nil>
}

// preWindowKey is the counter key a build from before counter keys named
// their window wrote for a dial's callee: "frequency|<hash>|<kind>|<scope>|<purposes>".
func preWindowKey(d dialgate.Dial, suffix string) string {
	m := hmac.New(sha256.New, testHK)
	m.Write([]byte("callee\x00" + d.Tenant + "\x00" + strconv.FormatUint(d.To.Uint64(), 10)))
	return "frequency|" + hex.EncodeToString(m.Sum(nil)[:16]) + suffix
}

// A data directory or fleet store written by a build from before counter
// keys named their longest window holds its calls under keys without the
// window. The first start that carries them (CarryPreWindowKeys) keeps
// counting those calls until they have left every window: a callee called
// just before the upgrade is not called again within the cap.
func TestCounterHistoryPreWindowKeys(t *testing.T) {
	store := &countingStore{Counters: memstore.New()}
	cfg := capsOf(oneCap(1, 5*time.Minute), oneCap(2, day))
	d := dialgate.Dial{To: callee, From: from1, Tenant: "acme"}
	ctx := context.Background()
	// The earlier build's reservation: one limit per cap, one key.
	ok, _, err := store.Reserve(ctx, "frequency:old-1", start, []storage.Limit{
		{Key: preWindowKey(d, "|cap|callee|"), Window: 5 * time.Minute, Max: 1},
		{Key: preWindowKey(d, "|cap|callee|"), Window: day, Max: 2},
	})
	if err != nil || !ok {
		t.Fatalf("Reserve = %v, %v", ok, err)
	}

	upgraded := start.Add(time.Minute)
	h0, err := schedule.NextCounterHistory(schedule.CounterHistory{}, cfg, upgraded)
	if err != nil {
		t.Fatal(err)
	}
	h := schedule.CarryPreWindowKeys(h0, upgraded)
	if len(h.Transitions) != 1 || h.Transitions[0].From.Suffix != "|cap|callee|" || h.Transitions[0].From.Window != dialgate.Duration(day) {
		t.Fatalf("transitions %+v, want |cap|callee| for 24h", h.Transitions)
	}
	r := newHistoryRig(t, cfg, store, h)
	r.want(start.Add(2*time.Minute), d, false) // 1 per 5 minutes
	r.want(start.Add(6*time.Minute), d, true)  // the second of 2 per 24 h
	r.want(start.Add(time.Hour), d, false)     // 2 per 24 h

	// The carrying is kept by the next start and ends with the window.
	h2, err := schedule.NextCounterHistory(h, cfg, start.Add(2*time.Hour))
	if err != nil || len(h2.Transitions) != 1 {
		t.Fatalf("next start: %+v, %v; want the transition kept", h2.Transitions, err)
	}
	if h3, err := schedule.NextCounterHistory(h, cfg, upgraded.Add(day+dialgate.MaxAllowLifetime+storage.PruneMargin)); err != nil || len(h3.Transitions) != 0 {
		t.Fatalf("a day later: %+v, %v; want it ended", h3.Transitions, err)
	}
	// A pre-window suffix is an earlier key, never one of the configuration's.
	bad := h0
	bad.Keys = append(slices.Clone(bad.Keys), schedule.CounterKey{Suffix: "|cap|callee|", Window: dialgate.Duration(day)})
	if _, err := schedule.NewCapCheck(cfg, store, schedule.WithCounterHistory(bad)); err == nil {
		t.Error("a pre-window key among the configuration's keys was accepted")
	}
}

// The pause after a conversation had its key before keys named their
// window, too.
func TestCounterHistoryPreWindowPause(t *testing.T) {
	cfg := schedule.CapsConfig{PauseAfterConversation: &schedule.Pause{Window: dialgate.Duration(7 * day), Cite: pauseCite},
		PauseAfterAbandoned: &schedule.Pause{Window: dialgate.Duration(3 * day), Cite: pauseCite}}
	h0, err := schedule.NextCounterHistory(schedule.CounterHistory{}, cfg, start)
	if err != nil {
		t.Fatal(err)
	}
	h := schedule.CarryPreWindowKeys(h0, start)
	if len(h.Transitions) != 1 || h.Transitions[0].From.Suffix != "|pause|callee|" {
		t.Fatalf("transitions %+v, want only the conversation pause (the abandoned one came with windowed keys)", h.Transitions)
	}
	// The earlier build recorded a conversation as a reservation of its own
	// under the pause key: the callee stays paused for its window.
	store := memstore.New()
	d := dialgate.Dial{To: callee, From: from1, Tenant: "acme", Purpose: dialgate.PurposeMarketing}
	if ok, _, err := store.Reserve(context.Background(), "frequency.conversation:dg-old-1", start,
		[]storage.Limit{{Key: preWindowKey(d, "|pause|callee|"), Window: 7 * day, Max: 1 << 30}}); err != nil || !ok {
		t.Fatalf("Reserve = %v, %v", ok, err)
	}
	r := newHistoryRig(t, cfg, store, h)
	r.want(start.Add(6*day), d, false)
	r.want(start.Add(7*day+time.Minute), d, true)
}

// A carried cap counts the earlier key's calls over the new window plus the
// allow lifetime, so its carrying lasts that much longer too: a call decided
// just before the change may be placed up to the lifetime after it, and a
// dial decided past Since plus the new window (but within the lifetime of
// it) must still see it. The carrying ended at Since plus the window, and
// the earlier call was not counted: two calls placed 9m11s apart under
// "1 call per 10 minutes".
func TestCounterHistoryCarriesOverAllowLifetime(t *testing.T) {
	store := memstore.New()
	old, cur := capsOf(oneCap(1, 5*time.Minute)), capsOf(oneCap(1, 10*time.Minute))
	d := dialgate.Dial{To: callee, From: from1}
	newRig(t, old, store).want(start, d, true) // may be placed until start+60s

	switched := start.Add(time.Second)
	h := history(t, old, cur, switched)
	if len(h.Transitions) != 1 {
		t.Fatalf("transitions %+v", h.Transitions)
	}
	r := newHistoryRig(t, cur, store, h)
	at := switched.Add(10*time.Minute + 10*time.Second) // within 10m of start+60s
	if dec := r.want(at, d, false); len(dec.Reasons) != 1 {
		t.Errorf("reasons %+v, want the cap once", dec.Reasons)
	}
	// A restart within that margin still carries the earlier key.
	next, err := schedule.NextCounterHistory(h, cur, at)
	if err != nil || len(next.Transitions) != 1 {
		t.Fatalf("NextCounterHistory within the lifetime margin: %+v, %v", next, err)
	}
}
