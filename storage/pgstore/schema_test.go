package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/pgstore"
)

func tenantRecord(id, tenant string) consent.Record {
	return consent.Record{ID: id, Number: dialgate.MustParseNumber("+8613900139071"), Scope: "industry:finance",
		Method: consent.MethodWritten, EvidenceURI: "https://crm.example/consents/" + id, Tenant: tenant,
		GrantedAt: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
}

// schemaVersion returns the newest version schema_migrations records.
func schemaVersion(t *testing.T, s *pgstore.Store) int {
	t.Helper()
	var v int
	if err := s.Pool().QueryRow(context.Background(), `SELECT max(version) FROM schema_migrations`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// openAsVersion1 opens the schema as a build that knows only version 1
// (from before consent tenants) would, and closes what it opened.
func openAsVersion1(url, schema string) error {
	s, err := pgstore.OpenKnowing(context.Background(), url, pgstore.Options{Schema: schema}, 1)
	if err == nil {
		s.Close()
	}
	return err
}

// TestTenantConsentRaisesSchema: a database stays at version 1 (what builds
// before consent tenants know) while its consents name no tenant, so such
// a build can still open it; the first consent with a tenant records
// version 2 in the same transaction, so such a build refuses the database
// instead of reading that consent as covering every tenant's dials.
func TestTenantConsentRaisesSchema(t *testing.T) {
	url := pgURL(t)
	ctx := context.Background()
	sc := newSchema(t, url)
	s := open(t, url, sc)
	if v := schemaVersion(t, s); v != 1 {
		t.Fatalf("a new database: version %d, want 1 (the tenant version is recorded by a write, not by Open)", v)
	}
	if err := s.AddConsent(ctx, tenantRecord("c-1", "")); err != nil {
		t.Fatal(err)
	}
	if v := schemaVersion(t, s); v != 1 {
		t.Fatalf("after a consent without a tenant: version %d, want 1 (still open to older builds)", v)
	}
	if err := openAsVersion1(url, sc); err != nil {
		t.Fatalf("a version 1 build opening a database without tenant consents: %v", err)
	}
	// A write that fails (the id exists) records nothing.
	if err := s.AddConsent(ctx, tenantRecord("c-1", "acme")); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("AddConsent of an existing id: %v, want storage.ErrConflict", err)
	}
	if v := schemaVersion(t, s); v != 1 {
		t.Fatalf("after a failed consent with a tenant: version %d, want 1", v)
	}

	if err := s.AddConsent(ctx, tenantRecord("c-2", "acme")); err != nil {
		t.Fatal(err)
	}
	if v := schemaVersion(t, s); v != pgstore.SchemaTenantConsents {
		t.Fatalf("after a consent with a tenant: version %d, want %d", v, pgstore.SchemaTenantConsents)
	}
	err := openAsVersion1(url, sc)
	if !errors.Is(err, storage.ErrSchemaTooNew) || !strings.Contains(err.Error(), "version 2") {
		t.Fatalf("a version 1 build opening a database with a tenant consent: %v, want storage.ErrSchemaTooNew naming version 2", err)
	}
	// This build still opens it, and a revocation or another tenant
	// consent records nothing more.
	s2 := open(t, url, sc)
	if _, err := s2.RevokeConsent(ctx, "c-2", time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC), "crm"); err != nil {
		t.Fatal(err)
	}
	if err := s2.AddConsent(ctx, tenantRecord("c-3", "beta")); err != nil {
		t.Fatal(err)
	}
	var n int
	var name string
	if err := s.Pool().QueryRow(ctx, `SELECT count(*), min(name) FROM schema_migrations WHERE version = $1`, pgstore.SchemaTenantConsents).Scan(&n, &name); err != nil {
		t.Fatal(err)
	}
	if n != 1 || name != "0002_consent_tenants.sql" {
		t.Fatalf("schema_migrations has %d rows of version 2 named %q, want 1 named 0002_consent_tenants.sql", n, name)
	}
}

// TestTenantConsentRaisesSchemaOnRevoke: a revocation of a record that
// names a tenant records version 2 too (a record stored by a development
// build that knew the tenant but not the version).
func TestTenantConsentRaisesSchemaOnRevoke(t *testing.T) {
	url := pgURL(t)
	ctx := context.Background()
	sc := newSchema(t, url)
	s := open(t, url, sc)
	if err := s.AddConsent(ctx, tenantRecord("c-1", "acme")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, `DELETE FROM schema_migrations WHERE version = $1`, pgstore.SchemaTenantConsents); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeConsent(ctx, "c-1", time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC), "crm"); err != nil {
		t.Fatal(err)
	}
	if v := schemaVersion(t, s); v != pgstore.SchemaTenantConsents {
		t.Fatalf("after revoking a consent with a tenant: version %d, want %d", v, pgstore.SchemaTenantConsents)
	}
}

// TestTenantConsentConcurrentFirstWrites: processes writing the first
// tenant consents at once all succeed and record version 2 once.
func TestTenantConsentConcurrentFirstWrites(t *testing.T) {
	url := pgURL(t)
	ctx := context.Background()
	sc := newSchema(t, url)
	stores := []*pgstore.Store{open(t, url, sc), open(t, url, sc)}
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
	var n int
	if err := stores[0].Pool().QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, pgstore.SchemaTenantConsents).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("schema_migrations has %d rows of version 2, want 1", n)
	}
	if err := openAsVersion1(url, sc); !errors.Is(err, storage.ErrSchemaTooNew) {
		t.Fatalf("a version 1 build: %v, want storage.ErrSchemaTooNew", err)
	}
}
