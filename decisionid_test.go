package dialgate_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/boltstore"
	"github.com/dialgate/dialgate/storage/memstore"
)

// idLenStores are the embedded stores the decision-id tests run on.
func idLenStores(t *testing.T) map[string]storage.Counters {
	t.Helper()
	bs, err := boltstore.Open(filepath.Join(t.TempDir(), "counters.db"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bs.Close() })
	return map[string]storage.Counters{"memstore": memstore.New(), "boltstore": bs}
}

// idLenGate is a Gate with uk's pause after an abandoned call (72 hours)
// on counters, whose decision ids are n bytes long (a prefix and a
// counter, padded with "x").
func idLenGate(t *testing.T, counters storage.Counters, n int, now *atomic.Pointer[time.Time]) *dialgate.Gate {
	t.Helper()
	cc, err := schedule.NewCapCheck(schedule.CapsConfig{PauseAfterAbandoned: &schedule.Pause{
		Window: dialgate.Duration(72 * time.Hour), Cite: dialgate.Citation{Source: dialgate.SourceRegulator, Ref: "id length test"}}}, counters)
	if err != nil {
		t.Fatal(err)
	}
	var seq atomic.Int64
	ids := func() string {
		id := fmt.Sprintf("d%d-", seq.Add(1))
		return id + strings.Repeat("x", n-len(id))
	}
	g, err := dialgate.New([]dialgate.Checker{cc}, dialgate.WithoutAuditLog(), dialgate.WithDecisionIDs(ids),
		dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return *now.Load() })))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// An abandoned call under uk starts a 72-hour pause of its callee whatever
// the length of the decision id the Gate's id source gave it: a dial
// allowed, then reported abandoned, is never allowed again within the
// pause. Before session 21 an id of about 930 bytes or more (a custom
// WithDecisionIDs) was allowed, but the pause's record, keyed by it, was
// refused by the store (longer than storage.MaxKeyLen): the callee could
// be called again at once. Now an id longer than MaxDecisionIDLen denies
// the dial (audit.unavailable, ErrInvalidConfig), and ids up to it record
// the pause on every store.
func TestDecisionIDLengthPauseRecorded(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 12, 7, 11, 0, 0, 0, time.UTC)
	d := dialgate.Dial{To: dialgate.MustParseNumber("+447700900123"), Purpose: dialgate.PurposeMarketing, Tenant: "acme"}
	for name, counters := range idLenStores(t) {
		for _, n := range []int{29, dialgate.MaxDecisionIDLen, dialgate.MaxDecisionIDLen + 1, 940, 1000, 1100} {
			t.Run(fmt.Sprintf("%s/%d", name, n), func(t *testing.T) {
				var now atomic.Pointer[time.Time]
				at := t0.Add(time.Duration(n) * 100 * time.Hour) // a callee history of its own
				now.Store(&at)
				g := idLenGate(t, counters, n, &now)
				dec, err := g.Check(ctx, d)
				if n > dialgate.MaxDecisionIDLen {
					if dec.Allowed || !dec.Has(dialgate.CodeAuditUnavailable) || !errors.Is(err, dialgate.ErrInvalidConfig) {
						t.Fatalf("a %d-byte id: allowed=%v %v, err %v; want a deny (audit.unavailable) wrapping ErrInvalidConfig", n, dec.Allowed, dec.Reasons, err)
					}
					if !strings.Contains(err.Error(), "longer than") {
						t.Fatalf("err %v does not say the id is too long", err)
					}
				}
				if !dec.Allowed {
					if n <= dialgate.MaxDecisionIDLen {
						t.Fatalf("a %d-byte id: denied %v, %v", n, dec.Reasons, err)
					}
					return
				}
				later := at.Add(time.Minute)
				now.Store(&later)
				oerr := g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Answered: true, Abandoned: true, AbandonMessage: true})
				again := at.Add(time.Hour)
				now.Store(&again)
				dec2, err := g.Check(ctx, d)
				if dec2.Allowed {
					t.Fatalf("a %d-byte id: the callee of an abandoned call is allowed again within uk's 72-hour pause (outcome error: %v, check error: %v)", n, oerr, err)
				}
				if oerr != nil {
					t.Fatalf("a %d-byte id: ReportOutcome: %v", n, oerr)
				}
			})
		}
	}
}

// Release and ReportOutcome refuse a decision id longer than
// MaxDecisionIDLen with an error naming decision_id (no Gate issues one);
// one of MaxDecisionIDLen bytes is taken.
func TestDecisionIDLengthReleaseOutcome(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 12, 7, 11, 0, 0, 0, time.UTC)
	var now atomic.Pointer[time.Time]
	now.Store(&at)
	g := idLenGate(t, memstore.New(), 29, &now)
	d := dialgate.Dial{To: dialgate.MustParseNumber("+447700900123"), Purpose: dialgate.PurposeMarketing, Tenant: "acme"}
	long := strings.Repeat("y", dialgate.MaxDecisionIDLen+1)
	var fe *dialgate.FieldError
	if err := g.Release(ctx, dialgate.Decision{ID: long, Dial: d}); !errors.As(err, &fe) || fe.Field != "decision_id" || !errors.Is(err, dialgate.ErrInvalidOutcome) {
		t.Fatalf("Release of a %d-byte id: %v", len(long), err)
	}
	if err := g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: long, Dial: d, Answered: true}); !errors.As(err, &fe) || fe.Field != "decision_id" || !errors.Is(err, dialgate.ErrInvalidOutcome) {
		t.Fatalf("ReportOutcome of a %d-byte id: %v", len(long), err)
	}
	if err := g.MarkPlaced(ctx, long); !errors.As(err, &fe) || fe.Field != "decision_id" {
		t.Fatalf("MarkPlaced of a %d-byte id: %v", len(long), err)
	}
	if err := g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: "d-\x1b[2J", Dial: d, Answered: true}); !errors.As(err, &fe) || fe.Field != "decision_id" {
		t.Fatalf("ReportOutcome of an id with a control character: %v", err)
	}
	max := strings.Repeat("z", dialgate.MaxDecisionIDLen)
	if err := g.Release(ctx, dialgate.Decision{ID: max, Dial: d}); err != nil {
		t.Fatalf("Release of a %d-byte id: %v", len(max), err)
	}
}

// A Gate whose id source gives an id with a control character or not
// UTF-8 (which the sidecar could not send, nor a dialer release) denies.
func TestDecisionIDNotText(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 12, 7, 11, 0, 0, 0, time.UTC)
	d := dialgate.Dial{To: dialgate.MustParseNumber("+447700900123"), Purpose: dialgate.PurposeMarketing, Tenant: "acme"}
	for _, id := range []string{"d-\n1", "d-\xff", "d-\u202e1"} {
		g, err := dialgate.New(nil, dialgate.WithoutAuditLog(), dialgate.WithDecisionIDs(func() string { return id }),
			dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return at })))
		if err != nil {
			t.Fatal(err)
		}
		dec, err := g.Check(ctx, d)
		if dec.Allowed || !dec.Has(dialgate.CodeAuditUnavailable) || !errors.Is(err, dialgate.ErrInvalidConfig) {
			t.Fatalf("id %q: allowed=%v %v, err %v", id, dec.Allowed, dec.Reasons, err)
		}
	}
}

// A Gate whose id source gives an id ending in "#placed" (the suffix of a
// recount's reservation, which Release refuses as never given back)
// denies: every id Check issues can be released, and no decision shares
// its reservations' id with the recount of another ("d1" and "d1#placed").
// Before session 21's re-read such a dial was allowed and its Release
// refused, its capacity held for the whole window.
func TestDecisionIDRecountSuffix(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 12, 7, 11, 0, 0, 0, time.UTC)
	d := dialgate.Dial{To: dialgate.MustParseNumber("+447700900123"), Purpose: dialgate.PurposeMarketing, Tenant: "acme"}
	g, err := dialgate.New(nil, dialgate.WithoutAuditLog(), dialgate.WithDecisionIDs(func() string { return "d1#placed" }),
		dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return at })))
	if err != nil {
		t.Fatal(err)
	}
	dec, err := g.Check(ctx, d)
	if dec.Allowed {
		rerr := g.Release(ctx, dec)
		t.Fatalf("id %q: allowed, and its Release: %v", dec.ID, rerr)
	}
	if !dec.Has(dialgate.CodeAuditUnavailable) || !errors.Is(err, dialgate.ErrInvalidConfig) || dec.ID != "" {
		t.Fatalf("id %q: %v, err %v", dec.ID, dec.Reasons, err)
	}
}
