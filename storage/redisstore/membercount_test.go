package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/redisstore"
)

// storeOptsTTL is the test Options with prefix p and KeyTTLSlack slack.
func storeOptsTTL(p string, slack time.Duration) redisstore.Options {
	return redisstore.Options{Prefix: p, Heartbeat: 100 * time.Millisecond, KeyTTLSlack: slack}
}

// prefixKeys returns the keys under prefix p other than the store's own
// bookkeeping (epoch, schema).
func prefixKeys(t *testing.T, c *redis.Client, p string) []string {
	t.Helper()
	ctx := context.Background()
	keys, err := c.Keys(ctx, "{"+p+"}:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range keys {
		if k != "{"+p+"}:epoch" && k != "{"+p+"}:schema" {
			out = append(out, k)
		}
	}
	return out
}

// mcAt is the instant the member-count tests reserve at.
var mcAt = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

// mcStore opens a store under a fresh prefix p with KeyTTLSlack slack (0:
// the default), and a raw client c of the same Redis.
func mcStore(t *testing.T, slack time.Duration) (s *redisstore.Store, c *redis.Client, p string) {
	t.Helper()
	url := redisURL(t)
	p = newPrefix(t, url)
	return openOpts(t, url, storeOptsTTL(p, slack)), rawClient(t, url), p
}

// releaseLeavesNoKey releases the reservations ids from s and asserts that
// no key is left under prefix p.
func releaseLeavesNoKey(ctx context.Context, t *testing.T, s *redisstore.Store, c *redis.Client, p string, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := s.Release(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if keys := prefixKeys(t, c, p); len(keys) != 0 {
		t.Errorf("keys left after every reservation was released: %v", keys)
	}
}

// TestMemberCountGoesWithKey checks that nothing is left of a counter key
// with member entries once the key has expired by its TTL (Redis runs no
// script then): the member count of a key used to stay in the "{p}:mc" hash
// for ever, one field per callee ever counted with members.
func TestMemberCountGoesWithKey(t *testing.T) {
	s, c, p := mcStore(t, time.Millisecond)
	ctx := context.Background()
	at := mcAt
	lim := []storage.Limit{{Key: "mcgone/k", Member: "a", Window: 50 * time.Millisecond, Max: 3}}
	if ok, _, err := s.Reserve(ctx, "mc-1", at, lim); err != nil || !ok {
		t.Fatalf("reserve: ok=%v err=%v", ok, err)
	}
	if keys := prefixKeys(t, c, p); len(keys) == 0 {
		t.Fatal("reserve wrote no key")
	}
	deadline := time.Now().Add(3 * time.Second)
	for c.Exists(ctx, "{"+p+"}:c:mcgone/k").Val() == 1 {
		if time.Now().After(deadline) {
			t.Fatal("counter key did not expire")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // every key written with it has expired too
	if keys := prefixKeys(t, c, p); len(keys) != 0 {
		t.Errorf("keys left after the counter key expired: %v", keys)
	}
	if n := c.HLen(ctx, "{"+p+"}:mc").Val(); n != 0 {
		t.Errorf("member-count hash keeps %d fields after their keys expired", n)
	}
	// The key counts from nothing again, members distinct.
	at2 := at.Add(time.Hour)
	for i, id := range []string{"mc-2", "mc-3"} {
		ok, u, err := s.Reserve(ctx, id, at2.Add(time.Duration(i)*time.Millisecond), lim)
		if err != nil || !ok || u[0].Count != i {
			t.Fatalf("reserve %s: ok=%v usage=%+v err=%v; want ok, count %d", id, ok, u, err, i)
		}
	}
	if u, err := s.Usage(ctx, at2.Add(2*time.Millisecond), lim); err != nil || u[0].Count != 1 {
		t.Fatalf("usage: %+v, %v; want count 1 (one distinct member)", u, err)
	}
	releaseLeavesNoKey(ctx, t, s, c, p, "mc-2", "mc-3")
}

// TestMemberCountExtended checks that ExtendCounterExpiry keeps a key's
// member count as long as the key: a count that left before its key would
// count a member's entries once each (an over-count, but wrong).
func TestMemberCountExtended(t *testing.T) {
	s, c, p := mcStore(t, time.Millisecond)
	ctx := context.Background()
	at := mcAt
	lim := []storage.Limit{{Key: "mcext/k/f", Member: "a", Window: 200 * time.Millisecond, Max: 2}}
	for i, id := range []string{"x-1", "x-2"} {
		if ok, _, err := s.Reserve(ctx, id, at.Add(time.Duration(i)*time.Millisecond), lim); err != nil || !ok {
			t.Fatalf("reserve %s: ok=%v err=%v", id, ok, err)
		}
	}
	now := time.Now()
	if _, err := s.ExtendCounterExpiry(ctx, "/f", now.Add(time.Minute), now); err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond)
	u, err := s.Usage(ctx, at.Add(2*time.Millisecond), []storage.Limit{{Key: "mcext/k/f", Member: "b", Window: time.Hour, Max: 2}})
	if err != nil || u[0].Count != 1 || u[0].Exceeded {
		t.Fatalf("usage after the extension: %+v, %v; want count 1 (member a twice), not exceeded", u, err)
	}
	if pm, pk := c.PTTL(ctx, "{"+p+"}:m:mcext/k/f").Val(), c.PTTL(ctx, "{"+p+"}:c:mcext/k/f").Val(); pm < pk {
		t.Errorf("member count expires in %v, before its key (%v)", pm, pk)
	}
}

// TestMemberCountLegacyHash checks that member counts written by earlier
// builds (one "{p}:mc" hash field per key) are honoured, moved to the new
// layout when their key is written, and dropped once their key is gone.
func TestMemberCountLegacyHash(t *testing.T) {
	s, c, p := mcStore(t, 0)
	ctx := context.Background()
	at := mcAt
	lim := func(m string) []storage.Limit {
		return []storage.Limit{{Key: "legacy/k", Member: m, Window: time.Hour, Max: 2}}
	}
	for i, id := range []string{"l-1", "l-2"} {
		if ok, _, err := s.Reserve(ctx, id, at.Add(time.Duration(i)*time.Second), lim("a")); err != nil || !ok {
			t.Fatalf("reserve %s: ok=%v err=%v", id, ok, err)
		}
	}
	// Rewrite the count as an earlier build kept it, and add the stale field
	// of a key that expired.
	mkey := "{" + p + "}:m:legacy/k"
	n, err := c.Get(ctx, mkey).Int()
	if err != nil || n != 2 {
		t.Fatalf("member count of legacy/k: %d, %v; want 2", n, err)
	}
	c.Del(ctx, mkey)
	c.HSet(ctx, "{"+p+"}:mc", "legacy/k", 2, "legacy/gone", 7)
	u, err := s.Usage(ctx, at.Add(2*time.Second), lim("b"))
	if err != nil || u[0].Count != 1 || u[0].Exceeded {
		t.Fatalf("usage over a legacy count: %+v, %v; want count 1 (member a twice), not exceeded", u, err)
	}
	ok, u, err := s.Reserve(ctx, "l-3", at.Add(2*time.Second), lim("b"))
	if err != nil || !ok || u[0].Count != 1 {
		t.Fatalf("reserve l-3: ok=%v usage=%+v err=%v; want ok, count 1", ok, u, err)
	}
	if h := c.HGetAll(ctx, "{"+p+"}:mc").Val(); len(h) != 0 {
		t.Errorf("legacy hash after a reservation: %v; want it moved and drained", h)
	}
	if n, err := c.Get(ctx, mkey).Int(); err != nil || n != 3 {
		t.Errorf("member count of legacy/k after the move: %d, %v; want 3", n, err)
	}
	if pt := c.PTTL(ctx, mkey).Val(); pt < c.PTTL(ctx, "{"+p+"}:c:legacy/k").Val() {
		t.Errorf("member count expires before its key (%v)", pt)
	}
	if u, err := s.Usage(ctx, at.Add(3*time.Second), lim("c")); err != nil || u[0].Count != 2 || !u[0].Exceeded {
		t.Fatalf("usage after the move: %+v, %v; want count 2, exceeded", u, err)
	}
	releaseLeavesNoKey(ctx, t, s, c, p, "l-1", "l-2", "l-3")
}

// TestMemberCountLegacyRelease checks that a release decrements a count an
// earlier build left in the legacy hash.
func TestMemberCountLegacyRelease(t *testing.T) {
	s, c, p := mcStore(t, 0)
	ctx := context.Background()
	at := mcAt
	lim := []storage.Limit{{Key: "legrel/k", Member: "a", Window: time.Hour, Max: 2}}
	if ok, _, err := s.Reserve(ctx, "lr-1", at, lim); err != nil || !ok {
		t.Fatalf("reserve: ok=%v err=%v", ok, err)
	}
	mkey := "{" + p + "}:m:legrel/k"
	c.Del(ctx, mkey)
	c.HSet(ctx, "{"+p+"}:mc", "legrel/k", 1)
	if err := s.Release(ctx, "lr-1"); err != nil {
		t.Fatal(err)
	}
	if keys := prefixKeys(t, c, p); len(keys) != 0 {
		t.Errorf("keys left after the release: %v", keys)
	}
}

// TestMemberCountCorrupt checks that a member count that is not a number
// fails the tally (the caller denies) instead of reading as "no members",
// which would count a member's entries once each.
func TestMemberCountCorrupt(t *testing.T) {
	url := redisURL(t)
	c := rawClient(t, url)
	ctx := context.Background()
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	lim := []storage.Limit{{Key: "bad/k", Member: "a", Window: time.Hour, Max: 2}}
	for _, legacy := range []bool{false, true} {
		p := newPrefix(t, url)
		s := open(t, url, p)
		if ok, _, err := s.Reserve(ctx, "b-1", at, lim); err != nil || !ok {
			t.Fatalf("reserve: ok=%v err=%v", ok, err)
		}
		if legacy {
			c.Del(ctx, "{"+p+"}:m:bad/k")
			c.HSet(ctx, "{"+p+"}:mc", "bad/k", "x")
		} else {
			c.Set(ctx, "{"+p+"}:m:bad/k", "x", 0)
		}
		if u, err := s.Usage(ctx, at.Add(time.Second), lim); err == nil {
			t.Errorf("legacy=%v: usage over a corrupt member count: %+v, no error", legacy, u)
		}
		if ok, _, err := s.Reserve(ctx, "b-2", at.Add(time.Second), lim); err == nil || ok {
			t.Errorf("legacy=%v: reserve over a corrupt member count: ok=%v err=%v; want an error", legacy, ok, err)
		}
	}
}

// TestMemberCountNoTTLStore checks the member count a store without key
// expiry (KeyTTLSlack negative) writes on keys a store with expiry wrote
// (the setting changed, or two sidecars of a fleet differ): the count must
// leave with its counter key, not before (its members would then be counted
// once per entry: a member already counted denied) and not after (a count
// left for ever). The script wrote it with KEEPTTL, which kept the TTL of
// whatever count was there before — none for a new count on a key that
// expires, a stale count's for a key written afresh without expiry.
func TestMemberCountNoTTLStore(t *testing.T) {
	url := redisURL(t)
	c := rawClient(t, url)
	ctx := context.Background()
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	lim := func(key, member string, max int) []storage.Limit {
		return []storage.Limit{{Key: key, Member: member, Window: 300 * time.Millisecond, Max: max}}
	}

	// A store without expiry writes the first member entry of a key a
	// store with expiry made: the count expires with the key.
	p := newPrefix(t, url)
	ttlStore := openOpts(t, url, storeOptsTTL(p, 100*time.Millisecond))
	noTTL := openOpts(t, url, storeOptsTTL(p, -1))
	if ok, _, err := ttlStore.Reserve(ctx, "n-1", at, lim("nottl/a", "", 5)); err != nil || !ok {
		t.Fatalf("reserve n-1: ok=%v err=%v", ok, err)
	}
	if ok, _, err := noTTL.Reserve(ctx, "n-2", at.Add(time.Millisecond), lim("nottl/a", "x", 5)); err != nil || !ok {
		t.Fatalf("reserve n-2: ok=%v err=%v", ok, err)
	}
	ck, mk := "{"+p+"}:c:nottl/a", "{"+p+"}:m:nottl/a"
	if cpt, mpt := c.PTTL(ctx, ck).Val(), c.PTTL(ctx, mk).Val(); cpt <= 0 || mpt <= 0 || mpt > cpt+10*time.Millisecond {
		t.Errorf("counter key expires in %v, its member count in %v; want the count to expire with the key", cpt, mpt)
	}

	// A stale count with an expiry (an earlier build's hash field, moved)
	// is left when the key's entries are released; a store without expiry
	// then writes the key afresh with a member: its count must not keep
	// the stale count's expiry, the key having none.
	p = newPrefix(t, url)
	ttlStore = openOpts(t, url, storeOptsTTL(p, 100*time.Millisecond))
	noTTL = openOpts(t, url, storeOptsTTL(p, -1))
	if ok, _, err := ttlStore.Reserve(ctx, "s-1", at, lim("nottl/b", "", 5)); err != nil || !ok {
		t.Fatalf("reserve s-1: ok=%v err=%v", ok, err)
	}
	// An earlier build's count, left when an earlier incarnation of the
	// key expired (the entry above has no member).
	c.HSet(ctx, "{"+p+"}:mc", "nottl/b", 1)
	if ok, _, err := ttlStore.Reserve(ctx, "s-2", at.Add(time.Millisecond), lim("nottl/b", "", 5)); err != nil || !ok {
		t.Fatalf("reserve s-2: ok=%v err=%v", ok, err)
	}
	for _, id := range []string{"s-1", "s-2"} {
		if err := ttlStore.Release(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	at2 := at.Add(time.Hour)
	for i, id := range []string{"s-3", "s-4"} {
		ok, u, err := noTTL.Reserve(ctx, id, at2.Add(time.Duration(i)*time.Millisecond), lim("nottl/b", "y", 1))
		if err != nil || !ok {
			t.Fatalf("reserve %s (member y again): ok=%v usage=%+v err=%v; want ok", id, ok, u, err)
		}
		if i == 0 {
			time.Sleep(600 * time.Millisecond) // past every expiry the first store set
		}
	}
	if u, err := noTTL.Usage(ctx, at2.Add(2*time.Millisecond), lim("nottl/b", "y", 1)); err != nil || u[0].Count != 1 || u[0].Exceeded {
		t.Errorf("usage of member y, counted twice under a key without expiry: %+v, %v; want count 1, not exceeded", u, err)
	}
}
