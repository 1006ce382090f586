package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
)

// The revision key {prefix}:crev is deleted (by hand, a partial restore)
// while the records and the event log stay. Every cache resets to revision
// 0, and the next write takes Seq 1 again, beside the old event of Seq 1 in
// the log. A sidecar (b) holding the line's records from after the reset
// replayed the old event of Seq 1 (another number's grant, which sorts
// first) and stopped there: the revocation through another sidecar (a) of
// the consent it held was never dropped, and b went on allowing on it. b
// must fail closed (consent.unavailable) or deny.
func TestConsentRevisionKeyDeleted(t *testing.T) {
	ctx := context.Background()
	url := redisURL(t)
	p := newPrefix(t, url)
	a, _, check := twoSidecarsOneCheck(t, url, p)
	n := dialgate.MustParseNumber("+8613900139000")
	granted := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	rec := func(id string, n dialgate.Number) consent.Record { return financeConsent(id, n, granted) }
	for _, r := range []consent.Record{rec("c-0", dialgate.MustParseNumber("+8613900139002")), rec("c-1", n)} {
		if err := a.AddConsent(ctx, r); err != nil {
			t.Fatal(err) // Seq 1 (another number), Seq 2 (n)
		}
	}
	d := dialgate.Dial{To: n, Purpose: dialgate.PurposeMarketing, Industry: "finance", At: granted.Add(time.Hour)}
	if rs, err := check.Check(ctx, d); err != nil || len(rs) != 0 {
		t.Fatalf("first dial: %+v %v, want allowed", rs, err)
	}
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(o)
	defer c.Close()
	if err := c.Del(ctx, "{"+p+"}:crev").Err(); err != nil {
		t.Fatal(err)
	}
	if rs, err := check.Check(ctx, d); err != nil || len(rs) != 0 {
		t.Fatalf("dial at revision 0: %+v %v, want allowed", rs, err)
	}
	if _, err := a.RevokeConsent(ctx, "c-1", granted.Add(30*time.Minute), "call"); err != nil {
		t.Fatal(err) // Seq 1 again
	}
	rs, err := check.Check(ctx, d)
	if err == nil && (len(rs) != 1 || rs[0].Code != dialgate.CodeConsentRevoked) {
		t.Fatalf("after the revocation: %+v, want consent.revoked or an error (the cache served a revoked consent)", rs)
	}
}
