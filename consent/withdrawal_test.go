package consent

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// A withdrawal wins over every record of the same line that covers the dial
// and was granted at or before it, under one spelling as across two (PIPL
// art. 15; REQUIREMENTS "revoked consent never allows a dial"). A dialer that
// holds a second record — a duplicate from a re-import, an older grant, a
// tenant-wide one — used to go on dialling on it once the person withdrew
// the record it had been relying on: each record stood on its own. A consent
// given again after the withdrawal allows; a withdrawal of another scope, of
// another campaign or of another tenant does not withdraw this dial's record.
func TestWithdrawalWinsOverOtherRecords(t *testing.T) {
	ctx := context.Background()
	at := t0.Add(48 * time.Hour)
	revokedAt := t0.Add(24 * time.Hour)
	rec := func(id, scope, tenant string, granted time.Time) Record {
		r := goodRecord()
		r.ID, r.Number, r.Scope, r.Tenant, r.GrantedAt = id, callee, Scope(scope), tenant, granted
		return r
	}
	tests := []struct {
		name     string
		recs     []Record
		revoke   string
		named    string
		campaign string // the dial's campaign, "" = winter
		industry string // the dial's industry, "" = finance
		want     string // codes, "" = allowed
		wantID   string // consent.id of the evidence or of the reason
	}{
		{name: "an older duplicate", recs: []Record{rec("c-0", "industry:finance", "acme", t0), rec("c-1", "industry:finance", "acme", t0.Add(time.Hour))},
			revoke: "c-1", want: "consent.revoked", wantID: "c-1"},
		{name: "an older duplicate, named", recs: []Record{rec("c-0", "industry:finance", "acme", t0), rec("c-1", "industry:finance", "acme", t0.Add(time.Hour))},
			revoke: "c-1", named: "c-0", want: "consent.revoked", wantID: "c-1"},
		{name: "a newer duplicate granted before the withdrawal", recs: []Record{rec("c-0", "industry:finance", "acme", t0.Add(time.Hour)), rec("c-1", "industry:finance", "acme", t0)},
			revoke: "c-1", named: "c-0", want: "consent.revoked", wantID: "c-1"},
		{name: "a tenant-wide record", recs: []Record{rec("t-0", "tenant:acme", "acme", t0), rec("c-1", "industry:finance", "acme", t0.Add(time.Hour))},
			revoke: "c-1", named: "t-0", want: "consent.revoked", wantID: "c-1"},
		{name: "a record without a tenant", recs: []Record{rec("c-0", "business:loans", "", t0), rec("c-1", "industry:finance", "acme", t0.Add(time.Hour))},
			revoke: "c-1", want: "consent.revoked", wantID: "c-1"},
		{name: "a withdrawal of the campaign", recs: []Record{rec("c-0", "industry:finance", "acme", t0), rec("w-1", "campaign:winter", "acme", t0.Add(time.Hour))},
			revoke: "w-1", named: "c-0", want: "consent.revoked", wantID: "w-1"},
		// The withdrawn record's scope names the dial's industry in another
		// spelling (the do-not-call lists' rule, dnc.Scope.Matches): a
		// dialer keeping a record of "Finance" beside the withdrawn one of
		// "finance" and dialling as "Finance" does not get round it.
		{name: "a record of the industry spelt otherwise", recs: []Record{rec("c-0", "industry:Finance", "acme", t0), rec("c-1", "industry:finance", "acme", t0.Add(time.Hour))},
			revoke: "c-1", named: "c-0", industry: "Finance", want: "consent.revoked", wantID: "c-1"},
		{name: "a record of the industry in full-width letters", recs: []Record{rec("c-0", "industry:ｆｉｎａｎｃｅ", "acme", t0), rec("c-1", "industry:finance", "acme", t0.Add(time.Hour))},
			revoke: "c-1", industry: "ｆｉｎａｎｃｅ", want: "consent.revoked", wantID: "c-1"},
		{name: "a withdrawal spelt with a zero-width space", recs: []Record{rec("c-0", "industry:finance", "acme", t0), rec("c-1", "industry:fin\u200bance", "acme", t0.Add(time.Hour))},
			revoke: "c-1", named: "c-0", want: "consent.revoked", wantID: "c-1"},
		// A dial that names no campaign may be the withdrawn campaign's.
		{name: "a withdrawal of a campaign, dial without one", recs: []Record{rec("c-0", "industry:finance", "acme", t0), rec("w-1", "campaign:winter", "acme", t0.Add(time.Hour))},
			revoke: "w-1", named: "c-0", campaign: " ", want: "consent.revoked", wantID: "w-1"},
		{name: "granted at the withdrawal's instant", recs: []Record{rec("c-1", "industry:finance", "acme", t0), rec("c-2", "industry:finance", "acme", revokedAt)},
			revoke: "c-1", named: "c-2", want: "consent.revoked", wantID: "c-1"},

		{name: "given again after the withdrawal", recs: []Record{rec("c-1", "industry:finance", "acme", t0), rec("c-2", "industry:finance", "acme", revokedAt.Add(time.Second))},
			revoke: "c-1", wantID: "c-2"},
		{name: "given again after the withdrawal, named", recs: []Record{rec("c-1", "industry:finance", "acme", t0), rec("c-2", "industry:finance", "acme", revokedAt.Add(time.Second))},
			revoke: "c-1", named: "c-2", wantID: "c-2"},
		{name: "another industry's withdrawal", recs: []Record{rec("c-0", "industry:finance", "acme", t0), rec("i-1", "industry:insurance", "acme", t0.Add(time.Hour))},
			revoke: "i-1", wantID: "c-0"},
		{name: "another campaign's withdrawal", recs: []Record{rec("c-0", "industry:finance", "acme", t0), rec("w-1", "campaign:winter", "acme", t0.Add(time.Hour))},
			revoke: "w-1", named: "c-0", campaign: "summer", wantID: "c-0"},
		{name: "another tenant's withdrawal", recs: []Record{rec("c-0", "industry:finance", "acme", t0), rec("b-1", "industry:finance", "beta", t0.Add(time.Hour))},
			revoke: "b-1", wantID: "c-0"},
	}
	for _, tc := range tests {
		for _, size := range []int{0, 16} {
			t.Run(fmt.Sprintf("%s/cache=%d", tc.name, size), func(t *testing.T) {
				s := newFakeStore()
				for _, r := range tc.recs {
					mustAdd(t, s, r)
				}
				c := mustCheck(t, cnConfig(), s, WithCacheSize(size))
				d := marketing(at)
				d.ConsentID = tc.named
				if tc.campaign != "" {
					d.Campaign = tc.campaign
				}
				if tc.industry != "" {
					d.Industry = tc.industry
				}
				if _, _, err := c.Attest(ctx, d); err != nil { // warm the cache
					t.Fatal(err)
				}
				if _, err := s.RevokeConsent(ctx, tc.revoke, revokedAt, "call"); err != nil {
					t.Fatal(err)
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
				}
				if gotID != tc.wantID {
					t.Errorf("consent.id = %q, want %q (reasons %+v, evidence %+v)", gotID, tc.wantID, rs, ev)
				}
			})
		}
	}
}

// The reason of a record withdrawn by another's revocation says what the
// revoked record is to the dial: it covers the dial (Scope.Covers), or its
// withdrawal reaches the dial without covering it — the dial leaves the
// field empty, or names it in another spelling. The message said "which
// covers this dial" of a campaign:winter record and a dial of no campaign,
// which that record does not cover (an audit record saying what is not so).
func TestWithdrawnReasonSaysWhy(t *testing.T) {
	ctx := context.Background()
	at := t0.Add(48 * time.Hour)
	for _, tc := range []struct {
		name, scope, campaign, want, not string
	}{
		{"covers", "industry:finance", "", "which covers this dial", "does not cover"},
		{"empty field", "campaign:winter", " ", "campaign:winter", "which covers this dial"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newFakeStore()
			c0, w := goodRecord(), goodRecord()
			c0.ID, c0.Number, c0.Scope, c0.Tenant, c0.GrantedAt = "c-0", callee, "industry:finance", "acme", t0
			w.ID, w.Number, w.Scope, w.Tenant, w.GrantedAt = "w-1", callee, Scope(tc.scope), "acme", t0.Add(time.Hour)
			mustAdd(t, s, c0)
			mustAdd(t, s, w)
			if _, err := s.RevokeConsent(ctx, "w-1", t0.Add(24*time.Hour), "call"); err != nil {
				t.Fatal(err)
			}
			c := mustCheck(t, cnConfig(), s)
			d := marketing(at)
			d.ConsentID = "c-0"
			if tc.campaign != "" {
				d.Campaign = tc.campaign
			}
			rs, _, err := c.Attest(ctx, d)
			if err != nil || len(rs) != 1 || rs[0].Code != dialgate.CodeConsentRevoked {
				t.Fatalf("reasons %+v, %v; want consent.revoked", rs, err)
			}
			if m := rs[0].Message; !strings.Contains(m, tc.want) || strings.Contains(m, tc.not) {
				t.Errorf("message %q: want %q in it, and not %q", m, tc.want, tc.not)
			}
		})
	}
}

// A revoked record whose scope this build cannot read — a kind a newer build
// writes ("product:cards"), or a scope damaged in the store ("industry:",
// "global", no kind at all) — is not refused (a revoked record only ever
// denies, see Record.ValidateStored), so its withdrawal must reach every dial
// of its tenant: which industry, business line or campaign it withdrew
// cannot be told, and the do-not-call lists treat a scope of no known kind
// as global for the same reason. It reached nothing: an older record of the
// person (here industry:finance, granted before the withdrawal) went on
// allowing dials the withdrawal may have been meant for.
func TestWithdrawalOfUnreadableScopeReachesEveryDial(t *testing.T) {
	ctx := context.Background()
	at := t0.Add(48 * time.Hour)
	for _, tc := range []struct {
		name, scope, tenant string
		want                string // codes, "" = allowed
		wantID              string
	}{
		{"newer kind", "product:cards", "acme", "consent.revoked", "w-1"},
		{"newer kind, no tenant", "product:cards", "", "consent.revoked", "w-1"},
		{"empty name", "industry:", "acme", "consent.revoked", "w-1"},
		{"global", "global", "acme", "consent.revoked", "w-1"},
		{"no kind", "finance", "acme", "consent.revoked", "w-1"},
		{"tenant scope without its name", "tenant:", "", "consent.revoked", "w-1"},
		{"another tenant's", "product:cards", "beta", "", "c-0"},
	} {
		for _, named := range []string{"", "c-0"} {
			for _, size := range []int{0, 16} {
				t.Run(fmt.Sprintf("%s/named=%q/cache=%d", tc.name, named, size), func(t *testing.T) {
					s := newFakeStore()
					c0 := goodRecord()
					c0.ID, c0.Tenant = "c-0", "acme"
					mustAdd(t, s, c0)
					// Written as a newer build (or damage) leaves it:
					// revoked, its scope not one this build reads.
					w := goodRecord()
					w.ID, w.Scope, w.Tenant, w.GrantedAt = "w-1", Scope(tc.scope), tc.tenant, t0.Add(time.Hour)
					w.RevokedAt, w.RevocationChannel = t0.Add(24*time.Hour), "call"
					s.mu.Lock()
					s.recs[w.ID] = w
					s.appendLocked(Event{Type: EventRevoked, ConsentID: w.ID, Number: w.Number, At: w.RevokedAt})
					s.mu.Unlock()
					c := mustCheck(t, cnConfig(), s, WithCacheSize(size))
					d := marketing(at)
					d.ConsentID = named
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
						if !strings.Contains(rs[0].Message, "cannot read") {
							t.Errorf("message %q does not say the scope cannot be read", rs[0].Message)
						}
					}
					if gotID != tc.wantID {
						t.Errorf("consent.id = %q, want %q", gotID, tc.wantID)
					}
				})
			}
		}
	}
}
