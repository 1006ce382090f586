package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/redisstore"
)

func tenantRecord(id, tenant string) consent.Record {
	return consent.Record{ID: id, Number: dialgate.MustParseNumber("+8613900139072"), Scope: "industry:finance",
		Method: consent.MethodWritten, EvidenceURI: "https://crm.example/consents/" + id, Tenant: tenant,
		GrantedAt: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
}

// rawClient returns a client of the test server, closed when t ends.
func rawClient(t *testing.T, url string) *redis.Client {
	t.Helper()
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	return c
}

// schemaValue returns the stored schema version, "" when there is none.
func schemaValue(t *testing.T, c *redis.Client, prefix string) string {
	t.Helper()
	v, err := c.Get(context.Background(), "{"+prefix+"}:schema").Result()
	if errors.Is(err, redis.Nil) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// openAsVersion1 opens the store as a build that reads only version 1
// (before consent tenants, but with the schema key) would, and closes what
// it opened.
func openAsVersion1(url, prefix string) error {
	s, err := redisstore.OpenKnowing(context.Background(), url, redisstore.Options{Prefix: prefix}, 1)
	if err == nil {
		s.Close()
	}
	return err
}

// TestTenantConsentRaisesSchema: a store has no schema key (version 1)
// while its consents name no tenant, so a build that reads only version 1
// can open it; the first consent with a tenant sets version 2 in the same
// script, so such a build refuses the store instead of reading that consent
// as covering every tenant's dials.
func TestTenantConsentRaisesSchema(t *testing.T) {
	url := redisURL(t)
	ctx := context.Background()
	p := newPrefix(t, url)
	c := rawClient(t, url)
	s := open(t, url, p)
	if err := s.AddConsent(ctx, tenantRecord("c-1", "")); err != nil {
		t.Fatal(err)
	}
	if v := schemaValue(t, c, p); v != "" {
		t.Fatalf("after a consent without a tenant: schema %q, want none (version 1, still open to older builds)", v)
	}
	if err := openAsVersion1(url, p); err != nil {
		t.Fatalf("a version 1 build opening a store without tenant consents: %v", err)
	}
	// A write that fails (the id exists) raises nothing.
	if err := s.AddConsent(ctx, tenantRecord("c-1", "acme")); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("AddConsent of an existing id: %v, want storage.ErrConflict", err)
	}
	if v := schemaValue(t, c, p); v != "" {
		t.Fatalf("after a failed consent with a tenant: schema %q, want none", v)
	}

	if err := s.AddConsent(ctx, tenantRecord("c-2", "acme")); err != nil {
		t.Fatal(err)
	}
	want := strconv.Itoa(redisstore.SchemaTenantConsents)
	if v := schemaValue(t, c, p); v != want {
		t.Fatalf("after a consent with a tenant: schema %q, want %s", v, want)
	}
	err := openAsVersion1(url, p)
	if !errors.Is(err, storage.ErrSchemaTooNew) || !strings.Contains(err.Error(), "version 2") || !strings.Contains(err.Error(), "upgrade") {
		t.Fatalf("a version 1 build opening a store with a tenant consent: %v, want storage.ErrSchemaTooNew naming version 2 and saying to upgrade", err)
	}
	// This build still opens it; a revocation or another tenant consent
	// leaves the version.
	s2 := open(t, url, p)
	if _, err := s2.RevokeConsent(ctx, "c-2", time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC), "crm"); err != nil {
		t.Fatal(err)
	}
	if err := s2.AddConsent(ctx, tenantRecord("c-3", "beta")); err != nil {
		t.Fatal(err)
	}
	if v := schemaValue(t, c, p); v != want {
		t.Fatalf("after more tenant writes: schema %q, want %s", v, want)
	}
}

// TestTenantConsentSchemaWrites: a revocation of a record that names a
// tenant raises the version too (a record stored by a development build
// that knew the tenant but not the key); a version 1 key is raised, a newer
// one left alone; a malformed one fails a grant, which then writes nothing
// (a revocation goes through: TestTenantConsentRevokedOnMalformedSchema).
func TestTenantConsentSchemaWrites(t *testing.T) {
	url := redisURL(t)
	ctx := context.Background()
	p := newPrefix(t, url)
	c := rawClient(t, url)
	key := "{" + p + "}:schema"
	s := open(t, url, p)
	if err := s.AddConsent(ctx, tenantRecord("c-1", "acme")); err != nil {
		t.Fatal(err)
	}
	c.Del(ctx, key)
	if _, err := s.RevokeConsent(ctx, "c-1", time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC), "crm"); err != nil {
		t.Fatal(err)
	}
	if v := schemaValue(t, c, p); v != "2" {
		t.Fatalf("after revoking a consent with a tenant: schema %q, want 2", v)
	}
	for i, tc := range []struct{ stored, want string }{{"1", "2"}, {"7", "7"}} {
		c.Set(ctx, key, tc.stored, 0)
		if err := s.AddConsent(ctx, tenantRecord(fmt.Sprintf("c-%d", i+2), "acme")); err != nil {
			t.Fatal(err)
		}
		if v := schemaValue(t, c, p); v != tc.want {
			t.Errorf("a tenant consent on schema %s: schema %q, want %s", tc.stored, v, tc.want)
		}
	}
	for _, bad := range []string{"x", "0", "02", "-1", "2.0", ""} {
		c.Set(ctx, key, bad, 0)
		if err := s.AddConsent(ctx, tenantRecord("c-bad", "acme")); !errors.Is(err, storage.ErrCorrupt) {
			t.Errorf("a tenant consent on schema %q: %v, want storage.ErrCorrupt", bad, err)
		}
		if _, err := s.Consent(ctx, "c-bad"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("the refused consent on schema %q was written: %v", bad, err)
		}
	}
	c.Del(ctx, key)
	c.HSet(ctx, key, "version", "2")
	if err := s.AddConsent(ctx, tenantRecord("c-bad", "acme")); !errors.Is(err, storage.ErrCorrupt) {
		t.Errorf("a tenant consent on a schema key of the wrong type: %v, want storage.ErrCorrupt", err)
	}
	// A consent without a tenant does not read the key.
	if err := s.AddConsent(ctx, tenantRecord("c-none", "")); err != nil {
		t.Errorf("a consent without a tenant on a schema key of the wrong type: %v", err)
	}
}

// TestOpenSchema: Open accepts no key and the versions it reads, and
// refuses a newer one (ErrSchemaTooNew) or a malformed one (ErrCorrupt)
// without writing to it.
func TestOpenSchema(t *testing.T) {
	url := redisURL(t)
	ctx := context.Background()
	p := newPrefix(t, url)
	c := rawClient(t, url)
	key := "{" + p + "}:schema"
	try := func() error {
		s, err := redisstore.Open(ctx, url, redisstore.Options{Prefix: p})
		if err == nil {
			s.Close()
		}
		return err
	}
	if err := try(); err != nil {
		t.Fatalf("Open without a schema key: %v", err)
	}
	if v := schemaValue(t, c, p); v != "" {
		t.Fatalf("Open wrote the schema key: %q", v)
	}
	for v := 1; v <= redisstore.SchemaVersion; v++ {
		c.Set(ctx, key, strconv.Itoa(v), 0)
		if err := try(); err != nil {
			t.Errorf("Open on schema %d: %v", v, err)
		}
	}
	c.Set(ctx, key, strconv.Itoa(redisstore.SchemaVersion+1), 0)
	if err := try(); !errors.Is(err, storage.ErrSchemaTooNew) || !strings.Contains(err.Error(), "upgrade dialgate") {
		t.Errorf("Open on a newer schema: %v, want storage.ErrSchemaTooNew saying to upgrade", err)
	}
	for _, bad := range []string{"x", "0", "02", "-1", "+2", " 2", "2.0", "", "99999999999999999999"} {
		c.Set(ctx, key, bad, 0)
		if err := try(); !errors.Is(err, storage.ErrCorrupt) {
			t.Errorf("Open on schema %q: %v, want storage.ErrCorrupt", bad, err)
		}
		if v := schemaValue(t, c, p); v != bad {
			t.Errorf("Open changed the refused schema %q to %q", bad, v)
		}
	}
	c.Del(ctx, key)
	c.HSet(ctx, key, "version", "2")
	if err := try(); !errors.Is(err, storage.ErrCorrupt) {
		t.Errorf("Open on a schema key of the wrong type: %v, want storage.ErrCorrupt", err)
	}
}

// TestTenantConsentConcurrentFirstWrites: processes writing the first
// tenant consents at once all succeed and leave version 2.
func TestTenantConsentConcurrentFirstWrites(t *testing.T) {
	url := redisURL(t)
	ctx := context.Background()
	p := newPrefix(t, url)
	stores := []*redisstore.Store{open(t, url, p), open(t, url, p)}
	const per = 8
	start := make(chan struct{})
	errs := make([]error, len(stores)*per)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = stores[i%len(stores)].AddConsent(ctx, tenantRecord(fmt.Sprintf("c-%d", i), "acme"))
		}()
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent first tenant consents: %v", err)
	}
	if v := schemaValue(t, rawClient(t, url), p); v != "2" {
		t.Fatalf("after concurrent first tenant consents: schema %q, want 2", v)
	}
	if err := openAsVersion1(url, p); !errors.Is(err, storage.ErrSchemaTooNew) {
		t.Fatalf("a version 1 build: %v, want storage.ErrSchemaTooNew", err)
	}
}

// TestTenantConsentRevokedOnMalformedSchema: a withdrawal is never refused
// for what is wrong with the store (consent.Store: "a stored record that
// does not pass Validate is revoked all the same"), and a schema key
// damaged into something that is not a version must not keep a consent
// that names a tenant in force: the revocation failed (storage.ErrCorrupt)
// and every sidecar already running went on allowing dials on it. The
// damaged key is left as it is: Open still refuses it.
func TestTenantConsentRevokedOnMalformedSchema(t *testing.T) {
	url := redisURL(t)
	ctx := context.Background()
	p := newPrefix(t, url)
	c := rawClient(t, url)
	key := "{" + p + "}:schema"
	s := open(t, url, p)
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	for i, bad := range []string{"x", "0", "", "hash"} {
		id := fmt.Sprintf("c-%d", i)
		c.Del(ctx, key) // the grant raises a sound key
		if err := s.AddConsent(ctx, tenantRecord(id, "acme")); err != nil {
			t.Fatal(err)
		}
		c.Del(ctx, key)
		if bad == "hash" {
			c.HSet(ctx, key, "version", "2")
		} else {
			c.Set(ctx, key, bad, 0)
		}
		r, err := s.RevokeConsent(ctx, id, at, "call")
		if err != nil || !r.Revoked() {
			t.Fatalf("revoking a consent with a tenant on schema %q: %+v, %v; want it revoked", bad, r, err)
		}
		if got, err := s.Consent(ctx, id); err != nil || !got.Revoked() {
			t.Fatalf("after the revocation on schema %q: %+v, %v; want it stored revoked", bad, got, err)
		}
		if bad != "hash" {
			if v := schemaValue(t, c, p); v != bad {
				t.Errorf("schema %q after the revocation: %q, want it left as it was", bad, v)
			}
		}
	}
}
