package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/storage"
)

// TestConsentAgainstModel runs random sequences of consent.Store calls
// (grants, some with an id already used or an invalid field, revocations
// before and after the grant, repeated ones, of unknown ids; lookups by id
// and number, histories, the revision, its stamp and the events a cache
// replays from any revision) against the store returned by open, checking
// every answer against a reference model of the contract. Every store runs
// the same seeded sequences against the same model, so a withdrawal one
// store keeps and another loses, or an event a cache would miss, fails
// here. With WithReopen the store is also reopened now and then. The seed
// and operation are named on failure; testing.Short runs fewer seeds.
func TestConsentAgainstModel(t *testing.T, open func(t *testing.T) consent.Store, opts ...Option) {
	t.Helper()
	runT(t, consentModelCases(testing.Short()), open, newConfig(opts))
}

// CheckConsentAgainstModel is TestConsentAgainstModel outside a test,
// joining every failure (the short sequences).
func CheckConsentAgainstModel(ctx context.Context, open func() (consent.Store, error), opts ...Option) error {
	return checkAll(ctx, "ConsentModel", consentModelCases(true), open, newConfig(opts))
}

func consentModelCases(short bool) []testCase[consent.Store] {
	return randomSequences(short, 200, consentRandom)
}

// consentModel is the reference consentRandom checks a store against.
type consentModel struct {
	recs   map[string]consent.Record
	events []consent.Event // events[i].Seq == i+1
}

func (m *consentModel) byNumber(n dialgate.Number) []consent.Record {
	out := []consent.Record{}
	for _, r := range m.recs {
		if r.Number == n {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b consent.Record) int {
		return cmp.Or(a.GrantedAt.Compare(b.GrantedAt), cmp.Compare(a.ID, b.ID))
	})
	return out
}

func (m *consentModel) history(n dialgate.Number) []consent.Event {
	var out []consent.Event
	for _, e := range m.events {
		if e.Number == n {
			out = append(out, e)
		}
	}
	return out
}

func sameEvent(got, want consent.Event) error {
	if got.Seq != want.Seq || got.Type != want.Type || got.ConsentID != want.ConsentID || got.Number != want.Number ||
		!got.At.Equal(want.At) || got.Channel != want.Channel || !got.RequestedAt.Equal(want.RequestedAt) {
		return fmt.Errorf("event = %+v, want %+v", got, want)
	}
	return nil
}

func sameEvents(got, want []consent.Event) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d events %+v, want %d %+v", len(got), got, len(want), want)
	}
	for i := range got {
		if err := sameEvent(got[i], want[i]); err != nil {
			return fmt.Errorf("event %d: %w", i, err)
		}
	}
	return nil
}

func sameRecords(got, want []consent.Record) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d records, want %d (%v)", len(got), len(want), recordIDs(want))
	}
	for i := range got {
		if err := sameRecord(got[i], want[i]); err != nil {
			return fmt.Errorf("record %d: %w", i, err)
		}
	}
	return nil
}

func recordIDs(rs []consent.Record) []string {
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	return ids
}

// consentRandom: seeds × ops random calls, each seed on a fresh store. The
// clock moves forward, but grants and withdrawals are dated up to two hours
// either side of it (a withdrawal before its grant among them), with
// nanoseconds and zones other than UTC.
func consentRandom(ctx context.Context, h harness[consent.Store], seeds, ops int) error {
	nums := []dialgate.Number{conNum, conNum2, dialgate.MustParseNumber("+12125550142")}
	scopes := []struct {
		scope  consent.Scope
		tenant string
	}{{"industry:finance", ""}, {"industry:finance", "acme"}, {"tenant:acme", "acme"}, {"tenant:beta", ""},
		{"campaign:c1", "beta"}, {"business:loans", ""}}
	zones := []*time.Location{time.UTC, time.FixedZone("CST", 8*3600), time.FixedZone("NST", -(3*3600 + 1800))}
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		s, err := openConsent(h)
		if err != nil {
			return err
		}
		rng := rand.New(rand.NewPCG(seed, 31))
		m := &consentModel{recs: map[string]consent.Record{}}
		var ids []string
		stamps := map[uint64]string{} // the stamp seen at each revision
		now := t0
		instant := func() time.Time {
			t := now.Add(time.Duration(rng.IntN(240)-120) * time.Minute)
			if rng.IntN(3) == 0 {
				t = t.Add(time.Duration(rng.IntN(1_000_000_000)))
			}
			return t.In(zones[rng.IntN(len(zones))])
		}
		pickID := func() string {
			if len(ids) == 0 || rng.IntN(8) == 0 {
				return fmt.Sprintf("unknown-%d", rng.IntN(1000))
			}
			return ids[rng.IntN(len(ids))]
		}
		reopens := 0
		for op := 0; op < ops; op++ {
			now = now.Add(time.Duration(rng.IntN(30)) * time.Minute)
			at := fmt.Sprintf("seed %d op %d", seed, op)
			n := nums[rng.IntN(len(nums))]
			switch r := rng.IntN(12); {
			case r < 3:
				// Ids whose byte order is not their order in a
				// case-insensitive or punctuation-blind collation.
				id := fmt.Sprintf("%s%d%s%d", []string{"c-", "C", "c_", "c.", "c"}[rng.IntN(5)], seed, []string{"-", "", ":"}[rng.IntN(3)], op)
				if len(ids) > 0 && rng.IntN(8) == 0 {
					id = ids[rng.IntN(len(ids))] // consent given again under an old id
				}
				granted := instant()
				if rng.IntN(3) == 0 {
					// Grants at one instant, written in other zones: ordered by id.
					granted = now.Truncate(time.Hour).In(zones[rng.IntN(len(zones))])
				}
				rec := conRecord(id, n, granted)
				sc := scopes[rng.IntN(len(scopes))]
				rec.Scope, rec.Tenant = sc.scope, sc.tenant
				switch rng.IntN(4) {
				case 0:
					rec.ExpiresAt = time.Time{}
				case 1:
					rec.ExpiresAt = rec.GrantedAt.Add(time.Duration(1+rng.IntN(600)) * time.Minute)
				}
				invalid := rng.IntN(12) == 0
				if invalid {
					rec.ExpiresAt = rec.GrantedAt.Add(-time.Minute)
				}
				_, dup := m.recs[id]
				err := s.AddConsent(ctx, rec)
				switch {
				case invalid:
					if !errors.Is(err, consent.ErrInvalid) {
						return fmt.Errorf("%s: AddConsent with expires_at before granted_at: %v, want consent.ErrInvalid", at, err)
					}
				case dup:
					if !errors.Is(err, storage.ErrConflict) {
						return fmt.Errorf("%s: AddConsent of id %q already used: %v, want storage.ErrConflict", at, id, err)
					}
				case err != nil:
					return fmt.Errorf("%s: AddConsent(%+v): %w", at, rec, err)
				default:
					m.recs[id] = rec
					ids = append(ids, id)
					m.events = append(m.events, consent.Event{Seq: uint64(len(m.events)) + 1, Type: consent.EventGranted,
						ConsentID: id, Number: rec.Number, At: rec.GrantedAt, Channel: rec.Channel})
				}
			case r < 6:
				id := pickID()
				when := instant()
				if old, ok := m.recs[id]; ok && rng.IntN(4) == 0 {
					when = old.GrantedAt.Add(time.Duration(rng.IntN(3)-1) * time.Nanosecond)
				}
				channel := []string{"", "call", "sms", "complaint"}[rng.IntN(4)]
				got, err := s.RevokeConsent(ctx, id, when, channel)
				old, ok := m.recs[id]
				if !ok {
					if !errors.Is(err, storage.ErrNotFound) {
						return fmt.Errorf("%s: RevokeConsent of unknown id %q: %v, want storage.ErrNotFound", at, id, err)
					}
					continue
				}
				if err != nil {
					return fmt.Errorf("%s: RevokeConsent(%q, %s): %w", at, id, when.Format(time.RFC3339Nano), err)
				}
				if !old.Revoked() {
					ev := consent.Event{Type: consent.EventRevoked, ConsentID: id, Number: old.Number, At: when, Channel: channel}
					if when.Before(old.GrantedAt) {
						ev.At, ev.RequestedAt = old.GrantedAt, when
					}
					old.RevokedAt, old.RevocationChannel = ev.At, channel
					ev.Seq = uint64(len(m.events)) + 1
					m.events = append(m.events, ev)
					m.recs[id] = old
				}
				if err := sameRecord(got, old); err != nil {
					return fmt.Errorf("%s: RevokeConsent(%q) returned: %w", at, id, err)
				}
			case r < 7:
				id := pickID()
				got, err := s.Consent(ctx, id)
				want, ok := m.recs[id]
				if !ok {
					if !errors.Is(err, storage.ErrNotFound) {
						return fmt.Errorf("%s: Consent of unknown id %q: %v, want storage.ErrNotFound", at, id, err)
					}
					continue
				}
				if err != nil {
					return fmt.Errorf("%s: Consent(%q): %w", at, id, err)
				}
				if err := sameRecord(got, want); err != nil {
					return fmt.Errorf("%s: Consent(%q): %w", at, id, err)
				}
			case r < 8:
				got, err := s.ConsentsByNumber(ctx, n)
				if err == nil && got == nil {
					err = errors.New("nil slice, want an empty one")
				}
				if err == nil {
					err = sameRecords(got, m.byNumber(n))
				}
				if err != nil {
					return fmt.Errorf("%s: ConsentsByNumber(%s): %w", at, n, err)
				}
			case r < 9:
				got, err := s.ConsentHistory(ctx, n)
				if err == nil {
					err = sameEvents(got, m.history(n))
				}
				if err != nil {
					return fmt.Errorf("%s: ConsentHistory(%s): %w", at, n, err)
				}
			case r < 10:
				since := uint64(rng.IntN(len(m.events) + 3))
				limit := 1 + rng.IntN(6)
				got, err := s.ConsentEventsSince(ctx, since, limit)
				if err == nil {
					var want []consent.Event
					if since < uint64(len(m.events)) {
						want = m.events[since:min(len(m.events), int(since)+limit)]
					}
					err = sameEvents(got, want)
				}
				if err != nil {
					return fmt.Errorf("%s: ConsentEventsSince(%d, %d): %w", at, since, limit, err)
				}
			default:
				if err := consentModelRevision(ctx, s, m, stamps); err != nil {
					return fmt.Errorf("%s: %w", at, err)
				}
				if h.reopen != nil && reopens < 2 && rng.IntN(4) == 0 {
					reopens++ // twice a seed at most: a reopen takes long on some stores
					if s, err = h.reopen(s); err != nil {
						return fmt.Errorf("%s: reopen: %w", at, err)
					}
				}
			}
		}
		for _, n := range nums {
			got, err := s.ConsentsByNumber(ctx, n)
			if err == nil {
				err = sameRecords(got, m.byNumber(n))
			}
			if err != nil {
				return fmt.Errorf("seed %d at the end: ConsentsByNumber(%s): %w", seed, n, err)
			}
		}
		if err := consentModelRevision(ctx, s, m, stamps); err != nil {
			return fmt.Errorf("seed %d at the end: %w", seed, err)
		}
	}
	return nil
}

// consentModelRevision checks the revision against the model's and, for a
// RevisionStamper, that a revision seen before has the stamp seen then and
// a new one a stamp never seen.
func consentModelRevision(ctx context.Context, s consent.Store, m *consentModel, stamps map[uint64]string) error {
	rev, err := s.ConsentRevision(ctx)
	if err != nil {
		return fmt.Errorf("ConsentRevision: %w", err)
	}
	if rev != uint64(len(m.events)) {
		return fmt.Errorf("ConsentRevision = %d, want %d", rev, len(m.events))
	}
	rs, ok := s.(consent.RevisionStamper)
	if !ok {
		return nil
	}
	srev, stamp, err := rs.ConsentRevisionStamp(ctx)
	if err != nil {
		return fmt.Errorf("ConsentRevisionStamp: %w", err)
	}
	if srev != rev {
		return fmt.Errorf("ConsentRevisionStamp revision %d, ConsentRevision %d", srev, rev)
	}
	if old, seen := stamps[rev]; seen && old != stamp {
		return fmt.Errorf("stamp at revision %d changed from %q to %q with no write raising the revision", rev, old, stamp)
	}
	if _, seen := stamps[rev]; !seen {
		for r, old := range stamps {
			if old == stamp && r != rev {
				return fmt.Errorf("stamp %q at revision %d was already the stamp at revision %d", stamp, rev, r)
			}
		}
		if rev > 0 && stamp == "" {
			return fmt.Errorf("no stamp at revision %d, written by this build", rev)
		}
	}
	stamps[rev] = stamp
	return nil
}
