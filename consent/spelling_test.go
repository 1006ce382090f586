package consent

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// A synthetic Martinique line in its two spellings.
var (
	domOwn = dialgate.MustParseNumber("+596596000101")
	domFR  = dialgate.MustParseNumber("+33596000101")
)

// A French overseas line's consents are one person's whichever spelling
// recorded them: a consent granted under one spelling allows dials under the
// other, a revocation under either wins over a consent granted before it
// under the other, and a consent given again after the revocation allows
// again.
func TestOverseasSpellingsConsent(t *testing.T) {
	ctx := context.Background()
	at := t0.Add(24 * time.Hour)
	rec := func(id string, n dialgate.Number, granted time.Time) Record {
		r := goodRecord()
		r.ID, r.Number, r.GrantedAt = id, n, granted
		return r
	}
	type revoke struct {
		id string
		at time.Time
	}
	tests := []struct {
		name   string
		recs   []Record
		revoke []revoke
		named  string
		want   string // codes, "" = allowed
		wantID string
	}{
		{name: "granted under the other spelling", recs: []Record{rec("c-1", domOwn, t0)}, wantID: "c-1"},
		{name: "granted under the other spelling, named", recs: []Record{rec("c-1", domOwn, t0)}, named: "c-1", wantID: "c-1"},
		{name: "revoked under the other spelling", recs: []Record{rec("c-1", domOwn, t0)},
			revoke: []revoke{{"c-1", t0.Add(time.Hour)}}, want: "consent.revoked", wantID: "c-1"},
		// The worst case: granted under one spelling, withdrawn under the
		// other (the operator revoked the records listed for the spelling
		// the person gave).
		{name: "revoked under the other spelling wins over an earlier grant", recs: []Record{rec("c-1", domOwn, t0), rec("c-2", domFR, t0.Add(time.Minute))},
			revoke: []revoke{{"c-1", t0.Add(time.Hour)}}, want: "consent.revoked", wantID: "c-1"},
		{name: "revoked under the dial's spelling wins over the other's earlier grant", recs: []Record{rec("c-1", domOwn, t0), rec("c-2", domFR, t0.Add(time.Minute))},
			revoke: []revoke{{"c-2", t0.Add(time.Hour)}}, want: "consent.revoked", wantID: "c-2"},
		{name: "revoked under the other spelling wins over a named earlier grant", recs: []Record{rec("c-1", domOwn, t0), rec("c-2", domFR, t0.Add(time.Minute))},
			revoke: []revoke{{"c-1", t0.Add(time.Hour)}}, named: "c-2", want: "consent.revoked", wantID: "c-1"},
		{name: "given again after the revocation", recs: []Record{rec("c-1", domOwn, t0), rec("c-2", domFR, t0.Add(2*time.Hour))},
			revoke: []revoke{{"c-1", t0.Add(time.Hour)}}, wantID: "c-2"},
		{name: "given again under the other spelling after the revocation", recs: []Record{rec("c-1", domFR, t0), rec("c-2", domOwn, t0.Add(2*time.Hour))},
			revoke: []revoke{{"c-1", t0.Add(time.Hour)}}, wantID: "c-2"},
		{name: "another scope's revocation does not withdraw this one", recs: []Record{
			func() Record { r := rec("c-1", domOwn, t0); r.Scope = "industry:insurance"; return r }(), rec("c-2", domFR, t0.Add(time.Minute))},
			revoke: []revoke{{"c-1", t0.Add(time.Hour)}}, wantID: "c-2"},
	}
	for _, tc := range tests {
		for _, dialled := range []dialgate.Number{domFR, domOwn} {
			for _, size := range []int{0, 16} {
				t.Run(fmt.Sprintf("%s/dial %s/cache=%d", tc.name, dialled, size), func(t *testing.T) {
					s := newFakeStore()
					for _, r := range tc.recs {
						mustAdd(t, s, r)
					}
					c := mustCheck(t, cnConfig(), s, WithCacheSize(size))
					d := marketing(at)
					d.To, d.ConsentID = dialled, tc.named
					// Warm the cache under both spellings before the
					// revocations, so that they must invalidate it.
					for _, n := range []dialgate.Number{domOwn, domFR} {
						w := d
						w.To = n
						if _, _, err := c.Attest(ctx, w); err != nil {
							t.Fatal(err)
						}
					}
					for _, r := range tc.revoke {
						if _, err := s.RevokeConsent(ctx, r.id, r.at, "call"); err != nil {
							t.Fatal(err)
						}
					}
					rs, ev, err := c.Attest(ctx, d)
					if err != nil {
						t.Fatal(err)
					}
					if got := codes(rs); got != tc.want {
						t.Fatalf("codes = %q, want %q (reasons %+v)", got, tc.want, rs)
					}
					gotID := evValue(ev, EvidenceID)
					if len(rs) > 0 {
						gotID = evValue(rs[0].Evidence, EvidenceID)
						for _, n := range []dialgate.Number{domOwn, domFR} {
							if strings.Contains(rs[0].Message, n.Digits()[3:]) {
								t.Errorf("reason leaks the callee number: %q", rs[0].Message)
							}
						}
					}
					if gotID != tc.wantID {
						t.Errorf("consent.id = %q, want %q (reasons %+v, evidence %+v)", gotID, tc.wantID, rs, ev)
					}
				})
			}
		}
	}
}

// A line of another country reads its own records only.
func TestConsentOfOtherNumbersReadsOneSpelling(t *testing.T) {
	s := &countingConsentStore{fakeStore: newFakeStore()}
	c := mustCheck(t, cnConfig(), s, WithCacheSize(0))
	if _, _, err := c.Attest(context.Background(), marketing(t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	if s.byNumber != 1 {
		t.Errorf("%d reads by number, want 1", s.byNumber)
	}
}

type countingConsentStore struct {
	*fakeStore
	byNumber int
}

func (s *countingConsentStore) ConsentsByNumber(ctx context.Context, n dialgate.Number) ([]Record, error) {
	s.byNumber++
	return s.fakeStore.ConsentsByNumber(ctx, n)
}
