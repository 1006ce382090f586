package schedule_test

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
)

// The cn caps count a callee's calls across every caller ID, campaign,
// industry, business line and purpose of a tenant, and apart per tenant.
func TestCapsCountAcrossEveryAttributeButTenant(t *testing.T) {
	r := newRig(t, schedule.CapsCN(), memstore.New())
	r.want(start, dialgate.Dial{To: callee, From: from1, Campaign: "winter", Industry: "finance", BusinessLine: "loans", Purpose: dialgate.PurposeMarketing, ConsentID: "c-1"}, true)
	at := start.Add(24 * time.Hour / 2)
	r.want(at, dialgate.Dial{To: callee, From: from2, Campaign: "spring", Industry: "insurance", BusinessLine: "cards", Purpose: dialgate.PurposeService}, true)
	// A third call within 24 hours, however it differs, is the daily cap.
	for _, d := range []dialgate.Dial{
		{To: callee, From: from1, Campaign: "summer"},
		{To: callee, From: from2, Industry: "telecom"},
		{To: callee, BusinessLine: "mortgages"},
		{To: callee, Purpose: dialgate.PurposeSurvey},
		{To: callee, Purpose: dialgate.PurposeCallback, TriggerAt: at.Add(6 * time.Minute)},
	} {
		r.want(at.Add(6*time.Minute), d, false)
	}
	// Another tenant counts its own calls.
	r.want(at.Add(6*time.Minute), dialgate.Dial{To: callee, Tenant: "globex"}, true)
}

// lateStore answers Reserve successfully, but only after the Gate's check
// timeout has passed: a reservation the Gate cannot count on.
type lateStore struct {
	storage.Counters
	delay time.Duration
}

func (s lateStore) Reserve(ctx context.Context, id string, t time.Time, ls []storage.Limit) (bool, []storage.Usage, error) {
	time.Sleep(s.delay)
	return s.Counters.Reserve(context.WithoutCancel(ctx), id, t, ls)
}

// hungStore never answers Usage before the caller's context ends.
type hungStore struct{ storage.Counters }

func (hungStore) Usage(ctx context.Context, _ time.Time, _ []storage.Limit) ([]storage.Usage, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// A store that answers after the check timeout, or not at all, denies the
// dial with frequency.unavailable (fail closed), and a reservation made
// late is given back rather than left counting a call never placed.
func TestSlowStoreDeniesAndGivesBack(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		store func(storage.Counters) storage.Counters
	}{
		{"reserve answers late", func(c storage.Counters) storage.Counters { return lateStore{c, 80 * time.Millisecond} }},
		{"usage hangs", func(c storage.Counters) storage.Counters { return hungStore{c} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inner := memstore.New()
			caps, err := schedule.NewCapCheck(schedule.CapsCN(), tc.store(inner), schedule.WithCapHashKey(testHK))
			if err != nil {
				t.Fatal(err)
			}
			g, err := dialgate.New([]dialgate.Checker{caps}, dialgate.WithoutAuditLog(),
				dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return start })),
				dialgate.WithCheckTimeout(20*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			dec, err := g.Check(ctx, dialgate.Dial{To: callee, From: from1, Purpose: dialgate.PurposeService, Tenant: "acme"})
			if err != nil {
				t.Fatal(err)
			}
			if dec.Allowed || !dec.Has(dialgate.UnavailableCode("frequency")) {
				t.Fatalf("slow store: allowed %v %+v, want frequency.unavailable", dec.Allowed, dec.Reasons)
			}
			// Nothing stays counted: the same callee is allowed at once
			// through a Gate on the store itself.
			direct := newRig(t, schedule.CapsCN(), inner)
			direct.want(start, dialgate.Dial{To: callee, From: from1}, true)
		})
	}
}
