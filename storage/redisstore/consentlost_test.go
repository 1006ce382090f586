package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/storage/redisstore"
)

// snapshot returns a function that puts every key of prefix p back as it is
// now, deleting those written since: what a Redis that crashes with
// appendfsync everysec, or fails over to a replica that lagged, keeps.
func snapshot(t *testing.T, url, p string) func() {
	t.Helper()
	ctx := context.Background()
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	keys := func() []string {
		var out []string
		iter := c.Scan(ctx, 0, "{"+p+"}:*", 1000).Iterator()
		for iter.Next(ctx) {
			out = append(out, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	dumps := map[string]string{}
	for _, k := range keys() {
		v, err := c.Dump(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		dumps[k] = v
	}
	return func() {
		t.Helper()
		if ks := keys(); len(ks) > 0 {
			if err := c.Del(ctx, ks...).Err(); err != nil {
				t.Fatal(err)
			}
		}
		for k, v := range dumps {
			if err := c.Restore(ctx, k, 0, v).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// A sidecar (b) has cached a grant at revision 2. The Redis loses that last
// write (revision 1 again), and another sidecar (a) acknowledges a
// revocation of the cached number, which takes revision 2 again with another
// event. b's cache must see it: the revision alone equals its own, the
// stamp read with it does not.
func TestConsentLostWriteThenRevocationAtSameRevision(t *testing.T) {
	ctx := context.Background()
	url := redisURL(t)
	p := newPrefix(t, url)
	a, b, check := twoSidecarsOneCheck(t, url, p)
	n := dialgate.MustParseNumber("+8613900139000")
	granted := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	rec := func(id string, n dialgate.Number) consent.Record { return financeConsent(id, n, granted) }
	if err := a.AddConsent(ctx, rec("c-1", n)); err != nil {
		t.Fatal(err) // revision 1
	}
	restore := snapshot(t, url, p)
	if err := a.AddConsent(ctx, rec("c-2", dialgate.MustParseNumber("+8613900139002"))); err != nil {
		t.Fatal(err) // revision 2: the write the Redis loses
	}
	d := dialgate.Dial{To: n, Purpose: dialgate.PurposeMarketing, Industry: "finance", At: granted.Add(time.Hour)}
	if rs, err := check.Check(ctx, d); err != nil || len(rs) != 0 {
		t.Fatalf("first dial: %+v %v, want allowed", rs, err)
	}
	restore() // back at revision 1
	if _, err := a.RevokeConsent(ctx, "c-1", granted.Add(30*time.Minute), "call"); err != nil {
		t.Fatal(err) // revision 2 again, another write
	}
	if rev, err := b.ConsentRevision(ctx); err != nil || rev != 2 {
		t.Fatalf("revision = %d, %v, want 2", rev, err)
	}
	rs, err := check.Check(ctx, d)
	if err != nil || len(rs) != 1 || rs[0].Code != "consent.revoked" {
		t.Fatalf("after the lost write and a revocation at the same revision: %+v %v, want consent.revoked (the cache served a revoked consent)", rs, err)
	}
}

// Data of a build before stamps (no stamp key) loads: the revision reads
// with stamp "", and the first write stamps it.
func TestConsentRevisionWithoutStamp(t *testing.T) {
	ctx := context.Background()
	url := redisURL(t)
	p := newPrefix(t, url)
	s := open(t, url, p)
	granted := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	r := consent.Record{
		ID: "c-1", Number: dialgate.MustParseNumber("+8613900139000"), Scope: "industry:finance", Method: consent.MethodWebForm,
		DisclosureSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		EvidenceURI:      "https://evidence.example/c-1", Channel: "website",
		GrantedAt: granted, ExpiresAt: granted.AddDate(1, 0, 0),
	}
	if err := s.AddConsent(ctx, r); err != nil {
		t.Fatal(err)
	}
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(o)
	defer c.Close()
	if err := c.Del(ctx, "{"+p+"}:cstamp").Err(); err != nil {
		t.Fatal(err)
	}
	if rev, stamp, err := s.ConsentRevisionStamp(ctx); err != nil || rev != 1 || stamp != "" {
		t.Fatalf("without a stamp: %d %q %v, want 1 \"\" nil", rev, stamp, err)
	}
	if _, err := s.RevokeConsent(ctx, "c-1", granted.Add(time.Hour), "call"); err != nil {
		t.Fatal(err)
	}
	if rev, stamp, err := s.ConsentRevisionStamp(ctx); err != nil || rev != 2 || stamp == "" {
		t.Fatalf("after a write: %d %q %v, want 2 and a stamp", rev, stamp, err)
	}
	// A revision key of another type fails the read, as ConsentRevision's.
	if err := c.Del(ctx, "{"+p+"}:crev").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.RPush(ctx, "{"+p+"}:crev", "x").Err(); err != nil {
		t.Fatal(err)
	}
	if rev, stamp, err := s.ConsentRevisionStamp(ctx); err == nil {
		t.Fatalf("damaged revision key: %d %q, want an error", rev, stamp)
	}
}

// twoSidecarsOneCheck opens two stores on prefix p (two sidecars of a
// fleet) and a consent check requiring marketing consent on the second.
func twoSidecarsOneCheck(t *testing.T, url, p string) (a, b *redisstore.Store, check *consent.Check) {
	t.Helper()
	a, b = open(t, url, p), open(t, url, p)
	check, err := consent.NewCheck(consent.Config{Require: []consent.Requirement{{
		Purposes: []dialgate.Purpose{dialgate.PurposeMarketing},
		Cite:     dialgate.Citation{Source: dialgate.SourceLaw, Ref: "test"},
	}}}, b)
	if err != nil {
		t.Fatal(err)
	}
	return a, b, check
}

// financeConsent is a web-form consent of id for n in industry:finance,
// granted at granted for a year.
func financeConsent(id string, n dialgate.Number, granted time.Time) consent.Record {
	return consent.Record{
		ID: id, Number: n, Scope: "industry:finance", Method: consent.MethodWebForm,
		DisclosureSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		EvidenceURI:      "https://evidence.example/" + id, Channel: "website",
		GrantedAt: granted, ExpiresAt: granted.AddDate(1, 0, 0),
	}
}
