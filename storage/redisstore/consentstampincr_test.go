package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
)

// The consent check's cache reads the revision with ConsentRevisionStamp
// (redisstore implements consent.RevisionStamper), not ConsentRevision.
// ConsentRevision refuses a revision "{p}:crev" that the consent write
// script cannot raise ("007": leading zeros; 2^63-1 and above), but
// ConsentRevisionStamp read it with strconv.ParseUint as sound: a
// revocation stored while the key was so (made, the event and a new
// revision not) left the revision and its stamp unchanged, and another
// process's check went on allowing the grant it had cached. Now
// ConsentRevisionStamp refuses what ConsentRevision refuses, and that check
// fails closed.
func TestConsentRevisionStampINCRRefuses(t *testing.T) {
	url := redisURL(t)
	ctx := context.Background()
	cfg := consent.Config{Require: []consent.Requirement{{
		Purposes: []dialgate.Purpose{dialgate.PurposeMarketing},
		Cite:     dialgate.Citation{Source: dialgate.SourceLaw, Ref: "test"},
	}}}
	for _, v := range []string{"01", "9223372036854775807", "18446744073709551615"} {
		t.Run(v, func(t *testing.T) {
			p := newPrefix(t, url)
			a, b := open(t, url, p), open(t, url, p)
			c := rawClient(t, url)
			r := tenantRecord("c-1", "")
			if err := a.AddConsent(ctx, r); err != nil {
				t.Fatal(err)
			}
			check, err := consent.NewCheck(cfg, b)
			if err != nil {
				t.Fatal(err)
			}
			d := dialgate.Dial{To: r.Number, Purpose: dialgate.PurposeMarketing, Industry: "finance", At: r.GrantedAt.Add(time.Hour)}
			if rs, err := check.Check(ctx, d); err != nil || len(rs) != 0 {
				t.Fatalf("before: %v, %v; want allowed (and cached)", rs, err)
			}
			if err := c.Set(ctx, "{"+p+"}:crev", v, 0).Err(); err != nil {
				t.Fatal(err)
			}
			a.RevokeConsent(ctx, "c-1", r.GrantedAt.Add(time.Minute), "crm") // made; the key to repair
			if stored, err := a.Consent(ctx, "c-1"); err != nil || !stored.Revoked() {
				t.Fatalf("the revocation was not made: %+v, %v", stored, err)
			}
			if rev, stamp, err := b.ConsentRevisionStamp(ctx); err == nil {
				t.Errorf("crev %q: ConsentRevisionStamp = %d, %q, nil; want the error ConsentRevision gives", v, rev, stamp)
			}
			if rs, err := check.Check(ctx, d); err == nil && len(rs) == 0 {
				t.Fatalf("crev %q: the other process's check allows the withdrawn consent it had cached", v)
			}
		})
	}
}
