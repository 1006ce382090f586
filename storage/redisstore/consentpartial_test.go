package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
)

// A consent write is one script, but Redis does not undo what a script
// wrote before a command of it failed. Before, a revocation whose number's
// index was damaged stored the revoked record and then failed, without the
// event and a new revision, and its retry answered success: every other
// process's consent cache, which learns of revocations only through the
// revision and the events, went on allowing the number on the grant it
// held. Now, with any of the keys the write reaches damaged, a revocation
// is still made and either raises the revision (the caches read the events,
// or fail closed on a damaged log) or leaves every revision read failing (a
// deny everywhere); a grant writes nothing.
func TestConsentWriteDamagedKey(t *testing.T) {
	url := redisURL(t)
	ctx := context.Background()
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	for _, key := range []string{"cn:%s", "crev", "ce", "ch:%s"} {
		t.Run(key, func(t *testing.T) {
			p := newPrefix(t, url)
			s := open(t, url, p)
			c := rawClient(t, url)
			r := tenantRecord("c-1", "")
			if err := s.AddConsent(ctx, r); err != nil {
				t.Fatal(err)
			}
			rev0, err := s.ConsentRevision(ctx)
			if err != nil {
				t.Fatal(err)
			}
			k := "{" + p + "}:" + key
			if key[len(key)-1] == 's' {
				k = fmt.Sprintf(k, fmt.Sprintf("%020d", r.Number.Uint64()))
			}
			if err := c.Del(ctx, k).Err(); err != nil {
				t.Fatal(err)
			}
			if err := c.HSet(ctx, k, "damaged", "1").Err(); err != nil {
				t.Fatal(err)
			}

			_, rerr := s.RevokeConsent(ctx, "c-1", at, "crm")
			stored, err := s.Consent(ctx, "c-1")
			if err != nil {
				t.Fatal(err)
			}
			if rev, err := s.ConsentRevision(ctx); err == nil && rev <= rev0 && stored.Revoked() {
				t.Fatalf("a revocation with %s damaged was stored without raising the revision (%d): no other process's cache learns of it", k, rev)
			}
			if !stored.Revoked() {
				t.Fatalf("a revocation with %s damaged was not made (%v)", k, rerr)
			}
			if !errors.Is(rerr, storage.ErrCorrupt) {
				t.Fatalf("revocation with %s damaged: %v; want storage.ErrCorrupt (made, the key to repair)", k, rerr)
			}
			g := tenantRecord("c-2", "")
			if err := s.AddConsent(ctx, g); !errors.Is(err, storage.ErrCorrupt) {
				t.Fatalf("grant with %s damaged: %v; want storage.ErrCorrupt", k, err)
			}
			if n, err := c.Exists(ctx, "{"+p+"}:cr:c-2").Result(); err != nil || n != 0 {
				t.Fatalf("a grant refused for the damaged key %s was stored (%d, %v)", k, n, err)
			}
			// Its retry answers success, the withdrawal being in force.
			if _, err := s.RevokeConsent(ctx, "c-1", at, "crm"); err != nil {
				t.Fatalf("retry of the revocation: %v", err)
			}
		})
	}
}

// A revision "{p}:crev" of digits that INCR refuses ("007": leading zeros;
// 2^63-1: it would overflow) passed the script's check of the key, so a
// revocation stored the revoked record and then failed at INCR, without the
// event and a new revision, while ConsentRevision still read the revision
// (7) as sound: every other process's cache went on allowing the grant it
// held, and the revocation's retry answered success. Now such a revision is
// damaged both for the script and for ConsentRevision: the revocation is
// made and every revision read fails (a deny everywhere); a grant writes
// nothing.
func TestConsentWriteRevisionINCRRefuses(t *testing.T) {
	url := redisURL(t)
	ctx := context.Background()
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	for _, v := range []string{"007", "9223372036854775807", "18446744073709551615"} {
		t.Run(v, func(t *testing.T) {
			p := newPrefix(t, url)
			s := open(t, url, p)
			c := rawClient(t, url)
			if err := s.AddConsent(ctx, tenantRecord("c-1", "")); err != nil {
				t.Fatal(err)
			}
			if err := c.Set(ctx, "{"+p+"}:crev", v, 0).Err(); err != nil {
				t.Fatal(err)
			}
			_, rerr := s.RevokeConsent(ctx, "c-1", at, "crm")
			stored, err := s.Consent(ctx, "c-1")
			if err != nil {
				t.Fatal(err)
			}
			if !stored.Revoked() {
				t.Fatalf("a revocation with crev %q was not made (%v)", v, rerr)
			}
			if !errors.Is(rerr, storage.ErrCorrupt) {
				t.Fatalf("revocation with crev %q: %v; want storage.ErrCorrupt (made, the key to repair)", v, rerr)
			}
			if rev, err := s.ConsentRevision(ctx); err == nil {
				t.Fatalf("crev %q: ConsentRevision read %d after a revocation that could not raise it: no other process's cache learns of the withdrawal", v, rev)
			}
			if err := s.AddConsent(ctx, tenantRecord("c-2", "")); !errors.Is(err, storage.ErrCorrupt) {
				t.Fatalf("grant with crev %q: %v; want storage.ErrCorrupt", v, err)
			}
			if n, err := c.Exists(ctx, "{"+p+"}:cr:c-2").Result(); err != nil || n != 0 {
				t.Fatalf("a grant refused for crev %q was stored (%d, %v)", v, n, err)
			}
		})
	}
}
